#include "connector/cursor.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"

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

TEST(CursorTest, AValueThatIsNotALiteralOfItsTypeNeverReachesTheSql) {
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"bigint", "1 OR 1=1"},
      {"bigint", "1; DROP TABLE t"},
      {"integer", "99999999999999999999"},
      {"double", "1.5) OR (1=1"},
      {"double", "NaN"},
      {"real", "1e"},
      {"decimal(10,2)", "1.50' OR '1'='1"},
      {"decimal(10,2)", "1.5.0"},
      {"date", "2024-01-01' OR '1'='1"},
      {"date", "2024-1-1"},
      {"timestamp(3)", "2024-01-02 03:04:05.000' OR 1=1 --"},
      {"timestamp(3)", "2024-01-02 03:04:05.000 UTC"},  // a zone only with time zone
      {"timestamp(3) with time zone", "2024-01-02 03:04:05.000 UTC' OR 'a'='a"},
  };
  for (const auto& [type, value] : forged) {
    EXPECT_THROW(CursorLiteral(type, value), common::ConfigError) << type << " " << value;
  }
  EXPECT_EQ(CursorLiteral("bigint", "-0042"), "-42");  // re-printed from the parsed value
  EXPECT_EQ(CursorLiteral("double", "1.0E10"), "1.0E10");
  EXPECT_EQ(CursorLiteral("timestamp(3) with time zone", "2024-01-02 03:04:05.000 Europe/Oslo"),
            "TIMESTAMP '2024-01-02 03:04:05.000 Europe/Oslo'");
  EXPECT_EQ(CursorLiteral("varchar", "x' OR '1'='1"), "'x'' OR ''1''=''1'");
}

TEST(CursorTest, EveryLiteralOfAnyInputIsOneTokenOfItsType) {
  // Random bytes as the saved value of every cursor type: the literal is rejected, or it is one
  // token — digits and signs, or one quoted string whose quotes are all doubled.
  std::mt19937 rng(7);
  const char alphabet[] = "0123456789-+.:eE' ;()/=ORUTCabc\"\\\n";
  for (const char* type : {"bigint", "double", "decimal(12,2)", "date", "timestamp(3)",
                           "timestamp(3) with time zone", "varchar", "boolean"}) {
    for (int i = 0; i < 2000; ++i) {
      std::string value(rng() % 32, ' ');
      for (char& c : value) c = alphabet[rng() % (sizeof(alphabet) - 1)];
      std::string literal;
      try {
        literal = CursorLiteral(type, value);
      } catch (const common::ConfigError&) {
        continue;
      }
      const size_t quote = literal.find('\'');
      if (quote == std::string::npos) {
        EXPECT_EQ(literal.find_first_not_of("0123456789-+.eE"), std::string::npos) << literal;
        continue;
      }
      const std::string prefix = literal.substr(0, quote);
      EXPECT_TRUE(prefix.empty() || prefix == "DECIMAL " || prefix == "DATE " ||
                  prefix == "TIMESTAMP ")
          << literal;
      ASSERT_EQ(literal.back(), '\'') << literal;
      const std::string body = literal.substr(quote + 1, literal.size() - quote - 2);
      for (size_t k = 0; k < body.size(); ++k) {
        if (body[k] != '\'') continue;
        ASSERT_TRUE(k + 1 < body.size() && body[k + 1] == '\'') << literal;
        ++k;
      }
    }
  }
}

TEST(CursorTest, CursorConditionPassesTheValueAsAParameter) {
  std::vector<std::string> parameters{"'first'"};
  EXPECT_EQ(CursorCondition("changed at", "bigint", "7", parameters), "\"changed at\" >= ?");
  EXPECT_EQ(CursorCondition("day", "date", "2026-12-01", parameters), "\"day\" >= ?");
  EXPECT_EQ(parameters, (std::vector<std::string>{"'first'", "7", "DATE '2026-12-01'"}));
  // A forged value never becomes a parameter either.
  EXPECT_THROW(CursorCondition("id", "bigint", "1 OR 1=1", parameters), common::ConfigError);
  EXPECT_EQ(parameters.size(), 3u);
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
