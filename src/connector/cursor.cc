#include "connector/cursor.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/sql_quote.h"

namespace ac::connector {

using common::QuoteIdentifier;
using common::QuoteLiteral;

std::string CursorLiteral(const std::string& type_text, const std::string& value) {
  const athena::AthenaType type = athena::ParseDeclaredType(type_text);
  switch (type.id) {
    case athena::TypeId::kTinyint:
    case athena::TypeId::kSmallint:
    case athena::TypeId::kInteger:
    case athena::TypeId::kBigint:
    case athena::TypeId::kReal:
    case athena::TypeId::kDouble:
      return value;
    case athena::TypeId::kDecimal:
      return fmt::format("DECIMAL {}", QuoteLiteral(value));
    case athena::TypeId::kDate:
      return fmt::format("DATE {}", QuoteLiteral(value));
    case athena::TypeId::kTimestamp:
    case athena::TypeId::kTimestampWithTimeZone:
      return fmt::format("TIMESTAMP {}", QuoteLiteral(value));
    default:
      return QuoteLiteral(value);
  }
}

std::string SqlFromCursor(const std::string& sql, const std::string& cursor_column,
                          const std::string& cursor_type, const std::string& cursor_value) {
  // >= rather than >: rows sharing the boundary value are re-read; upserts by key make it harmless.
  return fmt::format("SELECT * FROM ({}) WHERE {} >= {}", sql, QuoteIdentifier(cursor_column),
                     CursorLiteral(cursor_type, cursor_value));
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
