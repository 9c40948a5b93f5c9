#pragma once

#include <string>
#include <string_view>

namespace ac::common {

// Small text helpers: ASCII case, trimming and whitespace runs. Bytes outside ASCII (UTF-8
// included) are never changed or matched, whatever the process locale.

/// Space, tab, CR and LF: the whitespace trimmed by default.
inline constexpr std::string_view kSpaceTabCrLf = " \t\r\n";
/// Space and tab (HTTP's optional whitespace, INI indentation).
inline constexpr std::string_view kSpaceTab = " \t";
/// What std::isspace matches in the "C" locale: kSpaceTabCrLf, vertical tab and form feed.
inline constexpr std::string_view kCLocaleSpace = " \t\n\v\f\r";

/// 'A'-'Z' -> 'a'-'z'; every other byte as it is (std::tolower in the "C" locale).
constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
/// 'a'-'z' -> 'A'-'Z'; every other byte as it is (std::toupper in the "C" locale).
constexpr char AsciiUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// `text` with ASCII letters lower-cased.
std::string Lower(std::string_view text);
/// `text` with ASCII letters upper-cased.
std::string Upper(std::string_view text);
/// Whether `a` and `b` are equal but for the case of ASCII letters.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

/// `text` without its leading characters that are in `chars` (a view into `text`).
std::string_view TrimLeft(std::string_view text, std::string_view chars = kSpaceTabCrLf);
/// `text` without its trailing characters that are in `chars` (a view into `text`).
std::string_view TrimRight(std::string_view text, std::string_view chars = kSpaceTabCrLf);
/// `text` without its leading and trailing characters that are in `chars` (a view into `text`).
std::string_view Trim(std::string_view text, std::string_view chars = kSpaceTabCrLf);

/// `text` with each run of characters in `spaces` made one ' ', and none at either end:
/// " a \t\n b " -> "a b".
std::string CollapseSpaces(std::string_view text, std::string_view spaces = kSpaceTabCrLf);

}  // namespace ac::common
