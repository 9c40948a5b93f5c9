#include "athena_text/value_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ac::athena_text {
namespace {

template <typename F, typename... Args>
std::string Text(F f, Args... args) {
  std::string out;
  f(out, args...);
  return out;
}

std::string D(double v) {
  return Text(AppendJavaDouble, v);
}
std::string F(float v) {
  return Text(AppendJavaFloat, v);
}

TEST(JavaDoubleTest, PlainNotationBetweenOneThousandthAndTenMillion) {
  EXPECT_EQ(D(0.5), "0.5");
  EXPECT_EQ(D(0.25), "0.25");
  EXPECT_EQ(D(1.0), "1.0");
  EXPECT_EQ(D(-2.0), "-2.0");
  EXPECT_EQ(D(100.0), "100.0");
  EXPECT_EQ(D(123.456), "123.456");
  EXPECT_EQ(D(0.001), "0.001");
  EXPECT_EQ(D(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(D(9999999.0), "9999999.0");
  EXPECT_EQ(D(1234567.5), "1234567.5");
}

TEST(JavaDoubleTest, ExponentNotationOutsideThatRange) {
  EXPECT_EQ(D(1.0E7), "1.0E7");
  EXPECT_EQ(D(1.0E10), "1.0E10");
  EXPECT_EQ(D(12345678.9), "1.23456789E7");
  EXPECT_EQ(D(9.99E-4), "9.99E-4");
  EXPECT_EQ(D(1.0E-4), "1.0E-4");
  EXPECT_EQ(D(-1.5E-10), "-1.5E-10");
  EXPECT_EQ(D(1.7976931348623157E308), "1.7976931348623157E308");
  EXPECT_EQ(D(4.9E-324), "4.9E-324");
}

TEST(JavaDoubleTest, SpecialValues) {
  EXPECT_EQ(D(0.0), "0.0");
  EXPECT_EQ(D(-0.0), "-0.0");
  EXPECT_EQ(D(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(D(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(D(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(JavaFloatTest, ShortestFloatDigits) {
  EXPECT_EQ(F(1.5f), "1.5");
  EXPECT_EQ(F(0.1f), "0.1");  // not 0.10000000149011612
  EXPECT_EQ(F(3.14159f), "3.14159");
  EXPECT_EQ(F(-0.001f), "-0.001");
  EXPECT_EQ(F(1.0E7f), "1.0E7");
  EXPECT_EQ(F(3.4E38f), "3.4E38");
  EXPECT_EQ(F(1e-7f), "1.0E-7");
}

TEST(DecimalTest, PrintsAtItsScale) {
  EXPECT_EQ(Text(AppendDecimal, __int128{1234}, 2), "12.34");
  EXPECT_EQ(Text(AppendDecimal, __int128{-5}, 2), "-0.05");
  EXPECT_EQ(Text(AppendDecimal, __int128{0}, 2), "0.00");
  EXPECT_EQ(Text(AppendDecimal, __int128{7}, 0), "7");
  EXPECT_EQ(Text(AppendDecimal, __int128{-1}, 9), "-0.000000001");
  const __int128 big = static_cast<__int128>(1234567890123456789LL) * 10000000000000000000ULL +
                       1234567890123456789LL;
  EXPECT_EQ(Text(AppendDecimal, big, 9), "12345678901234567891234567890.123456789");
  EXPECT_EQ(Text(AppendInt128, -big), "-12345678901234567891234567890123456789");
}

TEST(DateTimeTest, DatesTimesAndTimestamps) {
  EXPECT_EQ(Text(AppendDate, int64_t{0}), "1970-01-01");
  EXPECT_EQ(Text(AppendDate, int64_t{19753}), "2024-01-31");
  EXPECT_EQ(Text(AppendDate, int64_t{11016}), "2000-02-29");
  EXPECT_EQ(Text(AppendDate, int64_t{-1}), "1969-12-31");
  EXPECT_EQ(Text(AppendTimeOfDayMillis, int64_t{3723456}), "01:02:03.456");
  EXPECT_EQ(Text(AppendTimeOfDayMillis, int64_t{0}), "00:00:00.000");
  EXPECT_EQ(Text(AppendTimestampMillis, int64_t{1706706855678}), "2024-01-31 13:14:15.678");
  EXPECT_EQ(Text(AppendTimestampMillis, int64_t{-1}), "1969-12-31 23:59:59.999");
  EXPECT_EQ(Text(AppendTimestampMillis, int64_t{0}), "1970-01-01 00:00:00.000");
  EXPECT_EQ(MicrosToMillisRounded(1500), 2);
  EXPECT_EQ(MicrosToMillisRounded(1499), 1);
  EXPECT_EQ(MicrosToMillisRounded(-1), 0);
  EXPECT_EQ(Text(AppendZoneOffset, int32_t{-(5 * 3600 + 30 * 60)}), "-05:30");
  EXPECT_EQ(Text(AppendZoneOffset, int32_t{3600}), "+01:00");
}

TEST(IntervalTest, TrinoText) {
  EXPECT_EQ(Text(AppendIntervalYearToMonth, int64_t{14}), "1-2");
  EXPECT_EQ(Text(AppendIntervalYearToMonth, int64_t{3}), "0-3");
  EXPECT_EQ(Text(AppendIntervalYearToMonth, int64_t{-18}), "-1-6");
  EXPECT_EQ(Text(AppendIntervalDayToSecond, int64_t{2 * 86400000 + 11045678}), "2 03:04:05.678");
  EXPECT_EQ(Text(AppendIntervalDayToSecond, int64_t{-86400000}), "-1 00:00:00.000");
}

TEST(BinaryTest, SpacedLowercaseHexAndUuid) {
  EXPECT_EQ(Text(AppendSpacedHex, std::string_view("123")), "31 32 33");
  EXPECT_EQ(Text(AppendSpacedHex, std::string_view("\x00\xff\x10", 3)), "00 ff 10");
  EXPECT_EQ(Text(AppendSpacedHex, std::string_view("")), "");
  EXPECT_EQ(Text(AppendUuid, uint64_t{0x12151fd2758611e9}, uint64_t{0x8f9e2a86e4085a59}),
            "12151fd2-7586-11e9-8f9e-2a86e4085a59");
}

TEST(JsonTest, CompactTextKeepsStrings) {
  EXPECT_EQ(Text(AppendCompactJson, std::string_view("{\"a\": 1, \"b\": [1, 2]}")),
            "{\"a\":1,\"b\":[1,2]}");
  EXPECT_EQ(Text(AppendCompactJson, std::string_view("{\"t\": \"a b \\\" c\"}")),
            "{\"t\":\"a b \\\" c\"}");
  EXPECT_EQ(Text(AppendJsonString, std::string_view("a\"b\\c\n\x01")), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(CsvTest, QuotesAndEscapes) {
  EXPECT_EQ(Text(AppendCsvQuoted, std::string_view("plain")), "\"plain\"");
  EXPECT_EQ(Text(AppendCsvQuoted, std::string_view("")), "\"\"");
  EXPECT_EQ(Text(AppendCsvQuoted, std::string_view("say \"hi\", ok\nnext")),
            "\"say \"\"hi\"\", ok\nnext\"");
  std::string out = "\"x\",\"";
  const size_t from = out.size();
  out += "a\"b\"";
  EscapeCsvQuotesFrom(out, from);
  EXPECT_EQ(out, "\"x\",\"a\"\"b\"\"");
}

}  // namespace
}  // namespace ac::athena_text
