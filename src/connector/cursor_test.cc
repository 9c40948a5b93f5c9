#include "connector/cursor.h"

#include <gtest/gtest.h>

namespace ac::connector {
namespace {

TEST(CursorTest, LiteralsAreTypedLikeTheColumn) {
  EXPECT_EQ(CursorLiteral("bigint", "42"), "42");
  EXPECT_EQ(CursorLiteral("double", "1.5"), "1.5");
  EXPECT_EQ(CursorLiteral("decimal(10,2)", "1.50"), "DECIMAL '1.50'");
  EXPECT_EQ(CursorLiteral("date", "2024-01-02"), "DATE '2024-01-02'");
  EXPECT_EQ(CursorLiteral("timestamp(3)", "2024-01-02 03:04:05.000"),
            "TIMESTAMP '2024-01-02 03:04:05.000'");
  EXPECT_EQ(CursorLiteral("varchar", "it's"), "'it''s'");
}

TEST(CursorTest, SqlFromCursorKeepsTheRowsAtOrPastTheValue) {
  EXPECT_EQ(SqlFromCursor("SELECT * FROM t", "changed at", "bigint", "7"),
            "SELECT * FROM (SELECT * FROM t) WHERE \"changed at\" >= 7");
}

TEST(CursorTest, TrackerKeepsTheHighestValueFromItsSeed) {
  const athena::Column column{"updated", athena::ParseDeclaredType("bigint")};
  CursorTracker tracker(column);
  EXPECT_FALSE(tracker.has_value());
  tracker.Seed("30");
  EXPECT_EQ(tracker.text(), "30");
  athena::ValueDecoder decoder({column});
  athena::RowBatch rows(1);
  for (const char* text : {"10", "50", "40"}) rows.AppendCell(text);
  common::ValueBatch values;
  decoder.Decode(rows, values);
  for (size_t r = 0; r < values.num_rows(); ++r) tracker.Offer(rows.cell(r, 0), values.at(r, 0));
  EXPECT_TRUE(tracker.has_value());
  EXPECT_EQ(tracker.text(), "50");
}

TEST(CursorTest, TimestampsCompareBySecondsThenNanos) {
  common::Value a;
  a.type = common::DataType::kNaiveDateTime;
  a.timestamp = {100, 5};
  common::Value b = a;
  b.timestamp = {100, 7};
  EXPECT_LT(CompareCursor(a, b), 0);
  EXPECT_GT(CompareCursor(b, a), 0);
  EXPECT_EQ(CompareCursor(a, a), 0);
  b.timestamp = {99, 999999999};
  EXPECT_GT(CompareCursor(a, b), 0);
}

}  // namespace
}  // namespace ac::connector
