#include "connector/parquet_cells.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "common/error.h"

namespace ac::connector {
namespace {

using athena::AthenaType;
using athena::TypeId;

constexpr char kHex[] = "0123456789abcdef";

std::string_view StringOf(const duckdb_string_t& s) {
  const uint32_t length = s.value.inlined.length;
  return length <= 12 ? std::string_view(s.value.inlined.inlined, length)
                      : std::string_view(s.value.pointer.ptr, length);
}

__int128 Int128Of(const duckdb_hugeint& h) {
  return static_cast<__int128>((static_cast<unsigned __int128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void AppendUnsigned128(std::string& out, unsigned __int128 v) {
  char buf[48];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0) out.push_back(buf[--n]);
}

void AppendSigned128(std::string& out, __int128 v) {
  if (v < 0) {
    out.push_back('-');
    AppendUnsigned128(out, static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(v));
  } else {
    AppendUnsigned128(out, static_cast<unsigned __int128>(v));
  }
}

template <typename T>
void AppendInteger(std::string& out, T v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, res.ptr);
}

/// `unscaled` / 10^scale in plain digits, at least one integer digit: (-5, 2) -> -0.05.
void AppendDecimal(std::string& out, __int128 unscaled, int scale) {
  if (scale <= 0) {
    AppendSigned128(out, unscaled);
    return;
  }
  unsigned __int128 magnitude = unscaled < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(unscaled)
                                             : static_cast<unsigned __int128>(unscaled);
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= scale) digits[n++] = '0';
  if (unscaled < 0) out.push_back('-');
  while (n > scale) out.push_back(digits[--n]);
  out.push_back('.');
  while (n > 0) out.push_back(digits[--n]);
}

void Append2(std::string& out, int64_t v) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

/// Proleptic Gregorian date of a day count since 1970-01-01, as `YYYY-MM-DD`.
void AppendDate(std::string& out, int64_t days) {
  // Shift the epoch to 0000-03-01 so leap days fall at the end of a 400-year era.
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t day_of_era = days - era * 146097;
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0) out.push_back('-');
  const int64_t y = year < 0 ? -year : year;
  if (y < 1000) out.push_back('0');
  if (y < 100) out.push_back('0');
  if (y < 10) out.push_back('0');
  AppendInteger(out, y);
  out.push_back('-');
  Append2(out, month);
  out.push_back('-');
  Append2(out, day);
}

/// `HH:MM:SS.fff` of milliseconds within a day.
void AppendTimeOfDay(std::string& out, int64_t millis) {
  const int64_t seconds = millis / 1000;
  Append2(out, seconds / 3600);
  out.push_back(':');
  Append2(out, seconds / 60 % 60);
  out.push_back(':');
  Append2(out, seconds % 60);
  out.push_back('.');
  const int64_t ms = millis % 1000;
  out.push_back(static_cast<char>('0' + ms / 100));
  Append2(out, ms % 100);
}

void AppendTimestampMillis(std::string& out, int64_t epoch_millis) {
  const int64_t days = FloorDiv(epoch_millis, 86'400'000);
  AppendDate(out, days);
  out.push_back(' ');
  AppendTimeOfDay(out, epoch_millis - days * 86'400'000);
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
  // Shortest round-trip digits: "[-]d[.ddd]e[+-]x".
  char buf[48];
  const auto res = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const char* p = buf;
  if (*p == '-') {
    out.push_back('-');
    ++p;
  }
  char digits[32];
  int count = 0;
  for (; p < res.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[count++] = *p;
  }
  int exponent = 0;
  if (p < res.ptr) {
    ++p;
    if (*p == '+') ++p;
    std::from_chars(p, res.ptr, exponent);
  }
  while (count > 1 && digits[count - 1] == '0') --count;
  if (exponent >= -3 && exponent < 7) {
    if (exponent >= 0) {
      for (int i = 0; i <= exponent; ++i) out.push_back(i < count ? digits[i] : '0');
      out.push_back('.');
      if (count > exponent + 1) out.append(digits + exponent + 1, static_cast<size_t>(count - exponent - 1));
      else out.push_back('0');
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out.append(digits, static_cast<size_t>(count));
    }
    return;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  if (count > 1) out.append(digits + 1, static_cast<size_t>(count - 1));
  else out.push_back('0');
  out.push_back('E');
  AppendInteger(out, exponent);
}

class LogicalType {
 public:
  explicit LogicalType(duckdb_logical_type type) : type_(type) {}
  ~LogicalType() { duckdb_destroy_logical_type(&type_); }
  LogicalType(const LogicalType&) = delete;
  LogicalType& operator=(const LogicalType&) = delete;
  duckdb_logical_type get() const { return type_; }

 private:
  duckdb_logical_type type_;
};

std::string TakeDuckDbString(char* text) {
  std::string out = text == nullptr ? std::string() : std::string(text);
  if (text != nullptr) duckdb_free(text);
  return out;
}

bool IsJson(duckdb_logical_type type) {
  return TakeDuckDbString(duckdb_logical_type_get_alias(type)) == "JSON";
}

}  // namespace

void AppendJavaDouble(std::string& out, double value) { AppendJavaFloating(out, value); }
void AppendJavaFloat(std::string& out, float value) { AppendJavaFloating(out, value); }

athena::AthenaType AthenaTypeOfDuckDb(duckdb_logical_type type) {
  AthenaType out;
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: out.id = TypeId::kBoolean; break;
    case DUCKDB_TYPE_TINYINT: out.id = TypeId::kTinyint; break;
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT: out.id = TypeId::kSmallint; break;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT: out.id = TypeId::kInteger; break;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER: out.id = TypeId::kBigint; break;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      out.id = TypeId::kDecimal;
      out.precision = 38;
      break;
    case DUCKDB_TYPE_FLOAT: out.id = TypeId::kReal; break;
    case DUCKDB_TYPE_DOUBLE: out.id = TypeId::kDouble; break;
    case DUCKDB_TYPE_DECIMAL:
      out.id = TypeId::kDecimal;
      out.precision = duckdb_decimal_width(type);
      out.scale = duckdb_decimal_scale(type);
      break;
    case DUCKDB_TYPE_VARCHAR: out.id = IsJson(type) ? TypeId::kJson : TypeId::kVarchar; break;
    case DUCKDB_TYPE_BLOB: out.id = TypeId::kVarbinary; break;
    case DUCKDB_TYPE_DATE: out.id = TypeId::kDate; break;
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS: out.id = TypeId::kTime; break;
    case DUCKDB_TYPE_TIME_TZ: out.id = TypeId::kTimeWithTimeZone; break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      out.id = TypeId::kTimestamp;
      out.precision = 3;
      break;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      out.id = TypeId::kTimestampWithTimeZone;
      out.precision = 3;
      break;
    case DUCKDB_TYPE_INTERVAL: out.id = TypeId::kIntervalDayToSecond; break;
    case DUCKDB_TYPE_UUID: out.id = TypeId::kUuid; break;
    case DUCKDB_TYPE_LIST: {
      LogicalType child(duckdb_list_type_child_type(type));
      out.id = TypeId::kArray;
      out.children.push_back({"", AthenaTypeOfDuckDb(child.get())});
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalType child(duckdb_array_type_child_type(type));
      out.id = TypeId::kArray;
      out.children.push_back({"", AthenaTypeOfDuckDb(child.get())});
      break;
    }
    case DUCKDB_TYPE_MAP: {
      LogicalType key(duckdb_map_type_key_type(type));
      LogicalType value(duckdb_map_type_value_type(type));
      out.id = TypeId::kMap;
      out.children.push_back({"", AthenaTypeOfDuckDb(key.get())});
      out.children.push_back({"", AthenaTypeOfDuckDb(value.get())});
      break;
    }
    case DUCKDB_TYPE_STRUCT: {
      out.id = TypeId::kRow;
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        LogicalType child(duckdb_struct_type_child_type(type, i));
        std::string name = TakeDuckDbString(duckdb_struct_type_child_name(type, i));
        out.children.push_back({std::move(name), AthenaTypeOfDuckDb(child.get())});
      }
      break;
    }
    default: out.id = TypeId::kUnknown; break;
  }
  return out;
}

/// One column's (or nested field's) formatter, bound to a DuckDB vector per chunk.
struct ParquetCellConverter::Node {
  enum class Kind {
    kBool, kInt8, kInt16, kInt32, kInt64, kUInt8, kUInt16, kUInt32, kUInt64, kHuge, kUHuge, kFloat, kDouble,
    kDecimal16, kDecimal32, kDecimal64, kDecimal128, kVarchar, kJson, kBlob, kDate, kTimeMicros, kTimeNanos,
    kTimeTz, kTimestampSeconds, kTimestampMillis, kTimestampMicros, kTimestampNanos, kTimestampTz, kInterval,
    kUuid, kNull, kList, kArray, kMap, kStruct
  };
  Kind kind = Kind::kNull;
  int scale = 0;
  idx_t array_size = 0;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<Node>> children;
  const void* data = nullptr;
  const uint64_t* validity = nullptr;

  static std::unique_ptr<Node> Make(duckdb_logical_type type, const std::string& column);
  void Bind(duckdb_vector vector);
  bool IsNull(idx_t row) const {
    return kind == Kind::kNull || (validity != nullptr && ((validity[row >> 6] >> (row & 63)) & 1) == 0);
  }
  void Append(std::string& out, idx_t row) const;
  void AppendNested(std::string& out, idx_t row) const {
    if (IsNull(row)) out += "null";
    else Append(out, row);
  }
  template <typename T>
  const T& At(idx_t row) const {
    return static_cast<const T*>(data)[row];
  }
};

std::unique_ptr<ParquetCellConverter::Node> ParquetCellConverter::Node::Make(duckdb_logical_type type,
                                                                             const std::string& column) {
  auto node = std::make_unique<Node>();
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: node->kind = Kind::kBool; break;
    case DUCKDB_TYPE_TINYINT: node->kind = Kind::kInt8; break;
    case DUCKDB_TYPE_SMALLINT: node->kind = Kind::kInt16; break;
    case DUCKDB_TYPE_INTEGER: node->kind = Kind::kInt32; break;
    case DUCKDB_TYPE_BIGINT: node->kind = Kind::kInt64; break;
    case DUCKDB_TYPE_UTINYINT: node->kind = Kind::kUInt8; break;
    case DUCKDB_TYPE_USMALLINT: node->kind = Kind::kUInt16; break;
    case DUCKDB_TYPE_UINTEGER: node->kind = Kind::kUInt32; break;
    case DUCKDB_TYPE_UBIGINT: node->kind = Kind::kUInt64; break;
    case DUCKDB_TYPE_HUGEINT: node->kind = Kind::kHuge; break;
    case DUCKDB_TYPE_UHUGEINT: node->kind = Kind::kUHuge; break;
    case DUCKDB_TYPE_FLOAT: node->kind = Kind::kFloat; break;
    case DUCKDB_TYPE_DOUBLE: node->kind = Kind::kDouble; break;
    case DUCKDB_TYPE_DECIMAL:
      node->scale = duckdb_decimal_scale(type);
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT: node->kind = Kind::kDecimal16; break;
        case DUCKDB_TYPE_INTEGER: node->kind = Kind::kDecimal32; break;
        case DUCKDB_TYPE_BIGINT: node->kind = Kind::kDecimal64; break;
        default: node->kind = Kind::kDecimal128; break;
      }
      break;
    case DUCKDB_TYPE_VARCHAR: node->kind = IsJson(type) ? Kind::kJson : Kind::kVarchar; break;
    case DUCKDB_TYPE_BLOB: node->kind = Kind::kBlob; break;
    case DUCKDB_TYPE_DATE: node->kind = Kind::kDate; break;
    case DUCKDB_TYPE_TIME: node->kind = Kind::kTimeMicros; break;
    case DUCKDB_TYPE_TIME_NS: node->kind = Kind::kTimeNanos; break;
    case DUCKDB_TYPE_TIME_TZ: node->kind = Kind::kTimeTz; break;
    case DUCKDB_TYPE_TIMESTAMP: node->kind = Kind::kTimestampMicros; break;
    case DUCKDB_TYPE_TIMESTAMP_S: node->kind = Kind::kTimestampSeconds; break;
    case DUCKDB_TYPE_TIMESTAMP_MS: node->kind = Kind::kTimestampMillis; break;
    case DUCKDB_TYPE_TIMESTAMP_NS: node->kind = Kind::kTimestampNanos; break;
    case DUCKDB_TYPE_TIMESTAMP_TZ: node->kind = Kind::kTimestampTz; break;
    case DUCKDB_TYPE_INTERVAL: node->kind = Kind::kInterval; break;
    case DUCKDB_TYPE_UUID: node->kind = Kind::kUuid; break;
    case DUCKDB_TYPE_SQLNULL: node->kind = Kind::kNull; break;
    case DUCKDB_TYPE_LIST: {
      LogicalType child(duckdb_list_type_child_type(type));
      node->kind = Kind::kList;
      node->children.push_back(Make(child.get(), column));
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalType child(duckdb_array_type_child_type(type));
      node->kind = Kind::kArray;
      node->array_size = duckdb_array_type_array_size(type);
      node->children.push_back(Make(child.get(), column));
      break;
    }
    case DUCKDB_TYPE_MAP: {
      LogicalType key(duckdb_map_type_key_type(type));
      LogicalType value(duckdb_map_type_value_type(type));
      node->kind = Kind::kMap;
      node->children.push_back(Make(key.get(), column));
      node->children.push_back(Make(value.get(), column));
      break;
    }
    case DUCKDB_TYPE_STRUCT: {
      node->kind = Kind::kStruct;
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        LogicalType child(duckdb_struct_type_child_type(type, i));
        std::string name = TakeDuckDbString(duckdb_struct_type_child_name(type, i));
        if (name.empty()) name = "field" + std::to_string(i);
        node->names.push_back(std::move(name));
        node->children.push_back(Make(child.get(), column));
      }
      break;
    }
    default:
      throw common::ProtocolError(fmt::format("UNLOAD Parquet column '{}' has a type (DuckDB type id {}) with no Athena text form",
                                              column, static_cast<int>(duckdb_get_type_id(type))));
  }
  return node;
}

void ParquetCellConverter::Node::Bind(duckdb_vector vector) {
  data = duckdb_vector_get_data(vector);
  validity = duckdb_vector_get_validity(vector);
  switch (kind) {
    case Kind::kList: children[0]->Bind(duckdb_list_vector_get_child(vector)); break;
    case Kind::kArray: children[0]->Bind(duckdb_array_vector_get_child(vector)); break;
    case Kind::kMap: {
      duckdb_vector entries = duckdb_list_vector_get_child(vector);
      children[0]->Bind(duckdb_struct_vector_get_child(entries, 0));
      children[1]->Bind(duckdb_struct_vector_get_child(entries, 1));
      break;
    }
    case Kind::kStruct:
      for (size_t i = 0; i < children.size(); ++i) children[i]->Bind(duckdb_struct_vector_get_child(vector, i));
      break;
    default: break;
  }
}

void ParquetCellConverter::Node::Append(std::string& out, idx_t row) const {
  switch (kind) {
    case Kind::kBool: out += At<bool>(row) ? "true" : "false"; break;
    case Kind::kInt8: AppendInteger(out, static_cast<int>(At<int8_t>(row))); break;
    case Kind::kInt16: AppendInteger(out, At<int16_t>(row)); break;
    case Kind::kInt32: AppendInteger(out, At<int32_t>(row)); break;
    case Kind::kInt64: AppendInteger(out, At<int64_t>(row)); break;
    case Kind::kUInt8: AppendInteger(out, static_cast<unsigned>(At<uint8_t>(row))); break;
    case Kind::kUInt16: AppendInteger(out, At<uint16_t>(row)); break;
    case Kind::kUInt32: AppendInteger(out, At<uint32_t>(row)); break;
    case Kind::kUInt64: AppendInteger(out, At<uint64_t>(row)); break;
    case Kind::kHuge: AppendSigned128(out, Int128Of(At<duckdb_hugeint>(row))); break;
    case Kind::kUHuge: {
      const auto& v = At<duckdb_uhugeint>(row);
      AppendUnsigned128(out, (static_cast<unsigned __int128>(v.upper) << 64) | v.lower);
      break;
    }
    case Kind::kFloat: AppendJavaFloat(out, At<float>(row)); break;
    case Kind::kDouble: AppendJavaDouble(out, At<double>(row)); break;
    case Kind::kDecimal16: AppendDecimal(out, At<int16_t>(row), scale); break;
    case Kind::kDecimal32: AppendDecimal(out, At<int32_t>(row), scale); break;
    case Kind::kDecimal64: AppendDecimal(out, At<int64_t>(row), scale); break;
    case Kind::kDecimal128: AppendDecimal(out, Int128Of(At<duckdb_hugeint>(row)), scale); break;
    case Kind::kVarchar: out.append(StringOf(At<duckdb_string_t>(row))); break;
    case Kind::kJson: {
      // Trino's json text is compact: drop whitespace outside strings.
      const std::string_view json = StringOf(At<duckdb_string_t>(row));
      bool in_string = false;
      for (size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
          out.push_back(c);
          if (c == '\\' && i + 1 < json.size()) out.push_back(json[++i]);
          else if (c == '"') in_string = false;
        } else if (c == '"') {
          in_string = true;
          out.push_back(c);
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
          out.push_back(c);
        }
      }
      break;
    }
    case Kind::kBlob: {
      const std::string_view bytes = StringOf(At<duckdb_string_t>(row));
      for (size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0) out.push_back(' ');
        const auto b = static_cast<unsigned char>(bytes[i]);
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
      }
      break;
    }
    case Kind::kDate: AppendDate(out, At<int32_t>(row)); break;
    case Kind::kTimeMicros: AppendTimeOfDay(out, At<int64_t>(row) / 1000); break;
    case Kind::kTimeNanos: AppendTimeOfDay(out, At<int64_t>(row) / 1'000'000); break;
    case Kind::kTimeTz: {
      const duckdb_time_tz_struct t = duckdb_from_time_tz(At<duckdb_time_tz>(row));
      AppendTimeOfDay(out, ((int64_t{t.time.hour} * 60 + t.time.min) * 60 + t.time.sec) * 1000 + t.time.micros / 1000);
      const int32_t offset = t.offset;
      out.push_back(offset < 0 ? '-' : '+');
      const int32_t magnitude = offset < 0 ? -offset : offset;
      Append2(out, magnitude / 3600);
      out.push_back(':');
      Append2(out, magnitude / 60 % 60);
      break;
    }
    case Kind::kTimestampSeconds: AppendTimestampMillis(out, At<int64_t>(row) * 1000); break;
    case Kind::kTimestampMillis: AppendTimestampMillis(out, At<int64_t>(row)); break;
    case Kind::kTimestampMicros: AppendTimestampMillis(out, FloorDiv(At<int64_t>(row) + 500, 1000)); break;
    case Kind::kTimestampNanos: AppendTimestampMillis(out, FloorDiv(At<int64_t>(row) + 500'000, 1'000'000)); break;
    case Kind::kTimestampTz:
      AppendTimestampMillis(out, FloorDiv(At<int64_t>(row) + 500, 1000));
      out += " UTC";
      break;
    case Kind::kInterval: {
      const duckdb_interval& v = At<duckdb_interval>(row);
      if (v.months != 0 && v.days == 0 && v.micros == 0) {  // interval year to month: `1-2`
        int64_t months = v.months;
        if (months < 0) {
          out.push_back('-');
          months = -months;
        }
        AppendInteger(out, months / 12);
        out.push_back('-');
        AppendInteger(out, months % 12);
      } else {  // interval day to second: `2 00:00:00.000`
        int64_t millis = (int64_t{v.months} * 30 + v.days) * 86'400'000 + v.micros / 1000;
        if (millis < 0) {
          out.push_back('-');
          millis = -millis;
        }
        AppendInteger(out, millis / 86'400'000);
        out.push_back(' ');
        AppendTimeOfDay(out, millis % 86'400'000);
      }
      break;
    }
    case Kind::kUuid: {
      const auto& h = At<duckdb_hugeint>(row);
      // DuckDB keeps a UUID as a hugeint with the top bit flipped (so that it sorts as text).
      const uint64_t high = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
      for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
        const uint64_t word = i < 16 ? high : h.lower;
        out.push_back(kHex[(word >> (60 - 4 * (i % 16))) & 15]);
      }
      break;
    }
    case Kind::kNull: break;
    case Kind::kList: {
      const auto& entry = At<duckdb_list_entry>(row);
      out.push_back('[');
      for (uint64_t i = 0; i < entry.length; ++i) {
        if (i > 0) out += ", ";
        children[0]->AppendNested(out, entry.offset + i);
      }
      out.push_back(']');
      break;
    }
    case Kind::kArray:
      out.push_back('[');
      for (idx_t i = 0; i < array_size; ++i) {
        if (i > 0) out += ", ";
        children[0]->AppendNested(out, row * array_size + i);
      }
      out.push_back(']');
      break;
    case Kind::kMap: {
      const auto& entry = At<duckdb_list_entry>(row);
      out.push_back('{');
      for (uint64_t i = 0; i < entry.length; ++i) {
        if (i > 0) out += ", ";
        children[0]->AppendNested(out, entry.offset + i);
        out.push_back('=');
        children[1]->AppendNested(out, entry.offset + i);
      }
      out.push_back('}');
      break;
    }
    case Kind::kStruct:
      out.push_back('{');
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) out += ", ";
        out += names[i];
        out.push_back('=');
        children[i]->AppendNested(out, row);
      }
      out.push_back('}');
      break;
  }
}

ParquetCellConverter::ParquetCellConverter(duckdb_result& result) {
  const idx_t count = duckdb_column_count(&result);
  for (idx_t i = 0; i < count; ++i) {
    LogicalType type(duckdb_column_logical_type(&result, i));
    athena::Column column;
    const char* name = duckdb_column_name(&result, i);
    column.name = name == nullptr ? std::string() : std::string(name);
    column.type = AthenaTypeOfDuckDb(type.get());
    nodes_.push_back(Node::Make(type.get(), column.name));
    columns_.push_back(std::move(column));
  }
}

ParquetCellConverter::~ParquetCellConverter() = default;

void ParquetCellConverter::Append(duckdb_data_chunk chunk, size_t begin, size_t end, athena::RowBatch& out) {
  for (size_t c = 0; c < nodes_.size(); ++c) nodes_[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
  for (size_t r = begin; r < end; ++r) {
    for (const auto& node : nodes_) {
      if (node->IsNull(r)) {
        out.AppendNull();
      } else if (node->kind == Node::Kind::kVarchar) {
        out.AppendCell(StringOf(node->At<duckdb_string_t>(r)));
      } else {
        scratch_.clear();
        node->Append(scratch_, r);
        out.AppendCell(scratch_);
      }
    }
  }
}

}  // namespace ac::connector
