#include "fivetran/convert.h"

#include <gtest/gtest.h>

#include "fivetran/test_util.h"

namespace ac::fivetran {
namespace {

using common::DataType;

TEST(ConvertTest, DataTypeNumbersMatchTheProtocol) {
  EXPECT_EQ(ToProtoType(DataType::kUnspecified), pb::UNSPECIFIED);
  EXPECT_EQ(ToProtoType(DataType::kBoolean), pb::BOOLEAN);
  EXPECT_EQ(ToProtoType(DataType::kShort), pb::SHORT);
  EXPECT_EQ(ToProtoType(DataType::kInt), pb::INT);
  EXPECT_EQ(ToProtoType(DataType::kLong), pb::LONG);
  EXPECT_EQ(ToProtoType(DataType::kDecimal), pb::DECIMAL);
  EXPECT_EQ(ToProtoType(DataType::kFloat), pb::FLOAT);
  EXPECT_EQ(ToProtoType(DataType::kDouble), pb::DOUBLE);
  EXPECT_EQ(ToProtoType(DataType::kNaiveDate), pb::NAIVE_DATE);
  EXPECT_EQ(ToProtoType(DataType::kNaiveDateTime), pb::NAIVE_DATETIME);
  EXPECT_EQ(ToProtoType(DataType::kUtcDateTime), pb::UTC_DATETIME);
  EXPECT_EQ(ToProtoType(DataType::kBinary), pb::BINARY);
  EXPECT_EQ(ToProtoType(DataType::kXml), pb::XML);
  EXPECT_EQ(ToProtoType(DataType::kString), pb::STRING);
  EXPECT_EQ(ToProtoType(DataType::kJson), pb::JSON);
  EXPECT_EQ(ToProtoType(DataType::kNaiveTime), pb::NAIVE_TIME);
  for (int i = 0; i <= 15; ++i) {
    EXPECT_EQ(static_cast<int>(FromProtoType(static_cast<pb::DataType>(i))), i);
  }
  EXPECT_EQ(FromProtoType(static_cast<pb::DataType>(99)), DataType::kUnspecified);
}

TEST(ConvertTest, TableWithPrimaryKeyAndDecimalParams) {
  const common::TableSchema table = testing::AllTypesTable();
  pb::Table proto;
  ToProtoTable(table, &proto);
  EXPECT_EQ(proto.name(), "all_types");
  ASSERT_EQ(proto.columns_size(), static_cast<int>(table.columns.size()));
  EXPECT_EQ(proto.columns(0).name(), "id");
  EXPECT_TRUE(proto.columns(0).primary_key());
  EXPECT_EQ(proto.columns(0).type(), pb::LONG);
  EXPECT_FALSE(proto.columns(0).has_params());
  EXPECT_FALSE(proto.columns(1).primary_key());
  const pb::Column& amount = proto.columns(4);
  EXPECT_EQ(amount.type(), pb::DECIMAL);
  ASSERT_TRUE(amount.has_params());
  ASSERT_TRUE(amount.params().has_decimal());
  EXPECT_EQ(amount.params().decimal().precision(), 12u);
  EXPECT_EQ(amount.params().decimal().scale(), 2u);

  const common::TableSchema back = FromProtoTable(proto);
  ASSERT_EQ(back.columns.size(), table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) {
    EXPECT_EQ(back.columns[i].name, table.columns[i].name);
    EXPECT_EQ(back.columns[i].type, table.columns[i].type);
    EXPECT_EQ(back.columns[i].primary_key, table.columns[i].primary_key);
    EXPECT_EQ(back.columns[i].precision, table.columns[i].precision);
    EXPECT_EQ(back.columns[i].scale, table.columns[i].scale);
  }
}

TEST(ConvertTest, EveryTypeToValueTypeAndBack) {
  const common::TableSchema table = testing::AllTypesTable();
  common::ValueBatch batch;
  batch.Reset(table.columns.size());
  testing::AppendAllTypesRow(batch, 7);

  std::vector<pb::ValueType> values(table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) ToValueType(batch.at(0, c), &values[c]);
  EXPECT_EQ(values[0].long_(), 7);
  EXPECT_EQ(values[1].inner_case(), pb::ValueType::kBool);
  EXPECT_FALSE(values[1].bool_());
  EXPECT_EQ(values[2].short_(), -7);
  EXPECT_EQ(values[3].int_(), 7000);
  EXPECT_EQ(values[4].decimal(), "7.25");
  EXPECT_FLOAT_EQ(values[5].float_(), 10.5f);
  EXPECT_DOUBLE_EQ(values[6].double_(), 0.7);
  EXPECT_EQ(values[7].naive_date().seconds(), 19000 * 86400LL);
  EXPECT_EQ(values[7].naive_date().nanos(), 0);
  EXPECT_EQ(values[8].naive_datetime().seconds(), 1700000007);
  EXPECT_EQ(values[8].naive_datetime().nanos(), 123000000);
  EXPECT_EQ(values[9].utc_datetime().seconds(), 1700000007);
  EXPECT_EQ(values[9].utc_datetime().nanos(), 999999999);
  EXPECT_EQ(values[10].binary(), std::string("\x00\x01\xff", 3));
  EXPECT_EQ(values[11].xml(), "<a>7</a>");
  EXPECT_EQ(values[12].string(), "name \"7\" \xC3\xA9");
  EXPECT_EQ(values[13].json(), "{\"k\":[1,2,7]}");

  common::ValueBatch out;
  out.Reset(table.columns.size());
  common::Value* row = out.AppendRow();
  for (size_t c = 0; c < table.columns.size(); ++c) {
    EXPECT_EQ(ValueTypeDataType(values[c]), table.columns[c].type) << table.columns[c].name;
    row[c] = FromValueType(values[c], table.columns[c].type, out);
    const auto expected = testing::RecordingSink::ToCell(batch.at(0, c));
    const auto actual = testing::RecordingSink::ToCell(row[c]);
    EXPECT_EQ(actual.type, expected.type) << table.columns[c].name;
    EXPECT_FALSE(actual.is_null);
    EXPECT_EQ(actual.boolean, expected.boolean);
    EXPECT_EQ(actual.integer, expected.integer);
    EXPECT_EQ(actual.floating, expected.floating);
    EXPECT_EQ(actual.timestamp, expected.timestamp);
    EXPECT_EQ(actual.text, expected.text);
  }
}

TEST(ConvertTest, NullOfEveryType) {
  for (int t = 0; t <= 15; ++t) {
    const common::Value value = common::Value::Null(static_cast<DataType>(t));
    pb::ValueType proto;
    ToValueType(value, &proto);
    EXPECT_EQ(proto.inner_case(), pb::ValueType::kNull);
    EXPECT_TRUE(proto.null());
    EXPECT_EQ(ValueTypeDataType(proto), DataType::kUnspecified);
    common::ValueBatch batch;
    batch.Reset(1);
    const common::Value back = FromValueType(proto, static_cast<DataType>(t), batch);
    EXPECT_TRUE(back.is_null);
    EXPECT_EQ(back.type, static_cast<DataType>(t));
  }
}

TEST(ConvertTest, NaiveTimeAndEmptyText) {
  common::Value time;
  time.type = DataType::kNaiveTime;
  time.is_null = false;
  time.timestamp = {3600 + 61, 5};
  pb::ValueType proto;
  ToValueType(time, &proto);
  EXPECT_EQ(proto.naive_time().seconds(), 3661);

  common::Value empty;
  empty.type = DataType::kString;
  empty.is_null = false;
  pb::ValueType text;
  ToValueType(empty, &text);
  EXPECT_EQ(text.inner_case(), pb::ValueType::kString);
  EXPECT_EQ(text.string(), "");
}

TEST(ConvertTest, NumbersWidenToTheColumnType) {
  common::ValueBatch batch;
  batch.Reset(1);
  pb::ValueType v;
  v.set_int_(42);
  common::Value out = FromValueType(v, DataType::kLong, batch);
  EXPECT_EQ(out.type, DataType::kLong);
  EXPECT_EQ(out.int64, 42);
  out = FromValueType(v, DataType::kDouble, batch);
  EXPECT_EQ(out.type, DataType::kDouble);
  EXPECT_DOUBLE_EQ(out.float64, 42.0);
  out = FromValueType(v, DataType::kUnspecified, batch);
  EXPECT_EQ(out.type, DataType::kInt);
  EXPECT_EQ(out.int32, 42);
  // A value of another family keeps its own type.
  out = FromValueType(v, DataType::kString, batch);
  EXPECT_EQ(out.type, DataType::kInt);
  pb::ValueType s;
  s.set_string("x");
  out = FromValueType(s, DataType::kLong, batch);
  EXPECT_EQ(out.type, DataType::kString);
  EXPECT_EQ(out.text, "x");
  pb::ValueType f;
  f.set_float_(0.5f);
  out = FromValueType(f, DataType::kDouble, batch);
  EXPECT_EQ(out.type, DataType::kDouble);
  EXPECT_DOUBLE_EQ(out.float64, 0.5);
}

}  // namespace
}  // namespace ac::fivetran
