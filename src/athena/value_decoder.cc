#include "athena/value_decoder.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "athena/datetime.h"
#include "common/error.h"

namespace ac::athena {
namespace {

using common::DataType;
using common::Value;

constexpr size_t kMaxExcerptBytes = 64;
constexpr int64_t kSecondsPerDay = 86400;

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

/// Athena's integer text (optional sign, digits) within [min, max].
bool ParseInteger(std::string_view text, int64_t min, int64_t max, int64_t& value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && value >= min && value <= max;
}

/// Java-style float text: `0.5`, `1.0E10`, `9.99E-4`, `NaN`, `Infinity`, `-Infinity`.
template <typename Float>
bool ParseFloat(std::string_view text, Float& value) {
  if (text == "NaN") {
    value = std::numeric_limits<Float>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "+Infinity") {
    value = std::numeric_limits<Float>::infinity();
    return true;
  }
  if (text == "-Infinity") {
    value = -std::numeric_limits<Float>::infinity();
    return true;
  }
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  // Only digits, sign, point and exponent: from_chars would also take "inf"/"nan" spellings and
  // hexadecimal is not Athena's.
  if (text.empty() || !(IsDigit(text.front()) || text.front() == '-' || text.front() == '.'))
    return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  return ec == std::errc() && ptr == end;
}

/// Decimal text `[+-]digits[.digits]`; returns the text to keep (a leading '+' dropped).
bool ParseDecimal(std::string_view text, std::string_view& kept) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  size_t digits = 0;
  while (i < text.size() && IsDigit(text[i])) {
    ++i;
    ++digits;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0 || i != text.size()) return false;
  kept = text;
  return true;
}

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// `31 32 33` (hex byte pairs, single spaces between them) into `out`; returns bytes written or -1.
int64_t DecodeHexBytes(std::string_view text, char* out) {
  size_t written = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (written > 0 && text[i] == ' ') ++i;
    if (i + 2 > text.size()) return -1;
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[written++] = static_cast<char>((hi << 4) | lo);
    i += 2;
  }
  return static_cast<int64_t>(written);
}

std::string Excerpt(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::string_view head = text.substr(0, kMaxExcerptBytes);
  for (char c : head) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {  // keep the message on one line
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  if (text.size() > head.size()) out += "...";
  return out;
}

}  // namespace

ValueDecoder::ValueDecoder(std::vector<Column> columns) : columns_(std::move(columns)) {
  types_.reserve(columns_.size());
  for (const Column& column : columns_) types_.push_back(ToFivetranType(column.type));
}

void ValueDecoder::ThrowMalformed(size_t column, std::string_view problem,
                                  std::string_view text) const {
  const Column& c = columns_[column];
  throw common::ProtocolError("column '" + c.name + "' (" + c.type.ToString() + ") row " +
                              std::to_string(row_number_) + ": " + std::string(problem) + " '" +
                              Excerpt(text) + "'");
}

void ValueDecoder::Decode(const RowBatch& rows, common::ValueBatch& out) {
  const size_t num_columns = columns_.size();
  if (rows.num_columns() != num_columns) {
    throw common::ProtocolError("result rows have " + std::to_string(rows.num_columns()) +
                                " columns, expected " + std::to_string(num_columns));
  }
  out.Reset(num_columns);
  const size_t num_rows = rows.num_rows();
  for (size_t r = 0; r < num_rows; ++r) {
    ++row_number_;
    Value* row = out.AppendRow();
    for (size_t c = 0; c < num_columns; ++c) {
      Value& value = row[c];
      value.type = types_[c];
      if (rows.is_null(r, c)) {
        value.is_null = true;
        continue;
      }
      value.is_null = false;
      DecodeCell(c, rows.cell(r, c), value, out);
    }
  }
}

void ValueDecoder::DecodeCell(size_t column, std::string_view text, Value& value,
                              common::ValueBatch& out) {
  const AthenaType& type = columns_[column].type;
  switch (type.id) {
    case TypeId::kBoolean:
      if (text == "true") {
        value.boolean = true;
      } else if (text == "false") {
        value.boolean = false;
      } else {
        ThrowMalformed(column, "malformed boolean", text);
      }
      return;
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger: {
      int64_t min = std::numeric_limits<int32_t>::min(), max = std::numeric_limits<int32_t>::max();
      if (type.id == TypeId::kTinyint) {
        min = std::numeric_limits<int8_t>::min();
        max = std::numeric_limits<int8_t>::max();
      } else if (type.id == TypeId::kSmallint) {
        min = std::numeric_limits<int16_t>::min();
        max = std::numeric_limits<int16_t>::max();
      }
      int64_t v = 0;
      if (!ParseInteger(text, min, max, v))
        ThrowMalformed(column, "malformed or out-of-range integer", text);
      value.int32 = static_cast<int32_t>(v);
      return;
    }
    case TypeId::kBigint: {
      int64_t v = 0;
      if (!ParseInteger(text, std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max(), v)) {
        ThrowMalformed(column, "malformed or out-of-range bigint", text);
      }
      value.int64 = v;
      return;
    }
    case TypeId::kReal:
      if (!ParseFloat(text, value.float32)) ThrowMalformed(column, "malformed real", text);
      return;
    case TypeId::kDouble:
      if (!ParseFloat(text, value.float64)) ThrowMalformed(column, "malformed double", text);
      return;
    case TypeId::kDecimal: {
      std::string_view kept;
      if (!ParseDecimal(text, kept)) ThrowMalformed(column, "malformed decimal", text);
      value.text = out.Store(kept);
      return;
    }
    case TypeId::kVarbinary: {
      if (text.empty()) {
        value.text = std::string_view();
        return;
      }
      char* bytes = out.Reserve(text.size() / 2 + 1);
      const int64_t written = DecodeHexBytes(text, bytes);
      if (written < 0) {
        out.Commit(0);
        ThrowMalformed(column, "malformed varbinary", text);
      }
      value.text = out.Commit(static_cast<size_t>(written));
      return;
    }
    case TypeId::kDate: {
      size_t pos = 0;
      int64_t days = 0;
      if (!ParseDateAt(text, pos, days) || pos != text.size())
        ThrowMalformed(column, "malformed date", text);
      value.timestamp = common::Timestamp{days * kSecondsPerDay, 0};
      return;
    }
    case TypeId::kTimestamp: {
      size_t pos = 0;
      int64_t seconds = 0;
      int32_t nanos = 0;
      if (!ParseDateTimeAt(text, pos, seconds, nanos) || pos != text.size()) {
        ThrowMalformed(column, "malformed timestamp", text);
      }
      value.timestamp = common::Timestamp{seconds, nanos};
      return;
    }
    case TypeId::kTimestampWithTimeZone: {
      size_t pos = 0;
      int64_t local = 0;
      int32_t nanos = 0;
      if (!ParseDateTimeAt(text, pos, local, nanos))
        ThrowMalformed(column, "malformed timestamp", text);
      while (pos < text.size() && text[pos] == ' ') ++pos;
      const std::string_view zone_id = text.substr(pos);
      if (zone_id.empty()) ThrowMalformed(column, "timestamp without time zone", text);
      const common::TimeZone* zone = zones_.Find(zone_id);
      if (zone == nullptr) ThrowMalformed(column, "unknown time zone in timestamp", text);
      value.timestamp = common::Timestamp{zone->LocalToUtc(local), nanos};
      return;
    }
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kRow:
      scratch_.clear();
      if (!complex_.Append(type, text, scratch_)) {
        ThrowMalformed(column,
                       type.id == TypeId::kArray ? "malformed array"
                       : type.id == TypeId::kMap ? "malformed map"
                                                 : "malformed row",
                       text);
      }
      value.text = out.Store(scratch_);
      return;
    case TypeId::kJson:
    case TypeId::kUnknown:
    case TypeId::kChar:
    case TypeId::kVarchar:
    case TypeId::kTime:
    case TypeId::kTimeWithTimeZone:
    case TypeId::kIntervalYearToMonth:
    case TypeId::kIntervalDayToSecond:
    case TypeId::kIpAddress:
    case TypeId::kUuid:
      value.text = out.Store(text);
      return;
  }
  value.text = out.Store(text);
}

bool AppendComplexAsJson(const AthenaType& type, std::string_view text, std::string& out) {
  ComplexJsonWriter writer;
  return writer.Append(type, text, out);
}

}  // namespace ac::athena
