#include "connector/cursor.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "common/error.h"
#include "common/sql_quote.h"

namespace ac::connector {

using common::QuoteIdentifier;
using common::QuoteLiteral;

namespace {

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// `-?digits(.digits)?`
bool IsDecimalText(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return AllDigits(text);
  return AllDigits(text.substr(0, dot)) && AllDigits(text.substr(dot + 1));
}

/// A decimal, optionally with an exponent (Athena prints doubles as 1.0E10).
bool IsFloatText(std::string_view text) {
  const size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos) return IsDecimalText(text);
  std::string_view exponent = text.substr(e + 1);
  if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+'))
    exponent.remove_prefix(1);
  return IsDecimalText(text.substr(0, e)) && AllDigits(exponent);
}

/// `YYYY-MM-DD`
bool IsDateText(std::string_view text) {
  return text.size() == 10 && AllDigits(text.substr(0, 4)) && text[4] == '-' &&
         AllDigits(text.substr(5, 2)) && text[7] == '-' && AllDigits(text.substr(8, 2));
}

/// `YYYY-MM-DD HH:MM:SS[.fraction][ zone]`, the zone (with time zone only) a name or offset.
bool IsTimestampText(std::string_view text, bool with_zone) {
  if (text.size() < 19 || !IsDateText(text.substr(0, 10)) || text[10] != ' ') return false;
  const std::string_view time = text.substr(11, 8);
  if (!AllDigits(time.substr(0, 2)) || time[2] != ':' || !AllDigits(time.substr(3, 2)) ||
      time[5] != ':' || !AllDigits(time.substr(6, 2))) {
    return false;
  }
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 1 || digits > 13) return false;
    rest.remove_prefix(digits);
  }
  if (rest.empty()) return true;
  if (!with_zone || rest.front() != ' ' || rest.size() < 2 || rest.size() > 64) return false;
  return std::all_of(rest.begin() + 1, rest.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '+' || c == '-' || c == ':';
  });
}

[[noreturn]] void BadCursor(const std::string& type_text, const std::string& value) {
  throw common::ConfigError(fmt::format(
      "the saved cursor value is not a valid {} ({} bytes); reset the connection's state",
      type_text.size() > 64 ? type_text.substr(0, 64) : type_text, value.size()));
}

}  // namespace

std::string CursorLiteral(const std::string& type_text, const std::string& value) {
  // The value comes from the state, which is input like any other: it reaches the SQL text only
  // when it matches the grammar of its type's literal (no quote, no space outside a zone name), or
  // quoted as a string literal.
  const athena::AthenaType type = athena::ParseDeclaredType(type_text);
  switch (type.id) {
    case athena::TypeId::kTinyint:
    case athena::TypeId::kSmallint:
    case athena::TypeId::kInteger:
    case athena::TypeId::kBigint: {
      int64_t parsed = 0;
      const auto result = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (result.ec != std::errc() || result.ptr != value.data() + value.size())
        BadCursor(type_text, value);
      return std::to_string(parsed);
    }
    case athena::TypeId::kReal:
    case athena::TypeId::kDouble:
      if (!IsFloatText(value)) BadCursor(type_text, value);
      return value;
    case athena::TypeId::kDecimal:
      if (!IsDecimalText(value)) BadCursor(type_text, value);
      return fmt::format("DECIMAL {}", QuoteLiteral(value));
    case athena::TypeId::kDate:
      if (!IsDateText(value)) BadCursor(type_text, value);
      return fmt::format("DATE {}", QuoteLiteral(value));
    case athena::TypeId::kTimestamp:
    case athena::TypeId::kTimestampWithTimeZone:
      if (!IsTimestampText(value, type.id == athena::TypeId::kTimestampWithTimeZone))
        BadCursor(type_text, value);
      return fmt::format("TIMESTAMP {}", QuoteLiteral(value));
    default:
      return QuoteLiteral(value);
  }
}

std::string CursorCondition(const std::string& cursor_column, const std::string& cursor_type,
                            const std::string& cursor_value, std::vector<std::string>& parameters) {
  // >= rather than >: rows sharing the boundary value are re-read; upserts by key make it harmless.
  parameters.push_back(CursorLiteral(cursor_type, cursor_value));
  return fmt::format("{} >= ?", QuoteIdentifier(cursor_column));
}

int CompareCursor(const common::Value& a, const common::Value& b) {
  using common::DataType;
  switch (a.type) {
    case DataType::kShort:
    case DataType::kInt:
      return (a.int32 > b.int32) - (a.int32 < b.int32);
    case DataType::kLong:
      return (a.int64 > b.int64) - (a.int64 < b.int64);
    case DataType::kFloat:
      return (a.float32 > b.float32) - (a.float32 < b.float32);
    case DataType::kDouble:
      return (a.float64 > b.float64) - (a.float64 < b.float64);
    case DataType::kNaiveDate:
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime:
      if (a.timestamp.seconds != b.timestamp.seconds)
        return a.timestamp.seconds < b.timestamp.seconds ? -1 : 1;
      return (a.timestamp.nanos > b.timestamp.nanos) - (a.timestamp.nanos < b.timestamp.nanos);
    case DataType::kDecimal: {
      const long double x = std::strtold(std::string(a.text).c_str(), nullptr);
      const long double y = std::strtold(std::string(b.text).c_str(), nullptr);
      return (x > y) - (x < y);
    }
    default:
      return a.text.compare(b.text) < 0 ? -1 : (a.text == b.text ? 0 : 1);
  }
}

void CursorTracker::Offer(std::string_view athena_text, const common::Value& value) {
  if (has_value_ && CompareCursor(value, value_) <= 0) return;
  text_.assign(athena_text);
  payload_.assign(value.text);
  value_ = value;
  value_.text = payload_;
  has_value_ = true;
}

void CursorTracker::Seed(const std::string& athena_text) {
  athena::RowBatch one(1);
  one.AppendCell(athena_text);
  common::ValueBatch decoded;
  decoder_.Decode(one, decoded);
  if (!decoded.at(0, 0).is_null) Offer(athena_text, decoded.at(0, 0));
}

}  // namespace ac::connector
