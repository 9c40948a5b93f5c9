#include "athena/value_decoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "athena/complex_json.h"
#include "common/error.h"

namespace ac::athena {
namespace {

using common::DataType;
using common::Timestamp;
using common::Value;
using Cells = std::vector<std::optional<std::string>>;

/// Decodes one column of cells; values stay valid while `batch` lives.
std::vector<Value> DecodeColumn(const AthenaType& type, const Cells& cells,
                                common::ValueBatch& batch) {
  ValueDecoder decoder({Column{"c", type}});
  RowBatch rows(1);
  for (const auto& cell : cells) {
    if (cell) {
      rows.AppendCell(*cell);
    } else {
      rows.AppendNull();
    }
  }
  decoder.Decode(rows, batch);
  std::vector<Value> out;
  for (size_t r = 0; r < batch.num_rows(); ++r) out.push_back(batch.at(r, 0));
  return out;
}

Value DecodeOne(const AthenaType& type, const std::string& text, common::ValueBatch& batch) {
  return DecodeColumn(type, {text}, batch).at(0);
}

Value DecodeOne(std::string_view type_text, const std::string& text, common::ValueBatch& batch) {
  return DecodeOne(ParseDeclaredType(type_text), text, batch);
}

/// The ProtocolError message of decoding `text`, or "" when it decodes.
std::string DecodeError(std::string_view type_text, const std::string& text) {
  common::ValueBatch batch;
  try {
    DecodeOne(type_text, text, batch);
  } catch (const common::ProtocolError& e) {
    return e.what();
  }
  return "";
}

/// Decodes a complex value and parses the JSON it produced (which must be valid).
nlohmann::json DecodeJson(const AthenaType& type, const std::string& text) {
  common::ValueBatch batch;
  const Value v = DecodeOne(type, text, batch);
  EXPECT_EQ(v.type, DataType::kJson);
  EXPECT_FALSE(v.is_null);
  return nlohmann::json::parse(v.text);  // throws on invalid JSON
}

nlohmann::json DecodeJson(std::string_view type_text, const std::string& text) {
  return DecodeJson(ParseDeclaredType(type_text), text);
}

nlohmann::json J(const char* text) {
  return nlohmann::json::parse(text);
}

// --- scalars --------------------------------------------------------------------------------

TEST(ValueDecoderTest, ReportsFivetranTypesPerColumn) {
  ValueDecoder decoder({Column{"a", TypeFromColumnInfo("bigint", 19, 0)},
                        Column{"b", TypeFromColumnInfo("varchar", 2147483647, 0)},
                        Column{"c", TypeFromColumnInfo("decimal", 10, 2)}});
  EXPECT_EQ(decoder.types(),
            (std::vector<DataType>{DataType::kLong, DataType::kString, DataType::kDecimal}));
  EXPECT_EQ(decoder.columns().size(), 3u);
}

TEST(ValueDecoderTest, Booleans) {
  common::ValueBatch batch;
  const auto v = DecodeColumn(ParseDeclaredType("boolean"), {"true", "false", std::nullopt}, batch);
  EXPECT_EQ(v[0].type, DataType::kBoolean);
  EXPECT_TRUE(v[0].boolean);
  EXPECT_FALSE(v[0].is_null);
  EXPECT_FALSE(v[1].boolean);
  EXPECT_TRUE(v[2].is_null);
  EXPECT_EQ(v[2].type, DataType::kBoolean);
  EXPECT_NE(DecodeError("boolean", "yes"), "");
  EXPECT_NE(DecodeError("boolean", ""), "");
}

TEST(ValueDecoderTest, NullIsNotTheEmptyString) {
  common::ValueBatch batch;
  const auto v = DecodeColumn(ParseDeclaredType("varchar"), {std::nullopt, "", "x"}, batch);
  EXPECT_TRUE(v[0].is_null);
  EXPECT_EQ(v[0].type, DataType::kString);
  EXPECT_FALSE(v[1].is_null);
  EXPECT_EQ(v[1].text, "");
  EXPECT_EQ(v[2].text, "x");
  // NULL of every type is a null value of the column's Fivetran type.
  for (const char* type : {"bigint", "double", "decimal(10,2)", "date", "timestamp", "varbinary",
                           "array(integer)", "timestamp with time zone", "json"}) {
    const auto nulls = DecodeColumn(ParseDeclaredType(type), {std::nullopt}, batch);
    EXPECT_TRUE(nulls[0].is_null) << type;
    EXPECT_EQ(nulls[0].type, ToFivetranType(ParseDeclaredType(type))) << type;
  }
}

TEST(ValueDecoderTest, IntegersAtTheirBounds) {
  common::ValueBatch batch;
  auto tiny = DecodeColumn(ParseDeclaredType("tinyint"), {"-128", "127", "0"}, batch);
  EXPECT_EQ(tiny[0].type, DataType::kShort);
  EXPECT_EQ(tiny[0].int32, -128);
  EXPECT_EQ(tiny[1].int32, 127);
  auto small = DecodeColumn(ParseDeclaredType("smallint"), {"-32768", "32767"}, batch);
  EXPECT_EQ(small[0].type, DataType::kShort);
  EXPECT_EQ(small[0].int32, -32768);
  EXPECT_EQ(small[1].int32, 32767);
  auto integer = DecodeColumn(ParseDeclaredType("integer"), {"-2147483648", "2147483647"}, batch);
  EXPECT_EQ(integer[0].type, DataType::kInt);
  EXPECT_EQ(integer[0].int32, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(integer[1].int32, std::numeric_limits<int32_t>::max());
  auto big = DecodeColumn(ParseDeclaredType("bigint"),
                          {"-9223372036854775808", "9223372036854775807", "+7"}, batch);
  EXPECT_EQ(big[0].type, DataType::kLong);
  EXPECT_EQ(big[0].int64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(big[1].int64, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(big[2].int64, 7);
}

TEST(ValueDecoderTest, IntegersOutOfRangeOrMalformedFail) {
  EXPECT_NE(DecodeError("tinyint", "128"), "");
  EXPECT_NE(DecodeError("tinyint", "-129"), "");
  EXPECT_NE(DecodeError("smallint", "32768"), "");
  EXPECT_NE(DecodeError("integer", "2147483648"), "");
  EXPECT_NE(DecodeError("integer", "-2147483649"), "");
  EXPECT_NE(DecodeError("bigint", "9223372036854775808"), "");
  EXPECT_NE(DecodeError("bigint", "-9223372036854775809"), "");
  EXPECT_NE(DecodeError("bigint", "1.5"), "");
  EXPECT_NE(DecodeError("bigint", " 1"), "");
  EXPECT_NE(DecodeError("bigint", ""), "");
  EXPECT_NE(DecodeError("bigint", "-"), "");
  EXPECT_NE(DecodeError("integer", "12abc"), "");
}

TEST(ValueDecoderTest, JavaStyleFloats) {
  common::ValueBatch batch;
  auto d = DecodeColumn(ParseDeclaredType("double"),
                        {"0.5", "1.0E10", "9.99E-4", "NaN", "Infinity", "-Infinity", "-0.0",
                         "4.9E-324", "1.7976931348623157E308", "123"},
                        batch);
  EXPECT_EQ(d[0].type, DataType::kDouble);
  EXPECT_EQ(d[0].float64, 0.5);
  EXPECT_EQ(d[1].float64, 1.0e10);
  EXPECT_EQ(d[2].float64, 9.99e-4);
  EXPECT_TRUE(std::isnan(d[3].float64));
  EXPECT_EQ(d[4].float64, std::numeric_limits<double>::infinity());
  EXPECT_EQ(d[5].float64, -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::signbit(d[6].float64));
  EXPECT_EQ(d[7].float64, 4.9e-324);
  EXPECT_EQ(d[8].float64, std::numeric_limits<double>::max());
  EXPECT_EQ(d[9].float64, 123.0);

  auto r = DecodeColumn(ParseDeclaredType("real"),
                        {"0.25", "3.4028235E38", "1.4E-45", "NaN", "-Infinity"}, batch);
  EXPECT_EQ(r[0].type, DataType::kFloat);
  EXPECT_EQ(r[0].float32, 0.25f);
  EXPECT_EQ(r[1].float32, std::numeric_limits<float>::max());
  EXPECT_EQ(r[2].float32, std::numeric_limits<float>::denorm_min());
  EXPECT_TRUE(std::isnan(r[3].float32));
  EXPECT_EQ(r[4].float32, -std::numeric_limits<float>::infinity());

  EXPECT_NE(DecodeError("double", "abc"), "");
  EXPECT_NE(DecodeError("double", "1,5"), "");
  EXPECT_NE(DecodeError("double", ""), "");
  EXPECT_NE(DecodeError("double", "1e400"), "");
  EXPECT_NE(DecodeError("double", "0x1p3"), "");
  EXPECT_NE(DecodeError("real", "1.0E39"), "");
}

TEST(ValueDecoderTest, DecimalsKeepTheirDigits) {
  common::ValueBatch batch;
  auto v = DecodeColumn(ParseDeclaredType("decimal(38,2)"),
                        {"123.45", "-0.10", "+5", "0", "123456789012345678901234567890123456.78"},
                        batch);
  EXPECT_EQ(v[0].type, DataType::kDecimal);
  EXPECT_EQ(v[0].text, "123.45");
  EXPECT_EQ(v[1].text, "-0.10");
  EXPECT_EQ(v[2].text, "5");
  EXPECT_EQ(v[3].text, "0");
  EXPECT_EQ(v[4].text, "123456789012345678901234567890123456.78");
  EXPECT_NE(DecodeError("decimal(10,2)", "1.2.3"), "");
  EXPECT_NE(DecodeError("decimal(10,2)", "abc"), "");
  EXPECT_NE(DecodeError("decimal(10,2)", ""), "");
  EXPECT_NE(DecodeError("decimal(10,2)", "-"), "");
  EXPECT_NE(DecodeError("decimal(10,2)", "1e5"), "");
}

TEST(ValueDecoderTest, VarbinaryHexPairs) {
  common::ValueBatch batch;
  auto v = DecodeColumn(ParseDeclaredType("varbinary"),
                        {"31 32 33", "", "00 ff 7F", "313233", std::nullopt}, batch);
  EXPECT_EQ(v[0].type, DataType::kBinary);
  EXPECT_EQ(v[0].text, "123");
  EXPECT_FALSE(v[1].is_null);
  EXPECT_EQ(v[1].text.size(), 0u);
  EXPECT_EQ(v[2].text, std::string("\x00\xff\x7f", 3));
  EXPECT_EQ(v[3].text, "123");
  EXPECT_TRUE(v[4].is_null);
  EXPECT_NE(DecodeError("varbinary", "3"), "");
  EXPECT_NE(DecodeError("varbinary", "zz"), "");
  EXPECT_NE(DecodeError("varbinary", "31  32"), "");
  EXPECT_NE(DecodeError("varbinary", " 31"), "");
}

TEST(ValueDecoderTest, Dates) {
  common::ValueBatch batch;
  auto v = DecodeColumn(ParseDeclaredType("date"),
                        {"1970-01-01", "1969-12-31", "2024-02-29", "0001-01-01", "9999-12-31",
                         "-0001-12-31", "+10000-01-01"},
                        batch);
  EXPECT_EQ(v[0].type, DataType::kNaiveDate);
  EXPECT_EQ(v[0].timestamp, (Timestamp{0, 0}));
  EXPECT_EQ(v[1].timestamp, (Timestamp{-86400, 0}));
  EXPECT_EQ(v[2].timestamp, (Timestamp{1709164800, 0}));
  EXPECT_EQ(v[3].timestamp, (Timestamp{-62135596800, 0}));
  EXPECT_EQ(v[4].timestamp, (Timestamp{253402214400, 0}));
  // -0001-12-31 is a year (366 days: year 0 is leap) before 0000-12-31, the day before 0001-01-01.
  EXPECT_EQ(v[5].timestamp.seconds, -62135596800 - 86400 - 366 * 86400);
  EXPECT_EQ(v[6].timestamp.seconds, 253402214400 + 86400);
  EXPECT_NE(DecodeError("date", "2023-02-29"), "");
  EXPECT_NE(DecodeError("date", "2024-13-01"), "");
  EXPECT_NE(DecodeError("date", "24-01-01"), "");
  EXPECT_NE(DecodeError("date", "2024-1-01"), "");
  EXPECT_NE(DecodeError("date", "2024-01-01 00:00:00"), "");
  EXPECT_NE(DecodeError("date", ""), "");
}

// Found by tests/fuzz/value_decoder (value_decoder/crash-year-overflow): a year of more digits
// than int64_t holds overflowed (undefined behaviour) before it was refused for its length.
TEST(ValueDecoderTest, YearsOfTooManyDigitsAreRefusedWithoutOverflow) {
  const std::string year(70, '7');
  EXPECT_NE(DecodeError("timestamp", year + "2024-01-02 03:04:05.123"), "");
  EXPECT_NE(DecodeError("timestamp", year + "-01-02 03:04:05"), "");
  EXPECT_NE(DecodeError("date", "-" + year + "-01-02"), "");
  EXPECT_NE(DecodeError("timestamp with time zone", year + "-01-02 03:04:05 UTC"), "");
  EXPECT_NE(DecodeError("date", "1234567890-01-01"), "");  // ten digits: one too many
}

TEST(ValueDecoderTest, TimestampsWithAnyFraction) {
  common::ValueBatch batch;
  auto v = DecodeColumn(ParseDeclaredType("timestamp"),
                        {"2001-08-22 03:04:05.321", "2001-08-22 03:04:05", "2001-08-22 03:04:05.1",
                         "2001-08-22 03:04:05.123456", "2001-08-22 03:04:05.123456789",
                         "2001-08-22 03:04:05.123456789123", "2001-08-22T03:04:05.321",
                         "1969-12-31 23:59:59.999", "1900-01-01 00:00:00.000", "2001-08-22 03:04"},
                        batch);
  EXPECT_EQ(v[0].type, DataType::kNaiveDateTime);
  EXPECT_EQ(v[0].timestamp, (Timestamp{998449445, 321000000}));
  EXPECT_EQ(v[1].timestamp, (Timestamp{998449445, 0}));
  EXPECT_EQ(v[2].timestamp, (Timestamp{998449445, 100000000}));
  EXPECT_EQ(v[3].timestamp, (Timestamp{998449445, 123456000}));
  EXPECT_EQ(v[4].timestamp, (Timestamp{998449445, 123456789}));
  EXPECT_EQ(v[5].timestamp, (Timestamp{998449445, 123456789}));  // picoseconds truncated
  EXPECT_EQ(v[6].timestamp, (Timestamp{998449445, 321000000}));
  EXPECT_EQ(v[7].timestamp, (Timestamp{-1, 999000000}));
  EXPECT_EQ(v[8].timestamp, (Timestamp{-2208988800, 0}));
  EXPECT_EQ(v[9].timestamp, (Timestamp{998449440, 0}));

  EXPECT_NE(DecodeError("timestamp", "2001-08-22 24:00:00.000"), "");
  EXPECT_NE(DecodeError("timestamp", "2001-08-22 03:60:00.000"), "");
  EXPECT_NE(DecodeError("timestamp", "2001-08-22"), "");
  EXPECT_NE(DecodeError("timestamp", "2001-08-22 03:04:05."), "");
  EXPECT_NE(DecodeError("timestamp", "2001-08-22 03:04:05.1234567890123"), "");
  EXPECT_NE(DecodeError("timestamp", "2001-08-22 03:04:05.321 UTC"), "");
}

TEST(ValueDecoderTest, TimestampsWithTimeZoneBecomeUtcInstants) {
  common::ValueBatch batch;
  auto v =
      DecodeColumn(ParseDeclaredType("timestamp(3) with time zone"),
                   {"2001-08-22 03:04:05.321 UTC", "2001-08-22 03:04:05.321 America/Los_Angeles",
                    "2001-01-15 03:04:05.000 America/Los_Angeles", "2001-08-22 03:04:05.321 +05:30",
                    "2001-08-22 03:04:05.321 -08:00", "2001-08-22T03:04:05.321Z",
                    "2001-08-22 03:04:05 Z", "2001-08-22 03:04:05.321 Asia/Kolkata",
                    "1960-07-01 00:00:00.000 America/Los_Angeles", "2001-08-22 03:04:05.321+02:00"},
                   batch);
  EXPECT_EQ(v[0].type, DataType::kUtcDateTime);
  EXPECT_EQ(v[0].timestamp, (Timestamp{998449445, 321000000}));
  EXPECT_EQ(v[1].timestamp, (Timestamp{998474645, 321000000}));  // PDT, UTC-7
  EXPECT_EQ(v[2].timestamp, (Timestamp{979556645, 0}));          // PST, UTC-8
  EXPECT_EQ(v[3].timestamp, (Timestamp{998449445 - 19800, 321000000}));
  EXPECT_EQ(v[4].timestamp, (Timestamp{998449445 + 8 * 3600, 321000000}));
  EXPECT_EQ(v[5].timestamp, (Timestamp{998449445, 321000000}));
  EXPECT_EQ(v[6].timestamp, (Timestamp{998449445, 0}));
  EXPECT_EQ(v[7].timestamp, (Timestamp{998429645, 321000000}));
  EXPECT_EQ(v[8].timestamp, (Timestamp{-299869200, 0}));
  EXPECT_EQ(v[9].timestamp, (Timestamp{998449445 - 7200, 321000000}));

  const std::string unknown =
      DecodeError("timestamp with time zone", "2001-08-22 03:04:05.321 Mars/Olympus");
  EXPECT_NE(unknown.find("unknown time zone"), std::string::npos) << unknown;
  EXPECT_NE(DecodeError("timestamp with time zone", "2001-08-22 03:04:05.321"), "");
  EXPECT_NE(DecodeError("timestamp with time zone", "2001-08-22 03:04:05.321 "), "");
  EXPECT_NE(DecodeError("timestamp with time zone", "garbage UTC"), "");
}

TEST(ValueDecoderTest, TextTypesAreStringsVerbatim) {
  common::ValueBatch batch;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"time", "01:02:03.456"},
      {"time with time zone", "01:02:03.456 America/Los_Angeles"},
      {"interval day to second", "2 00:00:00.000"},
      {"interval year to month", "0-3"},
      {"ipaddress", "2001:db8::1"},
      {"uuid", "12151fd2-7586-11e9-8f9e-2a86e4085a59"},
      {"char(5)", "ab   "},
      {"varchar", "héllo, 世界 \"quoted\" \\ {x=[1]}"},
      {"unknown", "whatever"},
  };
  for (const auto& [type, text] : cases) {
    const Value v = DecodeOne(type, text, batch);
    EXPECT_EQ(v.type, DataType::kString) << type;
    EXPECT_EQ(v.text, text) << type;
  }
  const Value json = DecodeOne("json", "{\"a\":[1,2]}", batch);
  EXPECT_EQ(json.type, DataType::kJson);
  EXPECT_EQ(json.text, "{\"a\":[1,2]}");
}

TEST(ValueDecoderTest, ManyColumnsAndRowsAcrossBatches) {
  ValueDecoder decoder({Column{"id", ParseDeclaredType("bigint")},
                        Column{"name", ParseDeclaredType("varchar")},
                        Column{"tags", TypeFromColumnInfo("array", 0, 0)}});
  RowBatch rows(3);
  common::ValueBatch batch;
  std::string long_name(100000, 'x');  // forces more than one arena block
  for (int i = 0; i < 50; ++i) {
    rows.AppendCell(std::to_string(i));
    rows.AppendCell(long_name + std::to_string(i));
    rows.AppendCell("[a, " + std::to_string(i) + "]");
  }
  decoder.Decode(rows, batch);
  rows.Clear();  // decoded values must not point into the row batch
  rows.AppendCell("1");
  rows.AppendCell("1");
  rows.AppendCell("1");
  ASSERT_EQ(batch.num_rows(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(batch.at(i, 0).int64, i);
    EXPECT_EQ(batch.at(i, 1).text, long_name + std::to_string(i));
    EXPECT_EQ(nlohmann::json::parse(batch.at(i, 2).text), nlohmann::json::array({"a", i}));
  }
  // A second batch reuses the output batch.
  RowBatch more(3);
  more.AppendCell("7");
  more.AppendNull();
  more.AppendCell("[]");
  decoder.Decode(more, batch);
  ASSERT_EQ(batch.num_rows(), 1u);
  EXPECT_EQ(batch.at(0, 0).int64, 7);
  EXPECT_TRUE(batch.at(0, 1).is_null);
  EXPECT_EQ(batch.at(0, 2).text, "[]");
}

TEST(ValueDecoderTest, ErrorsNameColumnRowAndAnExcerpt) {
  ValueDecoder decoder({Column{"id", ParseDeclaredType("bigint")},
                        Column{"amount", ParseDeclaredType("decimal(10,2)")}});
  common::ValueBatch batch;
  RowBatch first(2);
  first.AppendCell("1");
  first.AppendCell("1.00");
  decoder.Decode(first, batch);
  RowBatch second(2);
  second.AppendCell("2");
  second.AppendCell("2.00");
  second.AppendCell("3");
  second.AppendCell("12,5\n" + std::string(200, '9'));
  try {
    decoder.Decode(second, batch);
    FAIL() << "expected a ProtocolError";
  } catch (const common::ProtocolError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'amount'"), std::string::npos) << message;
    EXPECT_NE(message.find("decimal(10,2)"), std::string::npos) << message;
    EXPECT_NE(message.find("row 3"), std::string::npos) << message;  // counted across batches
    EXPECT_NE(message.find("12,5\\x0a999"), std::string::npos) << message;
    EXPECT_NE(message.find("..."), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_LT(message.size(), 200u) << message;
    EXPECT_EQ(e.kind(), common::ErrorKind::kProtocol);
  }
}

TEST(ValueDecoderTest, ColumnCountMismatchFails) {
  ValueDecoder decoder({Column{"a", ParseDeclaredType("bigint")}});
  RowBatch rows(2);
  common::ValueBatch batch;
  EXPECT_THROW(decoder.Decode(rows, batch), common::ProtocolError);
}

// --- complex types --------------------------------------------------------------------------

TEST(ComplexValueTest, ArraysWithDeclaredTypes) {
  EXPECT_EQ(DecodeJson("array(integer)", "[1, 2, null, -3]"), J("[1,2,null,-3]"));
  EXPECT_EQ(DecodeJson("array(integer)", "[]"), J("[]"));
  EXPECT_EQ(DecodeJson("array(varchar)", "[a=b, {c}, [d, e]f]"), J(R"(["a=b","{c}","[d","e]f"])"));
  EXPECT_EQ(DecodeJson("array(varchar)", "[, x]"), J(R"(["","x"])"));
  EXPECT_EQ(DecodeJson("array(double)", "[0.5, 1.0E10, NaN, -Infinity]"),
            J(R"([0.5,1.0E10,"NaN","-Infinity"])"));
  EXPECT_EQ(DecodeJson("array(boolean)", "[true, false, null]"), J("[true,false,null]"));
  EXPECT_EQ(DecodeJson("array(decimal(10,2))", "[1.50, -0.01]"), J("[1.50,-0.01]"));
  EXPECT_EQ(DecodeJson("array(timestamp)", "[2001-08-22 03:04:05.321]"),
            J(R"(["2001-08-22 03:04:05.321"])"));
  EXPECT_EQ(DecodeJson("array(array(integer))", "[[1, 2], [], [3], null]"),
            J("[[1,2],[],[3],null]"));
  // Strings in arrays split at every ", " (documented limit), even across a bracket.
  EXPECT_EQ(DecodeJson("array(array(varchar))", "[[a], b], [c]]"), J(R"([["a]","b"],["c"]])"));
}

TEST(ComplexValueTest, MapsWithDeclaredTypes) {
  EXPECT_EQ(DecodeJson("map(varchar, integer)", "{a=1, b=2}"), J(R"({"a":1,"b":2})"));
  EXPECT_EQ(DecodeJson("map(integer, varchar)", "{1=a, 2=b=c}"), J(R"({"1":"a","2":"b=c"})"));
  EXPECT_EQ(DecodeJson("map(varchar, array(integer))", "{a=[1, 2], b=[]}"),
            J(R"({"a":[1,2],"b":[]})"));
  EXPECT_EQ(DecodeJson("map(varchar, varchar)", "{}"), J("{}"));
  EXPECT_EQ(DecodeJson("map(varchar, integer)", "{k=null}"), J(R"({"k":null})"));
  // A string value holding ", " followed by something that is not a valid entry stays whole.
  EXPECT_EQ(DecodeJson("map(varchar, integer)", "{a, b=1, c=2}"), J(R"({"a, b":1,"c":2})"));
}

TEST(ComplexValueTest, RowsFoundByFieldName) {
  EXPECT_EQ(DecodeJson("row(a integer, b row(c varchar))", "{a=1, b={c=x, y}}"),
            J(R"({"a":1,"b":{"c":"x, y"}})"));
  // "hello, b=world" could end at the first ", b=": the integer field b rules that out.
  EXPECT_EQ(DecodeJson("row(a varchar, b integer)", "{a=hello, b=world, b=3}"),
            J(R"({"a":"hello, b=world","b":3})"));
  EXPECT_EQ(DecodeJson("row(a varchar, b varchar)", "{a={not, a=row}, b=[x}"),
            J(R"({"a":"{not, a=row}","b":"[x"})"));
  EXPECT_EQ(DecodeJson("row(\"First Name\" varchar)", "{first name=Ann}"),
            J(R"({"first name":"Ann"})"));
  EXPECT_EQ(DecodeJson("array(row(a varchar, b integer))", "[{a=x}, y, b=1}, {a=z, b=2}]"),
            J(R"([{"a":"x}, y","b":1},{"a":"z","b":2}])"));
  EXPECT_EQ(DecodeJson("struct<h:struct<x:int>,y:int>", "{h={x=1}, y=2}"),
            J(R"({"h":{"x":1},"y":2})"));
  EXPECT_EQ(DecodeJson("row(a integer, b varchar)", "{a=null, b=null}"),
            J(R"({"a":null,"b":null})"));
}

TEST(ComplexValueTest, AnonymousAndEngineV2Rows) {
  EXPECT_EQ(DecodeJson("row(integer, varchar)", "{field0=1, field1=a}"),
            J(R"({"field0":1,"field1":"a"})"));
  EXPECT_EQ(DecodeJson("row(integer, varchar)", "{1, a}"), J(R"({"field0":1,"field1":"a"})"));
  // Declared names that the text does not use: inferred from the text instead.
  EXPECT_EQ(DecodeJson("row(x integer, y double)", "{field0=1, field1=2.0}"),
            J(R"({"field0":1,"field1":2.0})"));
}

TEST(ComplexValueTest, InfersWithoutDeclaredTypes) {
  const AthenaType array = TypeFromColumnInfo("array", 0, 0);
  const AthenaType map = TypeFromColumnInfo("map", 0, 0);
  const AthenaType row = TypeFromColumnInfo("row", 0, 0);
  EXPECT_EQ(DecodeJson(array, "[1, 2.5, true, null, abc, 007, -1.0E-5]"),
            J(R"([1,2.5,true,null,"abc","007",-1.0E-5])"));
  EXPECT_EQ(DecodeJson(array, "[[1, 2], [3], []]"), J("[[1,2],[3],[]]"));
  EXPECT_EQ(DecodeJson(array, "[{a=1, b=x}, {a=2, b=y}]"),
            J(R"([{"a":1,"b":"x"},{"a":2,"b":"y"}])"));
  EXPECT_EQ(DecodeJson(row, "{a=1, b={c=[1, 2]}}"), J(R"({"a":1,"b":{"c":[1,2]}})"));
  EXPECT_EQ(DecodeJson(map, "{k=a, b, k2=c}"), J(R"({"k":"a, b","k2":"c"})"));
  EXPECT_EQ(DecodeJson(map, "{1=2, 3=4}"), J(R"({"1":2,"3":4})"));
  EXPECT_EQ(DecodeJson(map, "{}"), J("{}"));
  EXPECT_EQ(DecodeJson(row, "{field0=1, field1=2.0}"), J(R"({"field0":1,"field1":2.0})"));
  // Unbalanced brackets inside strings: read as strings once the strict reading fails.
  EXPECT_EQ(DecodeJson(array, "[[abc, def]"), J(R"(["[abc","def"])"));
  EXPECT_EQ(DecodeJson(row, "{a={x, b=1}"), J(R"({"a":"{x","b":1})"));
  // Positional rows.
  EXPECT_EQ(DecodeJson(row, "{Alice, 25}"), J(R"({"field0":"Alice","field1":25})"));
}

TEST(ComplexValueTest, StringsAreEscapedAndUnicodeKept) {
  EXPECT_EQ(DecodeJson("array(varchar)", "[say \"hi\", back\\slash, tab\there, nl\nx, é日本🎉]"),
            nlohmann::json::array({"say \"hi\"", "back\\slash", "tab\there", "nl\nx", "é日本🎉"}));
  EXPECT_EQ(DecodeJson(TypeFromColumnInfo("array", 0, 0), std::string("[a\x01z, \x7f]")),
            nlohmann::json::array({"a\x01z", "\x7f"}));
  // Invalid UTF-8 becomes U+FFFD so the JSON stays valid.
  EXPECT_EQ(DecodeJson("array(varchar)", "[a\xff, \xc3]"),
            nlohmann::json::array({"a\xEF\xBF\xBD", "\xEF\xBF\xBD"}));
  EXPECT_EQ(DecodeJson("map(varchar, varchar)", "{k\"ey=v}"), J(R"({"k\"ey":"v"})"));
}

// Found by tests/fuzz/complex_json (complex_json/crash-number-overflow): `2E5174` fits JSON's
// number grammar but no double, and JSON readers (DuckDB's, nlohmann's) refuse it; such a text
// is a string, and a double element that is none falls back to the inferred reading.
TEST(ComplexValueTest, NumbersPastDoubleRangeAreStrings) {
  EXPECT_EQ(DecodeJson(TypeFromColumnInfo("row", 0, 0), "{n=0, te=2E5174}"),
            J(R"({"n":0,"te":"2E5174"})"));
  EXPECT_EQ(DecodeJson(TypeFromColumnInfo("array", 0, 0), "[1E308, -1E309, 2e-3]"),
            J(R"([1E308,"-1E309",2e-3])"));
  EXPECT_EQ(DecodeJson("array(double)", "[1.5, 1E999]"), J(R"([1.5,"1E999"])"));
  EXPECT_EQ(DecodeJson("array(decimal(10,2))", "[1.50, 2.00]"), J("[1.50,2.00]"));
}

TEST(ComplexValueTest, MalformedComplexValuesFail) {
  EXPECT_NE(DecodeError("array(integer)", "not an array"), "");
  EXPECT_NE(DecodeError("array(integer)", "{a=1}"), "");
  EXPECT_NE(DecodeError("map(varchar, integer)", "[1]"), "");
  EXPECT_NE(DecodeError("row(a integer)", ""), "");
  EXPECT_NE(DecodeError("array", "[1, 2"), "");
  const std::string message = DecodeError("array(integer)", "oops");
  EXPECT_NE(message.find("malformed array"), std::string::npos) << message;
  EXPECT_NE(message.find("'c'"), std::string::npos) << message;
}

TEST(ComplexValueTest, PathologicalTextEndsQuickly) {
  // Many ", " candidates and no valid reading for the declared type: the search is bounded.
  std::string text = "[{a=";
  for (int i = 0; i < 3000; ++i) text += "x, b=y, ";
  text += "}]";
  std::string out;
  const bool ok =
      AppendComplexAsJson(ParseDeclaredType("array(row(a varchar, b integer))"), text, out);
  if (ok) {
    EXPECT_TRUE(nlohmann::json::accept(out)) << out;
  }
}

TEST(ComplexJsonTest, AppendComplexAsJsonAppends) {
  std::string out = "prefix:";
  ASSERT_TRUE(AppendComplexAsJson(ParseDeclaredType("array(integer)"), "[1, 2]", out));
  EXPECT_EQ(out, "prefix:[1,2]");
  EXPECT_FALSE(AppendComplexAsJson(ParseDeclaredType("array(integer)"), "[1, 2", out));
  EXPECT_EQ(out, "prefix:[1,2]");  // unchanged on failure
}

TEST(ComplexJsonTest, JsonHelpers) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\b\f\n\r\t\x01", 11));
  EXPECT_EQ(out, R"("a\"b\\c\b\f\n\r\t\u0001")");
  for (const char* good : {"0", "-0", "1.5", "1e5", "1.0E-10", "-12.34e+5"})
    EXPECT_TRUE(IsJsonNumber(good)) << good;
  for (const char* bad : {"", "-", "01", "1.", ".5", "+1", "1e", "NaN", "1.0E", "0x10"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

}  // namespace
}  // namespace ac::athena
