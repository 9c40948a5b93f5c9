#include "common/strings.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace ac::common {
namespace {

using namespace std::string_literals;

// The copies these replace used std::tolower/toupper/isspace; this process never sets a locale,
// so those are the "C" locale's: the same as the ASCII functions for every byte.
TEST(StringsTest, AsciiCaseIsTheCLocaleCaseForEveryByte) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    EXPECT_EQ(AsciiLower(c), static_cast<char>(std::tolower(b))) << b;
    EXPECT_EQ(AsciiUpper(c), static_cast<char>(std::toupper(b))) << b;
    EXPECT_EQ(kCLocaleSpace.find(c) != std::string_view::npos, std::isspace(b) != 0) << b;
  }
}

TEST(StringsTest, LowerAndUpperChangeOnlyAsciiLetters) {
  EXPECT_EQ(Lower(""), "");
  EXPECT_EQ(Lower("Content-Length: 12"), "content-length: 12");
  EXPECT_EQ(Lower("TIMESTAMP With Time Zone"), "timestamp with time zone");
  EXPECT_EQ(Lower("\xC3\x84"
                  "BC"),
            "\xC3\x84"
            "bc");  // "ÄBC": UTF-8 bytes kept
  EXPECT_EQ(Lower("A\0B"s), "a\0b"s);
  EXPECT_EQ(Upper("select *, \xC3\xA9t\xC3\xA9 from t_1"), "SELECT *, \xC3\xA9T\xC3\xA9 FROM T_1");
}

TEST(StringsTest, EqualsIgnoreCaseFoldsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_TRUE(EqualsIgnoreCase("_fivetran_SYNCED", "_fivetran_synced"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x89", "\xC3\xA9"));  // É vs é: not ASCII
  EXPECT_FALSE(EqualsIgnoreCase("@", "`"));                // 0x40 vs 0x60: not letters
}

TEST(StringsTest, TrimRemovesTheGivenCharactersAtTheEnds) {
  // Default: space, tab, CR, LF.
  EXPECT_EQ(Trim(" \t\r\n value with  inner space \n\r\t "), "value with  inner space");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim(" \t\r\n"), "");
  EXPECT_EQ(Trim("\vx\f"), "\vx\f");               // not by default
  EXPECT_EQ(Trim("\v x \f", kCLocaleSpace), "x");  // std::isspace's set
  EXPECT_EQ(Trim(" \r\nx\r\n ", kSpaceTab), "\r\nx\r\n");
  EXPECT_EQ(Trim("\0x\0"s), "\0x\0"s);  // NUL is not whitespace
  EXPECT_EQ(TrimLeft("  x  "), "x  ");
  EXPECT_EQ(TrimRight("  x  "), "  x");
  EXPECT_EQ(TrimRight("SELECT 1; \n;", "; \n"), "SELECT 1");
  // HTTP header lines: leading blanks only, trailing blanks and line ends.
  EXPECT_EQ(TrimRight(TrimLeft("\t\rName: v \r\n", kSpaceTab)), "\rName: v");
  // A view into the argument, not a copy.
  const std::string text = "  abc  ";
  EXPECT_EQ(Trim(text).data(), text.data() + 2);
}

TEST(StringsTest, CollapseSpacesMakesEachRunOneSpace) {
  EXPECT_EQ(CollapseSpaces(""), "");
  EXPECT_EQ(CollapseSpaces(" \t\r\n "), "");
  EXPECT_EQ(CollapseSpaces("abc"), "abc");
  EXPECT_EQ(CollapseSpaces("  Timestamp \t With\r\n\nTime  Zone  "), "Timestamp With Time Zone");
  EXPECT_EQ(CollapseSpaces("LINE 1: SELECT\n        ^"), "LINE 1: SELECT ^");
  EXPECT_EQ(CollapseSpaces("a\vb"), "a\vb");  // not by default
  EXPECT_EQ(CollapseSpaces("\f a\v\vb \f", kCLocaleSpace), "a b");
  EXPECT_EQ(CollapseSpaces("profile \t\t x\ny", kSpaceTab), "profile x\ny");
  EXPECT_EQ(Lower(CollapseSpaces(" Array< Int >")), "array< int >");
}

}  // namespace
}  // namespace ac::common
