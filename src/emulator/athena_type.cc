#include "emulator/athena_type.h"

#include <charconv>

#include "common/strings.h"

namespace ac::emulator {
namespace {

using athena_text::IsJsonType;
using athena_text::LogicalTypeHolder;

constexpr int32_t kVarcharUnboundedPrecision = 2147483647;
constexpr int32_t kVarbinaryPrecision = 1073741824;

}  // namespace

DeclaredType DeclaredType::Parse(std::string_view text) {
  // Lower-cased, each whitespace run one space: "Decimal( 10 ,\n2 )" -> "decimal( 10 , 2 )".
  const std::string t = common::Lower(common::CollapseSpaces(text, common::kCLocaleSpace));
  std::string compact;
  for (char c : t) {
    if (c != ' ') compact.push_back(c);
  }
  DeclaredType d;
  auto parse_length = [&](std::string_view prefix, Kind kind) {
    if (compact.size() > prefix.size() + 1 && compact.compare(0, prefix.size(), prefix) == 0 &&
        compact.back() == ')') {
      std::string_view inner(compact);
      inner = inner.substr(prefix.size());
      while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
      if (inner.empty() || inner.front() != '(') return false;
      inner = inner.substr(1, inner.size() - 2);
      int n = 0;
      auto res = std::from_chars(inner.data(), inner.data() + inner.size(), n);
      if (res.ec == std::errc() && res.ptr == inner.data() + inner.size() && n > 0) {
        d.kind = kind;
        d.length = n;
        return true;
      }
    }
    return false;
  };
  if (parse_length("char", Kind::kChar) || parse_length("varchar", Kind::kVarchar)) return d;
  if (t == "ipaddress")
    d.kind = Kind::kIpAddress;
  else if (t == "float")
    d.kind = Kind::kHiveFloat;
  else if (t == "interval year to month")
    d.kind = Kind::kIntervalYearToMonth;
  else if (t == "interval day to second")
    d.kind = Kind::kIntervalDayToSecond;
  else if (t == "json")
    d.kind = Kind::kJson;
  return d;
}

athena_text::CellTextHints DeclaredType::TextHints() const {
  athena_text::CellTextHints hints;
  switch (kind) {
    case Kind::kChar:
      hints.char_length = length;
      break;
    case Kind::kJson:
      hints.json = true;
      break;
    case Kind::kIntervalYearToMonth:
      hints.interval = athena_text::CellTextHints::Interval::kYearToMonth;
      break;
    case Kind::kIntervalDayToSecond:
      hints.interval = athena_text::CellTextHints::Interval::kDayToSecond;
      break;
    default:
      break;
  }
  return hints;
}

std::string DeclaredType::ToString() const {
  switch (kind) {
    case Kind::kNone:
      return "";
    case Kind::kChar:
      return "char(" + std::to_string(length) + ")";
    case Kind::kVarchar:
      return "varchar(" + std::to_string(length) + ")";
    case Kind::kIpAddress:
      return "ipaddress";
    case Kind::kHiveFloat:
      return "float";
    case Kind::kIntervalYearToMonth:
      return "interval year to month";
    case Kind::kIntervalDayToSecond:
      return "interval day to second";
    case Kind::kJson:
      return "json";
  }
  return "";
}

ColumnType DescribeColumn(duckdb_logical_type type, const DeclaredType& declared) {
  using K = DeclaredType::Kind;
  const duckdb_type id = duckdb_get_type_id(type);
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
      return {"boolean", 0, 0};
    case DUCKDB_TYPE_TINYINT:
      return {"tinyint", 3, 0};
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
      return {"smallint", 5, 0};
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
      return {"integer", 10, 0};
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
      return {"bigint", 19, 0};
    case DUCKDB_TYPE_UBIGINT:
      return {"decimal", 20, 0};
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      return {"decimal", 38, 0};
    case DUCKDB_TYPE_FLOAT:
      return {declared.kind == K::kHiveFloat ? "float" : "real", 17, 0};
    case DUCKDB_TYPE_DOUBLE:
      return {"double", 17, 0};
    case DUCKDB_TYPE_DECIMAL:
      return {"decimal", duckdb_decimal_width(type), duckdb_decimal_scale(type)};
    case DUCKDB_TYPE_VARCHAR:
      if (IsJsonType(type) || declared.kind == K::kJson) return {"json", 0, 0};
      if (declared.kind == K::kChar) return {"char", declared.length, 0, true};
      if (declared.kind == K::kVarchar) return {"varchar", declared.length, 0, true};
      if (declared.kind == K::kIpAddress) return {"ipaddress", 0, 0};
      return {"varchar", kVarcharUnboundedPrecision, 0, true};
    case DUCKDB_TYPE_ENUM:
      return {"varchar", kVarcharUnboundedPrecision, 0, true};
    case DUCKDB_TYPE_BLOB:
      return {"varbinary", kVarbinaryPrecision, 0};
    case DUCKDB_TYPE_DATE:
      return {"date", 0, 0};
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
      return {"time", 3, 0};
    case DUCKDB_TYPE_TIME_TZ:
      return {"time with time zone", 3, 0};
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return {"timestamp", 3, 0};
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return {"timestamp with time zone", 3, 0};
    case DUCKDB_TYPE_INTERVAL:
      return {declared.kind == K::kIntervalYearToMonth ? "interval year to month"
                                                       : "interval day to second",
              0, 0};
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY:
      return {"array", 0, 0};
    case DUCKDB_TYPE_MAP:
      return {"map", 0, 0};
    case DUCKDB_TYPE_STRUCT:
      return {"row", 0, 0};
    case DUCKDB_TYPE_UUID:
      return {"uuid", 0, 0};
    case DUCKDB_TYPE_SQLNULL:
      return {"unknown", 0, 0};
    default:
      return {"varchar", kVarcharUnboundedPrecision, 0, true};
  }
}

std::string HiveTypeName(duckdb_logical_type type, const DeclaredType& declared) {
  using K = DeclaredType::Kind;
  const duckdb_type id = duckdb_get_type_id(type);
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
      return "boolean";
    case DUCKDB_TYPE_TINYINT:
      return "tinyint";
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
      return "smallint";
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
      return "int";
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
      return "bigint";
    case DUCKDB_TYPE_UBIGINT:
      return "decimal(20,0)";
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      return "decimal(38,0)";
    case DUCKDB_TYPE_FLOAT:
      return "float";
    case DUCKDB_TYPE_DOUBLE:
      return "double";
    case DUCKDB_TYPE_DECIMAL:
      return "decimal(" + std::to_string(duckdb_decimal_width(type)) + "," +
             std::to_string(duckdb_decimal_scale(type)) + ")";
    case DUCKDB_TYPE_VARCHAR:
      if (IsJsonType(type)) return "json";
      if (declared.kind == K::kChar || declared.kind == K::kVarchar ||
          declared.kind == K::kIpAddress || declared.kind == K::kJson) {
        return declared.ToString();
      }
      return "string";
    case DUCKDB_TYPE_ENUM:
      return "string";
    case DUCKDB_TYPE_BLOB:
      return "binary";
    case DUCKDB_TYPE_DATE:
      return "date";
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
      return "time";
    case DUCKDB_TYPE_TIME_TZ:
      return "time with time zone";
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return "timestamp";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "timestamp with time zone";
    case DUCKDB_TYPE_INTERVAL:
      return declared.kind == K::kIntervalYearToMonth ? "interval year to month"
                                                      : "interval day to second";
    case DUCKDB_TYPE_UUID:
      return "uuid";
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHolder child(duckdb_list_type_child_type(type));
      return "array<" + HiveTypeName(child.get()) + ">";
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHolder child(duckdb_array_type_child_type(type));
      return "array<" + HiveTypeName(child.get()) + ">";
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHolder key(duckdb_map_type_key_type(type));
      LogicalTypeHolder value(duckdb_map_type_value_type(type));
      return "map<" + HiveTypeName(key.get()) + "," + HiveTypeName(value.get()) + ">";
    }
    case DUCKDB_TYPE_STRUCT: {
      std::string out = "struct<";
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        if (i != 0) out.push_back(',');
        char* name = duckdb_struct_type_child_name(type, i);
        out += name != nullptr && *name != '\0' ? name : "field" + std::to_string(i);
        duckdb_free(name);
        out.push_back(':');
        LogicalTypeHolder child(duckdb_struct_type_child_type(type, i));
        out += HiveTypeName(child.get());
      }
      out.push_back('>');
      return out;
    }
    default:
      return "string";
  }
}

bool IsFormattableType(duckdb_logical_type type) {
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
    case DUCKDB_TYPE_TIME_TZ:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_SQLNULL:
      return true;
    case DUCKDB_TYPE_ENUM: {
      const duckdb_type internal = duckdb_enum_internal_type(type);
      return internal == DUCKDB_TYPE_UTINYINT || internal == DUCKDB_TYPE_USMALLINT ||
             internal == DUCKDB_TYPE_UINTEGER;
    }
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHolder child(duckdb_list_type_child_type(type));
      return IsFormattableType(child.get());
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHolder child(duckdb_array_type_child_type(type));
      return IsFormattableType(child.get());
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHolder key(duckdb_map_type_key_type(type));
      LogicalTypeHolder value(duckdb_map_type_value_type(type));
      return IsFormattableType(key.get()) && IsFormattableType(value.get());
    }
    case DUCKDB_TYPE_STRUCT: {
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        LogicalTypeHolder child(duckdb_struct_type_child_type(type, i));
        if (!IsFormattableType(child.get())) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace ac::emulator
