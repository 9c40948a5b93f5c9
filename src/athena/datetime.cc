#include "athena/datetime.h"

namespace ac::athena {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// Years beyond this many digits would overflow the seconds arithmetic; Trino's range is far
// smaller.
constexpr size_t kMaxYearDigits = 9;
constexpr int kMaxFractionDigits = 12;  // Trino timestamps go to picoseconds

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

/// Reads exactly `count` digits at `pos`.
bool FixedDigits(std::string_view text, size_t& pos, size_t count, unsigned& value) {
  if (pos + count > text.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  value = v;
  pos += count;
  return true;
}

}  // namespace

bool ParseDateAt(std::string_view text, size_t& pos, int64_t& days) {
  size_t p = pos;
  bool negative = false;
  if (p < text.size() && (text[p] == '-' || text[p] == '+')) {
    negative = text[p] == '-';
    ++p;
  }
  const size_t year_start = p;
  int64_t year = 0;
  while (p < text.size() && IsDigit(text[p])) {
    // Digits past the limit are only counted (the year is refused below): accumulating them
    // would overflow int64_t.
    if (p - year_start < kMaxYearDigits) year = year * 10 + (text[p] - '0');
    ++p;
  }
  const size_t year_digits = p - year_start;
  if (year_digits < 4 || year_digits > kMaxYearDigits) return false;
  if (negative) year = -year;
  unsigned month = 0, day = 0;
  if (p >= text.size() || text[p] != '-') return false;
  ++p;
  if (!FixedDigits(text, p, 2, month) || month < 1 || month > 12) return false;
  if (p >= text.size() || text[p] != '-') return false;
  ++p;
  if (!FixedDigits(text, p, 2, day) || day < 1 || day > DaysInMonth(year, month)) return false;
  days = DaysFromCivil(year, month, day);
  pos = p;
  return true;
}

bool ParseDateTimeAt(std::string_view text, size_t& pos, int64_t& seconds, int32_t& nanos) {
  size_t p = pos;
  int64_t days = 0;
  if (!ParseDateAt(text, p, days)) return false;
  if (p >= text.size() || (text[p] != ' ' && text[p] != 'T')) return false;
  ++p;
  unsigned hour = 0, minute = 0, second = 0;
  if (!FixedDigits(text, p, 2, hour) || hour > 23) return false;
  if (p >= text.size() || text[p] != ':') return false;
  ++p;
  if (!FixedDigits(text, p, 2, minute) || minute > 59) return false;
  int32_t ns = 0;
  if (p < text.size() && text[p] == ':') {
    ++p;
    if (!FixedDigits(text, p, 2, second) || second > 59) return false;
    if (p < text.size() && text[p] == '.') {
      ++p;
      int digits = 0;
      while (p < text.size() && IsDigit(text[p])) {
        if (digits < 9) ns = ns * 10 + (text[p] - '0');
        ++digits;
        ++p;
      }
      if (digits == 0 || digits > kMaxFractionDigits) return false;
      for (int i = digits; i < 9; ++i) ns *= 10;
    }
  }
  seconds = days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  nanos = ns;
  pos = p;
  return true;
}

}  // namespace ac::athena
