#include "athena/types.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include "common/strings.h"

namespace ac::athena {
namespace {

using common::DataType;

// ColumnInfo reports unbounded varchar as this length.
constexpr int32_t kUnboundedVarcharLength = std::numeric_limits<int32_t>::max();
// Hive's `decimal` without parameters is decimal(10,0).
constexpr int32_t kHiveDefaultDecimalPrecision = 10;
// Fivetran needs a precision for DECIMAL; Athena's maximum.
constexpr uint32_t kMaxDecimalPrecision = 38;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// Collapses runs of whitespace to one space and lowercases: "Timestamp  With Time Zone" ->
/// "timestamp with time zone".
std::string NormalizeName(std::string_view text) {
  return common::Lower(common::CollapseSpaces(text));
}

/// Base type names (Trino and Hive spellings) that carry no children.
std::optional<TypeId> SimpleTypeId(std::string_view name) {
  struct Entry {
    std::string_view name;
    TypeId id;
  };
  static constexpr Entry kNames[] = {
      {"boolean", TypeId::kBoolean},
      {"tinyint", TypeId::kTinyint},
      {"smallint", TypeId::kSmallint},
      {"integer", TypeId::kInteger},
      {"int", TypeId::kInteger},
      {"bigint", TypeId::kBigint},
      {"real", TypeId::kReal},
      {"float", TypeId::kReal},
      {"double", TypeId::kDouble},
      {"double precision", TypeId::kDouble},
      {"decimal", TypeId::kDecimal},
      {"numeric", TypeId::kDecimal},
      {"char", TypeId::kChar},
      {"varchar", TypeId::kVarchar},
      {"string", TypeId::kVarchar},
      {"varbinary", TypeId::kVarbinary},
      {"binary", TypeId::kVarbinary},
      {"date", TypeId::kDate},
      {"time", TypeId::kTime},
      {"time without time zone", TypeId::kTime},
      {"time with time zone", TypeId::kTimeWithTimeZone},
      {"timestamp", TypeId::kTimestamp},
      {"timestamp without time zone", TypeId::kTimestamp},
      {"timestamp with time zone", TypeId::kTimestampWithTimeZone},
      {"interval year to month", TypeId::kIntervalYearToMonth},
      {"interval day to second", TypeId::kIntervalDayToSecond},
      {"array", TypeId::kArray},
      {"map", TypeId::kMap},
      {"row", TypeId::kRow},
      {"struct", TypeId::kRow},
      {"json", TypeId::kJson},
      {"ipaddress", TypeId::kIpAddress},
      {"uuid", TypeId::kUuid},
      {"unknown", TypeId::kUnknown},
  };
  for (const Entry& e : kNames) {
    if (e.name == name) return e.id;
  }
  return std::nullopt;
}

/// Keeps only the parameters that mean something for the type.
void SetParameters(AthenaType& type, int32_t precision, int32_t scale) {
  switch (type.id) {
    case TypeId::kDecimal:
      type.precision = precision;
      type.scale = scale;
      break;
    case TypeId::kChar:
    case TypeId::kVarchar:
      type.precision = precision == kUnboundedVarcharLength || precision < 0 ? 0 : precision;
      break;
    case TypeId::kTime:
    case TypeId::kTimeWithTimeZone:
    case TypeId::kTimestamp:
    case TypeId::kTimestampWithTimeZone:
      type.precision = precision < 0 ? 0 : precision;
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Declared type parser: Hive DDL (`array<struct<a:int>>`) and Trino (`row(a integer)`) syntax.

class DeclaredTypeParser {
 public:
  explicit DeclaredTypeParser(std::string_view text) : text_(text) {}

  /// Parses the whole text; nullopt on a syntax error.
  std::optional<AthenaType> ParseAll() {
    AthenaType type;
    if (!ParseType(type, 0)) return std::nullopt;
    SkipSpace();
    if (pos_ != text_.size()) return std::nullopt;
    return type;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  static bool IsWordChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
  }
  /// A bare word (lowercased), or "" when the next token is not a word.
  std::string Word() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    return common::Lower(text_.substr(start, pos_ - start));
  }
  /// Peeks the next word without consuming it.
  std::string PeekWord() {
    const size_t saved = pos_;
    std::string w = Word();
    pos_ = saved;
    return w;
  }
  bool ConsumeWord(std::string_view word) {
    const size_t saved = pos_;
    if (Word() == word) return true;
    pos_ = saved;
    return false;
  }
  bool Integer(int32_t& value) {
    SkipSpace();
    const char* begin = text_.data() + pos_;
    const char* end = text_.data() + text_.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr == begin) return false;
    pos_ += static_cast<size_t>(ptr - begin);
    return true;
  }
  /// A field name: bare word (case kept), "double quoted" (`""` escapes) or `back quoted`.
  bool FieldName(std::string& name) {
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char quote = text_[pos_];
    if (quote == '"' || quote == '`') {
      ++pos_;
      name.clear();
      while (pos_ < text_.size()) {
        const char c = text_[pos_++];
        if (c == quote) {
          if (pos_ < text_.size() && text_[pos_] == quote) {
            name.push_back(quote);
            ++pos_;
            continue;
          }
          return true;
        }
        name.push_back(c);
      }
      return false;  // unterminated quote
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    if (pos_ == start) return false;
    name.assign(text_.substr(start, pos_ - start));
    return true;
  }
  bool Open(char& close) {
    if (Consume('<')) {
      close = '>';
      return true;
    }
    if (Consume('(')) {
      close = ')';
      return true;
    }
    return false;
  }
  /// Skips a balanced parameter list of an unknown type, e.g. `(1, 2)` or `<a,b>`.
  bool SkipBalanced() {
    int depth = 0;
    SkipSpace();
    do {
      if (pos_ >= text_.size()) return false;
      const char c = text_[pos_++];
      if (c == '(' || c == '<') ++depth;
      if (c == ')' || c == '>') --depth;
    } while (depth > 0);
    return true;
  }
  /// Optional `(n)` or `(p, s)`.
  bool Parameters(int32_t& first, int32_t& second, int& count) {
    count = 0;
    if (!Consume('(')) return true;
    if (!Integer(first)) return false;
    count = 1;
    if (Consume(',')) {
      if (!Integer(second)) return false;
      count = 2;
    }
    return Consume(')');
  }
  /// Optional `with time zone` / `without time zone`; returns true when "with".
  bool TimeZoneSuffix(bool& with_zone) {
    with_zone = false;
    const size_t saved = pos_;
    const std::string w = Word();
    if (w != "with" && w != "without") {
      pos_ = saved;
      return true;
    }
    if (!ConsumeWord("time") || !ConsumeWord("zone")) return false;
    with_zone = w == "with";
    return true;
  }

  bool ParseType(AthenaType& type, int depth) {
    if (depth > kMaxDepth) return false;
    type = AthenaType();
    const std::string name = Word();
    if (name.empty()) return false;
    if (name == "array") return ParseArray(type, depth);
    if (name == "map") return ParseMap(type, depth);
    if (name == "struct") return ParseStruct(type, depth);
    if (name == "row") return ParseRow(type, depth);
    if (name == "interval") {
      const std::string from = Word();
      if (!ConsumeWord("to")) return false;
      const std::string to = Word();
      if (from == "year" && to == "month") {
        type.id = TypeId::kIntervalYearToMonth;
      } else if (from == "day" && to == "second") {
        type.id = TypeId::kIntervalDayToSecond;
      }
      return true;
    }
    if (name == "double") {
      ConsumeWord("precision");
      type.id = TypeId::kDouble;
      return true;
    }
    if (name == "timestamp" || name == "time") {
      int32_t p = 0, unused = 0;
      int count = 0;
      if (!Parameters(p, unused, count) || count > 1) return false;
      bool with_zone = false;
      if (!TimeZoneSuffix(with_zone)) return false;
      if (name == "timestamp") {
        type.id = with_zone ? TypeId::kTimestampWithTimeZone : TypeId::kTimestamp;
      } else {
        type.id = with_zone ? TypeId::kTimeWithTimeZone : TypeId::kTime;
      }
      type.precision = p;
      return true;
    }
    if (name == "decimal" || name == "numeric") {
      int32_t p = kHiveDefaultDecimalPrecision, s = 0;
      int count = 0;
      if (!Parameters(p, s, count)) return false;
      type.id = TypeId::kDecimal;
      type.precision = p;
      type.scale = count == 2 ? s : 0;
      return true;
    }
    if (name == "char" || name == "varchar") {
      int32_t n = 0, unused = 0;
      int count = 0;
      if (!Parameters(n, unused, count) || count > 1) return false;
      type.id = name == "char" ? TypeId::kChar : TypeId::kVarchar;
      SetParameters(type, n, 0);
      return true;
    }
    const std::optional<TypeId> id = SimpleTypeId(name);
    if (id && *id != TypeId::kArray && *id != TypeId::kMap && *id != TypeId::kRow) {
      type.id = *id;
      return true;
    }
    // Unknown name (e.g. Hive `uniontype<...>`, Trino `geometry`): kUnknown, parameters skipped.
    type.id = TypeId::kUnknown;
    const char next = Peek();
    if (next == '(' || next == '<') return SkipBalanced();
    return true;
  }

  bool ParseArray(AthenaType& type, int depth) {
    type.id = TypeId::kArray;
    char close = 0;
    if (!Open(close)) return true;  // bare `array`
    Field element;
    if (!ParseType(element.type, depth + 1)) return false;
    type.children.push_back(std::move(element));
    return Consume(close);
  }

  bool ParseMap(AthenaType& type, int depth) {
    type.id = TypeId::kMap;
    char close = 0;
    if (!Open(close)) return true;  // bare `map`
    Field key, value;
    if (!ParseType(key.type, depth + 1) || !Consume(',') || !ParseType(value.type, depth + 1)) {
      return false;
    }
    type.children.push_back(std::move(key));
    type.children.push_back(std::move(value));
    return Consume(close);
  }

  /// Hive `struct<name:type, ...>`.
  bool ParseStruct(AthenaType& type, int depth) {
    type.id = TypeId::kRow;
    char close = 0;
    if (!Open(close)) return true;
    if (Consume(close)) return true;
    do {
      Field field;
      if (!FieldName(field.name) || !Consume(':') || !ParseType(field.type, depth + 1)) {
        return false;
      }
      type.children.push_back(std::move(field));
    } while (Consume(','));
    return Consume(close);
  }

  /// Trino `row(name type, ...)` or anonymous `row(type, ...)`; Hive-style `name:type` accepted.
  bool ParseRow(AthenaType& type, int depth) {
    type.id = TypeId::kRow;
    char close = 0;
    if (!Open(close)) return true;
    if (Consume(close)) return true;
    do {
      Field field;
      if (!ParseRowField(field, close, depth)) return false;
      type.children.push_back(std::move(field));
    } while (Consume(','));
    return Consume(close);
  }

  bool ParseRowField(Field& field, char close, int depth) {
    const size_t start = pos_;
    SkipSpace();
    const bool quoted = pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '`');
    std::string name;
    if (FieldName(name)) {
      const bool colon = Consume(':');  // Hive-style `name:type` inside row(...)
      const size_t after_name = pos_;
      const char next = Peek();
      const bool type_follows =
          next != ',' && next != close && next != '\0' && next != '(' && next != '<';
      if (type_follows) {
        // `name type`. An anonymous multi-word type (`double precision`, `timestamp with time
        // zone`) looks the same; take the named reading when its type is known, else the
        // anonymous one when that parses to a known type.
        AthenaType named_type;
        const bool named_ok =
            ParseType(named_type, depth + 1) && (Peek() == ',' || Peek() == close);
        if (named_ok && (quoted || colon || named_type.id != TypeId::kUnknown)) {
          field.name = std::move(name);
          field.type = std::move(named_type);
          return true;
        }
        if (!quoted && !colon) {
          pos_ = start;
          AthenaType anonymous;
          if (ParseType(anonymous, depth + 1) && (Peek() == ',' || Peek() == close) &&
              anonymous.id != TypeId::kUnknown) {
            field.type = std::move(anonymous);
            return true;
          }
        }
        if (!named_ok) return false;
        pos_ = after_name;
        ParseType(field.type, depth + 1);
        field.name = std::move(name);
        return true;
      }
      if (quoted || colon) return false;  // a name without a type
    }
    // Anonymous field: just a type (`row(integer, varchar)`).
    pos_ = start;
    return ParseType(field.type, depth + 1);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool NeedsQuoting(std::string_view name) {
  if (name.empty()) return true;
  if (std::isdigit(static_cast<unsigned char>(name[0]))) return true;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return true;
  }
  return false;
}

void AppendTypeText(const AthenaType& type, std::string& out) {
  auto with_precision = [&](std::string_view base) {
    out.append(base);
    if (type.precision > 0) {
      out.push_back('(');
      out.append(std::to_string(type.precision));
      out.push_back(')');
    }
  };
  switch (type.id) {
    case TypeId::kUnknown:
      out.append("unknown");
      return;
    case TypeId::kBoolean:
      out.append("boolean");
      return;
    case TypeId::kTinyint:
      out.append("tinyint");
      return;
    case TypeId::kSmallint:
      out.append("smallint");
      return;
    case TypeId::kInteger:
      out.append("integer");
      return;
    case TypeId::kBigint:
      out.append("bigint");
      return;
    case TypeId::kReal:
      out.append("real");
      return;
    case TypeId::kDouble:
      out.append("double");
      return;
    case TypeId::kDecimal:
      out.append("decimal(");
      out.append(std::to_string(type.precision));
      out.push_back(',');
      out.append(std::to_string(type.scale));
      out.push_back(')');
      return;
    case TypeId::kChar:
      with_precision("char");
      return;
    case TypeId::kVarchar:
      with_precision("varchar");
      return;
    case TypeId::kVarbinary:
      out.append("varbinary");
      return;
    case TypeId::kDate:
      out.append("date");
      return;
    case TypeId::kTime:
      with_precision("time");
      return;
    case TypeId::kTimeWithTimeZone:
      with_precision("time");
      out.append(" with time zone");
      return;
    case TypeId::kTimestamp:
      with_precision("timestamp");
      return;
    case TypeId::kTimestampWithTimeZone:
      with_precision("timestamp");
      out.append(" with time zone");
      return;
    case TypeId::kIntervalYearToMonth:
      out.append("interval year to month");
      return;
    case TypeId::kIntervalDayToSecond:
      out.append("interval day to second");
      return;
    case TypeId::kJson:
      out.append("json");
      return;
    case TypeId::kIpAddress:
      out.append("ipaddress");
      return;
    case TypeId::kUuid:
      out.append("uuid");
      return;
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kRow:
      break;
  }
  out.append(type.id == TypeId::kArray ? "array" : type.id == TypeId::kMap ? "map" : "row");
  if (type.children.empty()) return;
  out.push_back('(');
  for (size_t i = 0; i < type.children.size(); ++i) {
    if (i > 0) out.append(", ");
    const Field& field = type.children[i];
    if (type.id == TypeId::kRow && !field.name.empty()) {
      if (NeedsQuoting(field.name)) {
        out.push_back('"');
        for (char c : field.name) {
          if (c == '"') out.push_back('"');
          out.push_back(c);
        }
        out.push_back('"');
      } else {
        out.append(field.name);
      }
      out.push_back(' ');
    }
    AppendTypeText(field.type, out);
  }
  out.push_back(')');
}

}  // namespace

std::string AthenaType::ToString() const {
  std::string out;
  AppendTypeText(*this, out);
  return out;
}

AthenaType TypeFromColumnInfo(std::string_view type_name, int32_t precision, int32_t scale) {
  // Tolerate a full type text (e.g. an emulator reporting "decimal(10,2)" or "array(integer)").
  if (type_name.find_first_of("(<") != std::string_view::npos) {
    AthenaType type = ParseDeclaredType(type_name);
    if (precision > 0 || scale > 0) SetParameters(type, precision, scale);
    return type;
  }
  AthenaType type;
  const std::optional<TypeId> id = SimpleTypeId(NormalizeName(type_name));
  type.id = id.value_or(TypeId::kUnknown);
  SetParameters(type, precision, scale);
  return type;
}

AthenaType ParseDeclaredType(std::string_view text) {
  DeclaredTypeParser parser(text);
  std::optional<AthenaType> type = parser.ParseAll();
  if (type) return std::move(*type);
  // Not a grammar this parser knows: at least recognise the outer kind.
  AthenaType fallback;
  const std::string normalized = NormalizeName(text);
  const size_t cut = normalized.find_first_of("(<");
  const std::string_view base = common::Trim(std::string_view(normalized).substr(0, cut));
  fallback.id = SimpleTypeId(base).value_or(TypeId::kUnknown);
  return fallback;
}

common::DataType ToFivetranType(const AthenaType& type) {
  switch (type.id) {
    case TypeId::kBoolean:
      return DataType::kBoolean;
    case TypeId::kTinyint:
    case TypeId::kSmallint:
      return DataType::kShort;
    case TypeId::kInteger:
      return DataType::kInt;
    case TypeId::kBigint:
      return DataType::kLong;
    case TypeId::kReal:
      return DataType::kFloat;
    case TypeId::kDouble:
      return DataType::kDouble;
    case TypeId::kDecimal:
      return DataType::kDecimal;
    case TypeId::kVarbinary:
      return DataType::kBinary;
    case TypeId::kDate:
      return DataType::kNaiveDate;
    case TypeId::kTimestamp:
      return DataType::kNaiveDateTime;
    case TypeId::kTimestampWithTimeZone:
      return DataType::kUtcDateTime;
    case TypeId::kArray:
    case TypeId::kMap:
    case TypeId::kRow:
    case TypeId::kJson:
      return DataType::kJson;
    case TypeId::kUnknown:
    case TypeId::kChar:
    case TypeId::kVarchar:
    case TypeId::kTime:
    case TypeId::kTimeWithTimeZone:
    case TypeId::kIntervalYearToMonth:
    case TypeId::kIntervalDayToSecond:
    case TypeId::kIpAddress:
    case TypeId::kUuid:
      return DataType::kString;
  }
  return DataType::kString;
}

common::ColumnSchema ToColumnSchema(const Column& column, bool primary_key) {
  common::ColumnSchema schema;
  schema.name = column.name;
  schema.type = ToFivetranType(column.type);
  schema.primary_key = primary_key;
  if (schema.type == DataType::kDecimal) {
    const int32_t p = column.type.precision;
    const int32_t s = column.type.scale;
    schema.precision = p > 0 ? static_cast<uint32_t>(p) : kMaxDecimalPrecision;
    schema.scale = s > 0 ? static_cast<uint32_t>(s) : 0;
    if (schema.scale > schema.precision) schema.scale = schema.precision;
  }
  return schema;
}

}  // namespace ac::athena
