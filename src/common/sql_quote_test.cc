#include "common/sql_quote.h"

#include <gtest/gtest.h>

#include <string>

namespace ac::common {
namespace {

using namespace std::string_literals;

TEST(SqlQuoteTest, LiteralDoublesSingleQuotesOnly) {
  EXPECT_EQ(QuoteLiteral(""), "''");
  EXPECT_EQ(QuoteLiteral("abc"), "'abc'");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("''"), "''''''");
  EXPECT_EQ(QuoteLiteral(R"(say "hi" \n)"), R"('say "hi" \n')");  // no other escapes
  EXPECT_EQ(QuoteLiteral("s3://bucket/a b/\xC3\xA9\n"), "'s3://bucket/a b/\xC3\xA9\n'");
  EXPECT_EQ(QuoteLiteral("a\0b"s), "'a\0b'"s);
}

TEST(SqlQuoteTest, IdentifierDoublesDoubleQuotesOnly) {
  EXPECT_EQ(QuoteIdentifier(""), R"("")");
  EXPECT_EQ(QuoteIdentifier("customers"), R"("customers")");
  EXPECT_EQ(QuoteIdentifier("Mixed Case"), R"("Mixed Case")");  // case kept
  EXPECT_EQ(QuoteIdentifier(R"(we"ird)"), R"("we""ird")");
  EXPECT_EQ(QuoteIdentifier(R"("")"), R"("""""")");
  EXPECT_EQ(QuoteIdentifier("it's.`x`"), R"("it's.`x`")");  // no other escapes
}

TEST(SqlQuoteTest, DdlIdentifierDoublesBackticksOnly) {
  EXPECT_EQ(QuoteDdlIdentifier("events"), "`events`");
  EXPECT_EQ(QuoteDdlIdentifier("we`ird"), "`we``ird`");
  EXPECT_EQ(QuoteDdlIdentifier(R"(a"b's)"), R"(`a"b's`)");
}

}  // namespace
}  // namespace ac::common
