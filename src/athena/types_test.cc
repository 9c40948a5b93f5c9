#include "athena/types.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ac::athena {
namespace {

using common::DataType;

TEST(TypeFromColumnInfoTest, MapsEveryDmlBaseName) {
  const std::vector<std::pair<std::string, TypeId>> cases = {
      {"boolean", TypeId::kBoolean},
      {"tinyint", TypeId::kTinyint},
      {"smallint", TypeId::kSmallint},
      {"integer", TypeId::kInteger},
      {"bigint", TypeId::kBigint},
      {"real", TypeId::kReal},
      {"float", TypeId::kReal},
      {"double", TypeId::kDouble},
      {"decimal", TypeId::kDecimal},
      {"char", TypeId::kChar},
      {"varchar", TypeId::kVarchar},
      {"varbinary", TypeId::kVarbinary},
      {"date", TypeId::kDate},
      {"time", TypeId::kTime},
      {"time with time zone", TypeId::kTimeWithTimeZone},
      {"timestamp", TypeId::kTimestamp},
      {"timestamp with time zone", TypeId::kTimestampWithTimeZone},
      {"interval year to month", TypeId::kIntervalYearToMonth},
      {"interval day to second", TypeId::kIntervalDayToSecond},
      {"array", TypeId::kArray},
      {"map", TypeId::kMap},
      {"row", TypeId::kRow},
      {"json", TypeId::kJson},
      {"ipaddress", TypeId::kIpAddress},
      {"uuid", TypeId::kUuid},
      {"unknown", TypeId::kUnknown},
  };
  for (const auto& [name, id] : cases) {
    const AthenaType type = TypeFromColumnInfo(name, 0, 0);
    EXPECT_EQ(type.id, id) << name;
    EXPECT_TRUE(type.children.empty()) << name;
  }
}

TEST(TypeFromColumnInfoTest, MapsHiveNamesOfDdlResults) {
  EXPECT_EQ(TypeFromColumnInfo("string", 0, 0).id, TypeId::kVarchar);
  EXPECT_EQ(TypeFromColumnInfo("int", 10, 0).id, TypeId::kInteger);
  EXPECT_EQ(TypeFromColumnInfo("binary", 0, 0).id, TypeId::kVarbinary);
  EXPECT_EQ(TypeFromColumnInfo("struct", 0, 0).id, TypeId::kRow);
}

TEST(TypeFromColumnInfoTest, IsCaseAndSpaceInsensitive) {
  EXPECT_EQ(TypeFromColumnInfo("BIGINT", 19, 0).id, TypeId::kBigint);
  EXPECT_EQ(TypeFromColumnInfo("  Timestamp   With Time  Zone ", 3, 0).id,
            TypeId::kTimestampWithTimeZone);
  EXPECT_EQ(TypeFromColumnInfo("geometry", 0, 0).id, TypeId::kUnknown);
  EXPECT_EQ(TypeFromColumnInfo("", 0, 0).id, TypeId::kUnknown);
}

TEST(TypeFromColumnInfoTest, KeepsOnlyMeaningfulParameters) {
  const AthenaType decimal = TypeFromColumnInfo("decimal", 10, 1);
  EXPECT_EQ(decimal.precision, 10);
  EXPECT_EQ(decimal.scale, 1);
  EXPECT_EQ(decimal.ToString(), "decimal(10,1)");

  EXPECT_EQ(TypeFromColumnInfo("varchar", 2147483647, 0).precision, 0);  // unbounded
  EXPECT_EQ(TypeFromColumnInfo("varchar", 2147483647, 0).ToString(), "varchar");
  EXPECT_EQ(TypeFromColumnInfo("varchar", 10, 0).ToString(), "varchar(10)");
  EXPECT_EQ(TypeFromColumnInfo("timestamp", 3, 0).ToString(), "timestamp(3)");
  EXPECT_EQ(TypeFromColumnInfo("double", 17, 0).ToString(), "double");
  EXPECT_EQ(TypeFromColumnInfo("varbinary", 1073741824, 0).ToString(), "varbinary");
  EXPECT_EQ(TypeFromColumnInfo("integer", 10, 0).ToString(), "integer");
}

TEST(TypeFromColumnInfoTest, ToleratesFullTypeText) {
  const AthenaType decimal = TypeFromColumnInfo("decimal(12,3)", 0, 0);
  EXPECT_EQ(decimal.id, TypeId::kDecimal);
  EXPECT_EQ(decimal.precision, 12);
  EXPECT_EQ(decimal.scale, 3);
  EXPECT_EQ(TypeFromColumnInfo("array(integer)", 0, 0).ToString(), "array(integer)");
}

TEST(ParseDeclaredTypeTest, ParsesHiveScalars) {
  EXPECT_EQ(ParseDeclaredType("decimal(10,2)").ToString(), "decimal(10,2)");
  EXPECT_EQ(ParseDeclaredType("decimal").ToString(), "decimal(10,0)");  // Hive's default
  EXPECT_EQ(ParseDeclaredType("varchar(20)").ToString(), "varchar(20)");
  EXPECT_EQ(ParseDeclaredType("char(3)").ToString(), "char(3)");
  EXPECT_EQ(ParseDeclaredType("timestamp").ToString(), "timestamp");
  EXPECT_EQ(ParseDeclaredType("float").ToString(), "real");
  EXPECT_EQ(ParseDeclaredType("binary").ToString(), "varbinary");
  EXPECT_EQ(ParseDeclaredType("string").ToString(), "varchar");
  EXPECT_EQ(ParseDeclaredType("int").ToString(), "integer");
  EXPECT_EQ(ParseDeclaredType("date").ToString(), "date");
  EXPECT_EQ(ParseDeclaredType("boolean").ToString(), "boolean");
}

TEST(ParseDeclaredTypeTest, ParsesHiveNestedTypes) {
  const AthenaType type = ParseDeclaredType("array<struct<a:int,b:array<string>>>");
  ASSERT_EQ(type.id, TypeId::kArray);
  ASSERT_EQ(type.children.size(), 1u);
  const AthenaType& row = type.children[0].type;
  ASSERT_EQ(row.id, TypeId::kRow);
  ASSERT_EQ(row.children.size(), 2u);
  EXPECT_EQ(row.children[0].name, "a");
  EXPECT_EQ(row.children[0].type.id, TypeId::kInteger);
  EXPECT_EQ(row.children[1].name, "b");
  EXPECT_EQ(row.children[1].type.id, TypeId::kArray);
  EXPECT_EQ(row.children[1].type.children[0].type.id, TypeId::kVarchar);
  EXPECT_EQ(type.ToString(), "array(row(a integer, b array(varchar)))");

  const AthenaType map = ParseDeclaredType("map<string,decimal(10,2)>");
  ASSERT_EQ(map.id, TypeId::kMap);
  ASSERT_EQ(map.children.size(), 2u);
  EXPECT_EQ(map.children[1].type.precision, 10);
  EXPECT_EQ(map.children[1].type.scale, 2);
  EXPECT_EQ(map.ToString(), "map(varchar, decimal(10,2))");
}

TEST(ParseDeclaredTypeTest, ParsesTrinoSyntax) {
  EXPECT_EQ(ParseDeclaredType("row(a integer, b varchar)").ToString(), "row(a integer, b varchar)");
  EXPECT_EQ(ParseDeclaredType("array(row(x double))").ToString(), "array(row(x double))");
  EXPECT_EQ(ParseDeclaredType("decimal(38,0)").ToString(), "decimal(38,0)");
  EXPECT_EQ(ParseDeclaredType("map(varchar, array(bigint))").ToString(),
            "map(varchar, array(bigint))");

  const AthenaType tz = ParseDeclaredType("timestamp(3) with time zone");
  EXPECT_EQ(tz.id, TypeId::kTimestampWithTimeZone);
  EXPECT_EQ(tz.precision, 3);
  EXPECT_EQ(tz.ToString(), "timestamp(3) with time zone");
  EXPECT_EQ(ParseDeclaredType("timestamp(6)").ToString(), "timestamp(6)");
  EXPECT_EQ(ParseDeclaredType("timestamp without time zone").id, TypeId::kTimestamp);
  EXPECT_EQ(ParseDeclaredType("time with time zone").id, TypeId::kTimeWithTimeZone);
  EXPECT_EQ(ParseDeclaredType("interval year to month").id, TypeId::kIntervalYearToMonth);
  EXPECT_EQ(ParseDeclaredType("interval day to second").id, TypeId::kIntervalDayToSecond);
  EXPECT_EQ(ParseDeclaredType("double precision").id, TypeId::kDouble);
  EXPECT_EQ(ParseDeclaredType("json").id, TypeId::kJson);
  EXPECT_EQ(ParseDeclaredType("ipaddress").id, TypeId::kIpAddress);
  EXPECT_EQ(ParseDeclaredType("uuid").id, TypeId::kUuid);
}

TEST(ParseDeclaredTypeTest, IsCaseInsensitiveAndToleratesSpaces) {
  const AthenaType type =
      ParseDeclaredType("  ARRAY < STRUCT < Name : STRING , Price : DECIMAL ( 10 , 2 ) > >  ");
  EXPECT_EQ(type.ToString(), "array(row(Name varchar, Price decimal(10,2)))");
  EXPECT_EQ(ParseDeclaredType("Row( A Integer,B  VarChar(5) )").ToString(),
            "row(A integer, B varchar(5))");
  EXPECT_EQ(ParseDeclaredType("TIMESTAMP(3)   WITH  TIME ZONE").id, TypeId::kTimestampWithTimeZone);
}

TEST(ParseDeclaredTypeTest, ReadsQuotedFieldNames) {
  const AthenaType type =
      ParseDeclaredType(R"(row("first name" varchar, "say ""hi""" integer, plain bigint))");
  ASSERT_EQ(type.children.size(), 3u);
  EXPECT_EQ(type.children[0].name, "first name");
  EXPECT_EQ(type.children[1].name, "say \"hi\"");
  EXPECT_EQ(type.children[1].type.id, TypeId::kInteger);
  EXPECT_EQ(type.children[2].name, "plain");
  EXPECT_EQ(type.ToString(), R"(row("first name" varchar, "say ""hi""" integer, plain bigint))");

  const AthenaType hive = ParseDeclaredType("struct<`a b`:int,`c`:string>");
  ASSERT_EQ(hive.children.size(), 2u);
  EXPECT_EQ(hive.children[0].name, "a b");
  EXPECT_EQ(hive.children[1].name, "c");
}

TEST(ParseDeclaredTypeTest, ReadsAnonymousRowFields) {
  const AthenaType type =
      ParseDeclaredType("row(integer, varchar(3), double precision, timestamp with time zone)");
  ASSERT_EQ(type.children.size(), 4u);
  for (const Field& field : type.children) EXPECT_TRUE(field.name.empty());
  EXPECT_EQ(type.children[0].type.id, TypeId::kInteger);
  EXPECT_EQ(type.children[1].type.precision, 3);
  EXPECT_EQ(type.children[2].type.id, TypeId::kDouble);
  EXPECT_EQ(type.children[3].type.id, TypeId::kTimestampWithTimeZone);
  EXPECT_EQ(type.ToString(), "row(integer, varchar(3), double, timestamp with time zone)");

  const AthenaType named = ParseDeclaredType("row(a double precision, timestamp timestamp(3))");
  ASSERT_EQ(named.children.size(), 2u);
  EXPECT_EQ(named.children[0].name, "a");
  EXPECT_EQ(named.children[0].type.id, TypeId::kDouble);
  EXPECT_EQ(named.children[1].name, "timestamp");
  EXPECT_EQ(named.children[1].type.id, TypeId::kTimestamp);
}

TEST(ParseDeclaredTypeTest, UnknownNamesGiveUnknown) {
  EXPECT_EQ(ParseDeclaredType("geometry").id, TypeId::kUnknown);
  EXPECT_EQ(ParseDeclaredType("uniontype<int,string>").id, TypeId::kUnknown);
  const AthenaType array = ParseDeclaredType("array<uniontype<int,string>>");
  ASSERT_EQ(array.id, TypeId::kArray);
  EXPECT_EQ(array.children[0].type.id, TypeId::kUnknown);
  const AthenaType row = ParseDeclaredType("row(g geometry, n integer)");
  ASSERT_EQ(row.children.size(), 2u);
  EXPECT_EQ(row.children[0].name, "g");
  EXPECT_EQ(row.children[0].type.id, TypeId::kUnknown);
}

TEST(ParseDeclaredTypeTest, MalformedTextKeepsTheOuterKind) {
  const AthenaType array = ParseDeclaredType("array<int");
  EXPECT_EQ(array.id, TypeId::kArray);
  EXPECT_TRUE(array.children.empty());
  EXPECT_EQ(ParseDeclaredType("map<string>").id, TypeId::kMap);
  EXPECT_EQ(ParseDeclaredType("").id, TypeId::kUnknown);
  EXPECT_EQ(ParseDeclaredType("decimal(10,").id, TypeId::kDecimal);
  EXPECT_EQ(ParseDeclaredType("array").id, TypeId::kArray);  // bare: children unknown
}

TEST(ParseDeclaredTypeTest, ToStringRoundTrips) {
  for (const char* text :
       {"array(row(a integer, b array(varchar)))", "map(varchar, decimal(10,2))",
        "row(\"a b\" integer, c map(bigint, array(double)))", "timestamp(3) with time zone",
        "time(3)", "char(3)", "varchar", "row(integer, varchar)", "interval day to second",
        "array(array(array(boolean)))"}) {
    const AthenaType type = ParseDeclaredType(text);
    EXPECT_EQ(type.ToString(), text);
    EXPECT_EQ(ParseDeclaredType(type.ToString()).ToString(), text);
  }
}

TEST(ToFivetranTypeTest, FollowsTheMapping) {
  const std::vector<std::pair<TypeId, DataType>> cases = {
      {TypeId::kBoolean, DataType::kBoolean},
      {TypeId::kTinyint, DataType::kShort},
      {TypeId::kSmallint, DataType::kShort},
      {TypeId::kInteger, DataType::kInt},
      {TypeId::kBigint, DataType::kLong},
      {TypeId::kReal, DataType::kFloat},
      {TypeId::kDouble, DataType::kDouble},
      {TypeId::kDecimal, DataType::kDecimal},
      {TypeId::kChar, DataType::kString},
      {TypeId::kVarchar, DataType::kString},
      {TypeId::kVarbinary, DataType::kBinary},
      {TypeId::kDate, DataType::kNaiveDate},
      {TypeId::kTime, DataType::kString},
      {TypeId::kTimeWithTimeZone, DataType::kString},
      {TypeId::kTimestamp, DataType::kNaiveDateTime},
      {TypeId::kTimestampWithTimeZone, DataType::kUtcDateTime},
      {TypeId::kIntervalYearToMonth, DataType::kString},
      {TypeId::kIntervalDayToSecond, DataType::kString},
      {TypeId::kArray, DataType::kJson},
      {TypeId::kMap, DataType::kJson},
      {TypeId::kRow, DataType::kJson},
      {TypeId::kJson, DataType::kJson},
      {TypeId::kIpAddress, DataType::kString},
      {TypeId::kUuid, DataType::kString},
      {TypeId::kUnknown, DataType::kString},
  };
  for (const auto& [id, expected] : cases) {
    AthenaType type;
    type.id = id;
    EXPECT_EQ(ToFivetranType(type), expected) << type.ToString();
  }
}

TEST(ToColumnSchemaTest, CarriesNameKeyAndDecimalParameters) {
  const common::ColumnSchema price =
      ToColumnSchema(Column{"price", ParseDeclaredType("decimal(12,4)")}, false);
  EXPECT_EQ(price.name, "price");
  EXPECT_EQ(price.type, DataType::kDecimal);
  EXPECT_FALSE(price.primary_key);
  EXPECT_EQ(price.precision, 12u);
  EXPECT_EQ(price.scale, 4u);

  const common::ColumnSchema id =
      ToColumnSchema(Column{"customer_id", TypeFromColumnInfo("bigint", 19, 0)}, true);
  EXPECT_EQ(id.type, DataType::kLong);
  EXPECT_TRUE(id.primary_key);
  EXPECT_EQ(id.precision, 0u);
  EXPECT_EQ(id.scale, 0u);

  // A decimal whose precision is unknown gets Athena's maximum.
  const common::ColumnSchema unknown =
      ToColumnSchema(Column{"d", TypeFromColumnInfo("decimal", 0, 0)}, false);
  EXPECT_EQ(unknown.precision, 38u);
  EXPECT_EQ(unknown.scale, 0u);
}

}  // namespace
}  // namespace ac::athena
