#include "fivetran/record_wire.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <limits>

#include "fivetran/convert.h"
#include "fivetran/test_util.h"

namespace ac::fivetran {
namespace {

using common::DataType;
using connector::RecordType;

/// What the generated API builds for the same records (the reference encoding).
pb::Records Reference(const common::TableSchema& table, RecordType type, const common::ValueBatch& rows) {
  pb::Records records;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    pb::Record* record = records.add_records();
    record->set_table_name(table.name);
    record->set_type(static_cast<pb::RecordType>(static_cast<int>(type)));
    for (size_t c = 0; c < table.columns.size(); ++c) {
      ToValueType(rows.at(r, c), &(*record->mutable_data())[table.columns[c].name]);
    }
  }
  return records;
}

pb::Records Encoded(const common::TableSchema& table, RecordType type, const common::ValueBatch& rows) {
  std::string wire;
  size_t appended = 0;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    appended += RecordWireEncoder::AppendRecord(wire, table, type, &rows.at(r, 0));
  }
  EXPECT_EQ(appended, wire.size());
  pb::Records records;
  EXPECT_TRUE(records.ParseFromString(wire));
  EXPECT_EQ(records.GetReflection()->GetUnknownFields(records).field_count(), 0);
  return records;
}

void ExpectSame(const pb::Records& expected, const pb::Records& actual) {
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(expected, actual)) << differences;
  // Byte for byte as long as the generated code writes the (one-entry) maps the same way.
  EXPECT_EQ(expected.ByteSizeLong(), actual.ByteSizeLong());
}

TEST(RecordWireEncoderTest, EveryTypeAndNullEncodesAsTheGeneratedApiDoes) {
  const common::TableSchema table = testing::AllTypesTable();
  common::ValueBatch rows;
  rows.Reset(table.columns.size());
  for (int64_t i = 0; i < 50; ++i) testing::AppendAllTypesRow(rows, i - 25, i % 7 == 3);
  for (const RecordType type : {RecordType::kUpsert, RecordType::kUpdate, RecordType::kDelete}) {
    ExpectSame(Reference(table, type, rows), Encoded(table, type, rows));
  }
}

TEST(RecordWireEncoderTest, EdgeValues) {
  const common::TableSchema table{"edges \xC3\xA9",
                                  {{"k", DataType::kLong, true, 0, 0},
                                   {"i", DataType::kInt, false, 0, 0},
                                   {"s", DataType::kShort, false, 0, 0},
                                   {"f", DataType::kFloat, false, 0, 0},
                                   {"d", DataType::kDouble, false, 0, 0},
                                   {"t", DataType::kNaiveTime, false, 0, 0},
                                   {"ts", DataType::kUtcDateTime, false, 0, 0},
                                   {"u", DataType::kUnspecified, false, 0, 0},
                                   {"b", DataType::kBoolean, false, 0, 0},
                                   {std::string(200, 'c'), DataType::kString, false, 0, 0}}};
  common::ValueBatch rows;
  rows.Reset(table.columns.size());
  const int64_t longs[] = {0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 127, 128};
  for (const int64_t k : longs) {
    common::Value* row = rows.AppendRow();
    for (size_t c = 0; c < table.columns.size(); ++c) {
      row[c] = common::Value::Null(table.columns[c].type);
      row[c].is_null = false;
    }
    row[0].int64 = k;
    row[1].int32 = k < 0 ? std::numeric_limits<int32_t>::min() : 0;
    row[2].int32 = static_cast<int32_t>(k % 32768);
    row[3].float32 = k < 0 ? -0.0f : std::numeric_limits<float>::infinity();
    row[4].float64 = k == 0 ? 0.0 : -std::numeric_limits<double>::max();
    row[5].timestamp = {0, 0};                         // the epoch: an empty Timestamp
    row[6].timestamp = {k < 0 ? -86400 : 0, k > 0 ? 1 : 0};
    row[7].text = rows.Store(k == 0 ? std::string() : std::string(300, 'x'));  // 2-byte lengths
    row[8].boolean = false;
    row[9].text = rows.Store(std::string(20000, 'y'));
  }
  ExpectSame(Reference(table, RecordType::kUpsert, rows), Encoded(table, RecordType::kUpsert, rows));
}

TEST(RecordWireEncoderTest, TruncateHasNoData) {
  const common::TableSchema table = testing::AllTypesTable();
  std::string wire;
  RecordWireEncoder::AppendRecord(wire, table, RecordType::kTruncate, nullptr);
  pb::Records records;
  ASSERT_TRUE(records.ParseFromString(wire));
  ASSERT_EQ(records.records_size(), 1);
  EXPECT_EQ(records.records(0).type(), pb::TRUNCATE);
  EXPECT_EQ(records.records(0).table_name(), "all_types");
  EXPECT_TRUE(records.records(0).data().empty());
}

}  // namespace
}  // namespace ac::fivetran
