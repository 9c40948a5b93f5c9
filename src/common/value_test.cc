#include "common/value.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace ac::common {
namespace {

Value Text(ValueBatch& batch, std::string_view text) {
  Value v;
  v.type = DataType::kString;
  v.is_null = false;
  v.text = batch.Store(text);
  return v;
}

/// Two columns: a long and a string of `text_bytes` bytes (past one arena block when large).
void Fill(ValueBatch& batch, int rows, size_t text_bytes) {
  batch.Reset(2);
  for (int i = 0; i < rows; ++i) {
    Value* row = batch.AppendRow();
    row[0].type = DataType::kLong;
    row[0].is_null = false;
    row[0].int64 = i;
    row[1] = Text(batch, std::string(text_bytes, static_cast<char>('a' + i % 26)));
  }
}

void ExpectFilled(const ValueBatch& batch, int rows, size_t text_bytes) {
  ASSERT_EQ(batch.num_columns(), 2u);
  ASSERT_EQ(batch.num_rows(), static_cast<size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    EXPECT_EQ(batch.at(i, 0).int64, i);
    EXPECT_EQ(batch.at(i, 1).text, std::string(text_bytes, static_cast<char>('a' + i % 26))) << i;
  }
}

TEST(ValueBatchTest, StoredTextStaysValidAsTheArenaGrows) {
  ValueBatch batch;
  Fill(batch, 40, 20'000);  // 800 kB: several arena blocks
  ExpectFilled(batch, 40, 20'000);
  batch.Clear();
  EXPECT_EQ(batch.num_rows(), 0u);
  Fill(batch, 3, 300'000);  // larger than a block
  ExpectFilled(batch, 3, 300'000);
}

TEST(ValueBatchTest, MoveKeepsViewsAndLeavesTheSourceEmpty) {
  ValueBatch source;
  Fill(source, 30, 10'000);
  ValueBatch moved(std::move(source));
  ExpectFilled(moved, 30, 10'000);
  EXPECT_EQ(source.num_columns(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(source.num_rows(), 0u);
  // The moved-from batch is usable again.
  Fill(source, 5, 100);
  ExpectFilled(source, 5, 100);

  ValueBatch assigned;
  Fill(assigned, 2, 10);
  assigned = std::move(moved);
  ExpectFilled(assigned, 30, 10'000);
}

TEST(ValueBatchTest, AssignCopiesTextIntoItsOwnArena) {
  ValueBatch source;
  Fill(source, 30, 10'000);
  source.at(3, 1) = Value::Null(DataType::kString);
  ValueBatch copy;
  Fill(copy, 1, 5);  // earlier contents are replaced
  copy.Assign(source);
  ASSERT_EQ(copy.num_rows(), 30u);
  EXPECT_TRUE(copy.at(3, 1).is_null);
  EXPECT_NE(copy.at(4, 1).text.data(), source.at(4, 1).text.data());
  // Refilling the source (its arena reused for other text) leaves the copy as it was.
  Fill(source, 30, 9'999);
  for (int i = 0; i < 30; ++i) {
    if (i == 3) continue;
    EXPECT_EQ(copy.at(i, 1).text, std::string(10'000, static_cast<char>('a' + i % 26)));
  }
  source.Clear();
  copy.Assign(source);
  EXPECT_EQ(copy.num_rows(), 0u);
  EXPECT_EQ(copy.num_columns(), 2u);
}

}  // namespace
}  // namespace ac::common
