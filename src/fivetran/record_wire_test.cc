#include "fivetran/record_wire.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <map>

#include "common/error.h"
#include "fivetran/convert.h"
#include "fivetran/test_util.h"

namespace ac::fivetran {
namespace {

using common::DataType;
using common::Value;
using connector::RecordType;

/// What the generated API builds for the same records (the reference encoding).
pb::Records Reference(const common::TableSchema& table, RecordType type,
                      const common::ValueBatch& rows) {
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

pb::Records Encoded(const common::TableSchema& table, RecordType type,
                    const common::ValueBatch& rows) {
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
  const int64_t longs[] = {
      0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 127, 128};
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
    row[5].timestamp = {0, 0};  // the epoch: an empty Timestamp
    row[6].timestamp = {k < 0 ? -86400 : 0, k > 0 ? 1 : 0};
    row[7].text = rows.Store(k == 0 ? std::string() : std::string(300, 'x'));  // 2-byte lengths
    row[8].boolean = false;
    row[9].text = rows.Store(std::string(20000, 'y'));
  }
  ExpectSame(Reference(table, RecordType::kUpsert, rows),
             Encoded(table, RecordType::kUpsert, rows));
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

TEST(RecordWireEncoderTest, SchemaNameIsSentOnlyForATableWithASchema) {
  common::TableSchema table = testing::AllTypesTable();
  std::string wire;
  RecordWireEncoder::AppendRecord(wire, table, RecordType::kTruncate, nullptr);
  table.schema = "sales";
  RecordWireEncoder::AppendRecord(wire, table, RecordType::kTruncate, nullptr);
  pb::Records records;
  ASSERT_TRUE(records.ParseFromString(wire));
  ASSERT_EQ(records.records_size(), 2);
  EXPECT_FALSE(records.records(0).has_schema_name());
  EXPECT_EQ(records.records(1).schema_name(), "sales");
  EXPECT_EQ(records.records(1).table_name(), "all_types");

  RecordWireDecoder decoder(wire);
  WireRecord record;
  ASSERT_TRUE(decoder.Next(record));
  EXPECT_EQ(record.schema_name, "");
  ASSERT_TRUE(decoder.Next(record));
  EXPECT_EQ(record.schema_name, "sales");
  EXPECT_EQ(record.table_name, "all_types");
}

// --- RecordWireDecoder ---------------------------------------------------------------------------

void ExpectSameValue(const CarriedValue& expected, const CarriedValue& actual,
                     const std::string& where) {
  EXPECT_EQ(expected.type, actual.type) << where;
  EXPECT_EQ(expected.boolean, actual.boolean) << where;
  EXPECT_EQ(expected.int32, actual.int32) << where;
  EXPECT_EQ(expected.int64, actual.int64) << where;
  EXPECT_EQ(std::memcmp(&expected.float32, &actual.float32, sizeof(float)), 0) << where;
  EXPECT_EQ(std::memcmp(&expected.float64, &actual.float64, sizeof(double)), 0) << where;
  EXPECT_EQ(expected.timestamp, actual.timestamp) << where;
  EXPECT_EQ(expected.text, actual.text) << where;
}

/// Decodes `wire` (a Records body) and compares every record with what the generated parser reads
/// from the same bytes.
void ExpectDecodesAsGeneratedParser(const std::string& wire) {
  pb::Records parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  RecordWireDecoder decoder(wire);
  WireRecord record;
  for (const pb::Record& expected : parsed.records()) {
    ASSERT_TRUE(decoder.Next(record));
    EXPECT_EQ(record.table_name, expected.table_name());
    EXPECT_EQ(record.type, static_cast<int>(expected.type()));
    // A map keeps the last entry of a repeated key; so does a later entry of WireRecord.
    std::map<std::string_view, CarriedValue> decoded;
    for (const auto& entry : record.entries) decoded[entry.name] = entry.value;
    EXPECT_EQ(decoded.size(), expected.data().size());
    for (const auto& [name, value] : expected.data()) {
      ASSERT_EQ(decoded.count(name), 1u) << name;
      ExpectSameValue(CarriedOf(value), decoded[name], expected.table_name() + "." + name);
    }
  }
  EXPECT_FALSE(decoder.Next(record));
}

TEST(RecordWireDecoderTest, ReadsEveryTypeAndNullAsTheGeneratedParser) {
  const common::TableSchema table = testing::AllTypesTable();
  common::ValueBatch rows;
  rows.Reset(table.columns.size());
  for (int64_t i = 0; i < 30; ++i) testing::AppendAllTypesRow(rows, i - 15, i % 7 == 3);
  testing::AppendAllTypesRow(rows, std::numeric_limits<int64_t>::min());
  Value* edge = &rows.at(rows.num_rows() - 1, 0);
  edge[2].int32 = std::numeric_limits<int16_t>::min();
  edge[3].int32 = std::numeric_limits<int32_t>::min();
  edge[5].float32 = -0.0f;
  edge[6].float64 = std::numeric_limits<double>::infinity();
  edge[9].timestamp = {-1, 999999999};
  edge[12].text = rows.Store(std::string(20000, 'x'));
  std::string wire;
  for (const RecordType type : {RecordType::kUpsert, RecordType::kUpdate, RecordType::kDelete}) {
    for (size_t r = 0; r < rows.num_rows(); ++r)
      RecordWireEncoder::AppendRecord(wire, table, type, &rows.at(r, 0));
  }
  RecordWireEncoder::AppendRecord(wire, table, RecordType::kTruncate, nullptr);
  ExpectDecodesAsGeneratedParser(wire);
  // And what the generated serializer writes (its own field and map entry order).
  ExpectDecodesAsGeneratedParser(Reference(table, RecordType::kUpsert, rows).SerializeAsString());
}

TEST(RecordWireDecoderTest, FollowsProtobufRulesForUnknownRepeatedAndOneofFields) {
  pb::Records records;
  pb::Record* record = records.add_records();
  record->set_schema_name("ignored");
  record->set_table_name("t");
  record->set_type(pb::UPDATE);
  (*record->mutable_data())["a"].set_long_(7);
  std::string wire = records.SerializeAsString();
  std::string more;  // a second record, fields in another order, with extras
  {
    pb::Record second;
    (*second.mutable_data())["k"].set_string("first");
    std::string body = second.SerializeAsString();
    pb::Record later;
    later.set_table_name("u");
    (*later.mutable_data())["k"].set_bool_(true);  // repeated map key: this entry wins
    (*later.mutable_data())["n"].set_int_(1);
    body += later.SerializeAsString();
    body += std::string("\xa0\x06\x2a", 3);                       // unknown varint field 100
    body += std::string("\xaa\x06\x03xyz", 6);                    // unknown bytes field 101
    body += std::string("\xad\x06\x01\x02\x03\x04", 6);           // unknown fixed32 field 101
    body += std::string("\xa9\x06", 2) + std::string(8, '\x01');  // unknown fixed64 field 101
    ASSERT_LT(body.size(), 128u);                                 // a one-byte length
    more =
        std::string("\x0a", 1) + static_cast<char>(body.size()) + body;  // Records.records, as is
  }
  wire += more;
  // A value with two oneof members: the later one wins.
  pb::Records oneof;
  pb::Record* r3 = oneof.add_records();
  r3->set_table_name("v");
  std::string value_bytes;
  {
    pb::ValueType first, second;
    first.set_string("dropped");
    second.set_double_(2.5);
    value_bytes = first.SerializeAsString() + second.SerializeAsString();
    pb::ValueType merged;
    ASSERT_TRUE(merged.ParseFromString(value_bytes));
    (*r3->mutable_data())["x"] = merged;
  }
  wire += oneof.SerializeAsString();
  ExpectDecodesAsGeneratedParser(wire);

  RecordWireDecoder decoder(wire);
  WireRecord decoded;
  ASSERT_TRUE(decoder.Next(decoded));
  EXPECT_EQ(decoded.table_name, "t");
  EXPECT_EQ(decoded.type, static_cast<int>(RecordType::kUpdate));
  ASSERT_TRUE(decoder.Next(decoded));
  EXPECT_EQ(decoded.table_name, "u");
  ASSERT_EQ(decoded.entries.size(), 3u);  // "k" twice: the applier keeps the later one
  EXPECT_EQ(decoded.entries[0].name, "k");
  EXPECT_EQ(decoded.entries[0].value.type, DataType::kString);
  const WireRecord::Entry& later_k =
      decoded.entries[1].name == "k" ? decoded.entries[1] : decoded.entries[2];
  EXPECT_EQ(later_k.name, "k");
  EXPECT_EQ(later_k.value.type,
            DataType::kBoolean);  // the map's order within `later` is unspecified
}

TEST(RecordWireDecoderTest, TruncatedOrMalformedBytesAreProtocolErrors) {
  const common::TableSchema table = testing::AllTypesTable();
  common::ValueBatch rows;
  rows.Reset(table.columns.size());
  testing::AppendAllTypesRow(rows, 42);
  std::string wire;
  RecordWireEncoder::AppendRecord(wire, table, RecordType::kUpsert, &rows.at(0, 0));
  // Every cut inside the record: an error, never a crash or a partial record.
  for (size_t size = 1; size < wire.size(); ++size) {
    const std::string cut = wire.substr(0, size);
    RecordWireDecoder decoder(cut);
    WireRecord record;
    EXPECT_THROW(decoder.Next(record), common::ProtocolError) << size;
  }
  WireRecord record;
  EXPECT_THROW(RecordWireDecoder(std::string("\x0d\x00\x00\x00\x00", 5)).Next(record),
               common::ProtocolError)
      << "records field with a fixed32 wire type";
  EXPECT_THROW(RecordWireDecoder(std::string("\x0a\x02\x10\x80", 4)).Next(record),
               common::ProtocolError)
      << "type: a varint cut short inside the record";
  EXPECT_THROW(RecordWireDecoder(std::string("\x0a\x02\x0f\x00", 4)).Next(record),
               common::ProtocolError)
      << "wire type 7";
  EXPECT_THROW(RecordWireDecoder(std::string("\x0a\x02\x22\x05", 4)).Next(record),
               common::ProtocolError)
      << "data entry longer than the record";
  std::string long_varint = "\x08";
  long_varint += std::string(10, '\xff') + "\x01";
  EXPECT_THROW(RecordWireDecoder(long_varint).Next(record), common::ProtocolError)
      << "11-byte varint";
}

TEST(UpdateResponseRecordsTest, FindsTheRecordsOperationOnly) {
  pb::UpdateResponse records;
  records.mutable_records()->add_records()->set_table_name("t");
  const std::string wire = records.SerializeAsString();
  const auto body = UpdateResponseRecords(wire);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, records.records().SerializeAsString());

  pb::UpdateResponse empty_records;
  empty_records.mutable_records();
  const std::string empty_wire = empty_records.SerializeAsString();
  ASSERT_TRUE(UpdateResponseRecords(empty_wire).has_value());
  EXPECT_TRUE(UpdateResponseRecords(empty_wire)->empty());

  pb::UpdateResponse checkpoint;
  checkpoint.mutable_checkpoint()->set_state_json("{}");
  EXPECT_FALSE(UpdateResponseRecords(checkpoint.SerializeAsString()).has_value());
  // Records followed by another oneof member: the later member is the operation.
  EXPECT_FALSE(UpdateResponseRecords(wire + checkpoint.SerializeAsString()).has_value());
  EXPECT_FALSE(UpdateResponseRecords("").has_value());
}

}  // namespace
}  // namespace ac::fivetran
