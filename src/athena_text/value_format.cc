#include "athena_text/value_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/civil_date.h"

namespace ac::athena_text {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendPadded(std::string& out, int64_t value, int width) {
  char buf[24];
  int n = 0;
  uint64_t v = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) out.push_back('-');
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n > 0) out.push_back(buf[--n]);
}

void Append2(std::string& out, int value) {
  out.push_back(static_cast<char>('0' + value / 10));
  out.push_back(static_cast<char>('0' + value % 10));
}

void Append3(std::string& out, int value) {
  out.push_back(static_cast<char>('0' + value / 100));
  out.push_back(static_cast<char>('0' + value / 10 % 10));
  out.push_back(static_cast<char>('0' + value % 10));
}

// Writes Java's Double/Float.toString layout from shortest decimal digits and exponent
// (value = 0.d1d2...dn x 10^(exp10+1), i.e. d1.d2...dn x 10^exp10).
void AppendJavaLayout(std::string& out, bool negative, const char* digits, int ndigits, int exp10) {
  if (negative) out.push_back('-');
  if (exp10 >= -3 && exp10 < 7) {
    if (exp10 >= 0) {
      const int int_digits = exp10 + 1;
      for (int i = 0; i < int_digits; ++i) out.push_back(i < ndigits ? digits[i] : '0');
      out.push_back('.');
      if (ndigits > int_digits) {
        out.append(digits + int_digits, static_cast<size_t>(ndigits - int_digits));
      } else {
        out.push_back('0');
      }
    } else {
      out += "0.";
      for (int i = 0; i < -exp10 - 1; ++i) out.push_back('0');
      out.append(digits, static_cast<size_t>(ndigits));
    }
    return;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  if (ndigits > 1) {
    out.append(digits + 1, static_cast<size_t>(ndigits - 1));
  } else {
    out.push_back('0');
  }
  out.push_back('E');
  char buf[8];
  auto res = std::to_chars(buf, buf + sizeof(buf), exp10);
  out.append(buf, res.ptr);
}

template <typename F>
void AppendJavaFloating(std::string& out, F value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  if (value == 0) {
    out += std::signbit(value) ? "-0.0" : "0.0";
    return;
  }
  // Shortest round-trip digits in scientific form: [-]d[.ddd]e(+|-)XX
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const char* p = buf;
  bool negative = false;
  if (*p == '-') {
    negative = true;
    ++p;
  }
  char digits[32];
  int ndigits = 0;
  while (p < res.ptr && *p != 'e') {
    if (*p != '.') digits[ndigits++] = *p;
    ++p;
  }
  int exp10 = 0;
  if (p < res.ptr) {
    ++p;  // 'e'
    if (*p == '+') ++p;
    std::from_chars(p, res.ptr, exp10);
  }
  while (ndigits > 1 && digits[ndigits - 1] == '0') --ndigits;
  if (ndigits == 1) {
    // Java prints at least two significant digits (d.dE..) and picks the closest such decimal,
    // which differs from d.0 only for the least precise subnormals (4.9E-324, not 5.0E-324).
    char two[64];
    auto r2 = std::to_chars(two, two + sizeof(two), value, std::chars_format::scientific, 1);
    const char* q = two;
    if (*q == '-') ++q;
    int exp2 = 0;
    const char* e = std::find(q, static_cast<const char*>(r2.ptr), 'e');
    if (e < r2.ptr) {
      const char* x = e + 1;
      if (*x == '+') ++x;
      std::from_chars(x, r2.ptr, exp2);
    }
    if (e - q == 3 && exp2 == exp10) {  // "d.d"
      digits[0] = q[0];
      digits[1] = q[2];
      ndigits = digits[1] == '0' ? 1 : 2;
    }
  }
  AppendJavaLayout(out, negative, digits, ndigits, exp10);
}

}  // namespace

void AppendJavaDouble(std::string& out, double value) {
  AppendJavaFloating(out, value);
}
void AppendJavaFloat(std::string& out, float value) {
  AppendJavaFloating(out, value);
}

void AppendUInt128(std::string& out, unsigned __int128 value) {
  char buf[48];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0);
  while (n > 0) out.push_back(buf[--n]);
}

void AppendInt128(std::string& out, __int128 value) {
  if (value < 0) {
    out.push_back('-');
    AppendUInt128(out, static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(value));
  } else {
    AppendUInt128(out, static_cast<unsigned __int128>(value));
  }
}

void AppendInt64(std::string& out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr);
}

void AppendUInt64(std::string& out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, res.ptr);
}

void AppendDecimal(std::string& out, __int128 unscaled, int scale) {
  if (scale <= 0) {
    AppendInt128(out, unscaled);
    return;
  }
  unsigned __int128 magnitude =
      unscaled < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(unscaled)
                   : static_cast<unsigned __int128>(unscaled);
  char buf[64];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= scale) buf[n++] = '0';  // at least one integer digit
  if (unscaled < 0) out.push_back('-');
  while (n > scale) out.push_back(buf[--n]);
  out.push_back('.');
  while (n > 0) out.push_back(buf[--n]);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t MicrosToMillisRounded(int64_t micros) {
  return FloorDiv(micros + 500, 1000);
}

void AppendDate(std::string& out, int64_t days_since_epoch) {
  const common::CivilDate date = common::CivilFromDays(days_since_epoch);
  AppendPadded(out, date.year, 4);
  out.push_back('-');
  Append2(out, static_cast<int>(date.month));
  out.push_back('-');
  Append2(out, static_cast<int>(date.day));
}

void AppendTimeOfDayMillis(std::string& out, int64_t millis_of_day) {
  const int64_t total_seconds = millis_of_day / 1000;
  Append2(out, static_cast<int>(total_seconds / 3600 % 100));
  out.push_back(':');
  Append2(out, static_cast<int>(total_seconds / 60 % 60));
  out.push_back(':');
  Append2(out, static_cast<int>(total_seconds % 60));
  out.push_back('.');
  Append3(out, static_cast<int>(millis_of_day % 1000));
}

void AppendTimestampMillis(std::string& out, int64_t epoch_millis) {
  const int64_t days = FloorDiv(epoch_millis, 86'400'000);
  const int64_t millis_of_day = epoch_millis - days * 86'400'000;
  AppendDate(out, days);
  out.push_back(' ');
  AppendTimeOfDayMillis(out, millis_of_day);
}

void AppendZoneOffset(std::string& out, int32_t offset_seconds) {
  out.push_back(offset_seconds < 0 ? '-' : '+');
  const int32_t magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  Append2(out, magnitude / 3600);
  out.push_back(':');
  Append2(out, magnitude / 60 % 60);
}

void AppendIntervalYearToMonth(std::string& out, int64_t months) {
  if (months < 0) {
    out.push_back('-');
    months = -months;
  }
  AppendInt64(out, months / 12);
  out.push_back('-');
  AppendInt64(out, months % 12);
}

void AppendIntervalDayToSecond(std::string& out, int64_t millis) {
  if (millis < 0) {
    out.push_back('-');
    millis = -millis;
  }
  AppendInt64(out, millis / 86'400'000);
  out.push_back(' ');
  AppendTimeOfDayMillis(out, millis % 86'400'000);
}

void AppendSpacedHex(std::string& out, std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out.push_back(' ');
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xF]);
  }
}

void AppendUuid(std::string& out, uint64_t high, uint64_t low) {
  char buf[36];
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) buf[pos++] = '-';
    const uint64_t word = i < 16 ? high : low;
    const int shift = 60 - 4 * (i % 16);
    buf[pos++] = kHexDigits[(word >> shift) & 0xF];
  }
  out.append(buf, sizeof(buf));
}

void AppendCompactJson(std::string& out, std::string_view json) {
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out.push_back(c);
    }
  }
}

void AppendCsvQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      out.append(text.data() + start, i + 1 - start);
      out.push_back('"');
      start = i + 1;
    }
  }
  out.append(text.data() + start, text.size() - start);
  out.push_back('"');
}

void EscapeCsvQuotesFrom(std::string& out, size_t from) {
  const size_t quotes = static_cast<size_t>(
      std::count(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(), '"'));
  if (quotes == 0) return;
  size_t read = out.size();
  out.resize(out.size() + quotes);
  size_t write = out.size();
  while (read > from) {
    const char c = out[--read];
    out[--write] = c;
    if (c == '"') out[--write] = '"';
  }
}

}  // namespace ac::athena_text
