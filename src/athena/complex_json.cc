#include "athena/complex_json.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/strings.h"

namespace ac::athena {
namespace {

constexpr size_t kDone = std::numeric_limits<size_t>::max();
// Bound on parse attempts per value: well-formed text needs about one attempt per ", " per
// nesting level; the bound only stops pathological backtracking.
constexpr int64_t kBudgetBase = 4096;
constexpr int64_t kBudgetPerByte = 16;
constexpr std::string_view kSeparator = ", ";

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

bool IsJsonInteger(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0') return i + 1 == t.size();
  for (; i < t.size(); ++i) {
    if (!IsDigit(t[i])) return false;
  }
  return true;
}

/// `name=` at `pos` of `content`, name compared ASCII-case-insensitively.
bool NameAt(std::string_view content, size_t pos, std::string_view name) {
  if (pos > content.size() || content.size() - pos < name.size() + 1) return false;
  return common::EqualsIgnoreCase(content.substr(pos, name.size()), name) &&
         content[pos + name.size()] == '=';
}

/// A field's printed name: its declared name, or `field<i>` for an anonymous field (as engine v2
/// prints them). `buffer` backs the generated name.
std::string_view FieldName(const AthenaType& row, size_t index, char (&buffer)[32]) {
  const std::string& declared = row.children[index].name;
  if (!declared.empty()) return declared;
  constexpr std::string_view kPrefix = "field";
  kPrefix.copy(buffer, kPrefix.size());
  auto [end, ec] = std::to_chars(buffer + kPrefix.size(), buffer + sizeof(buffer), index);
  (void)ec;
  return std::string_view(buffer, static_cast<size_t>(end - buffer));
}

void AppendFieldKey(std::string& out, size_t index) {
  char buffer[32];
  constexpr std::string_view kPrefix = "field";
  kPrefix.copy(buffer, kPrefix.size());
  auto [end, ec] = std::to_chars(buffer + kPrefix.size(), buffer + sizeof(buffer), index);
  (void)ec;
  out.push_back('"');
  out.append(buffer, static_cast<size_t>(end - buffer));
  out.append("\":");
}

}  // namespace

bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  if (i < n && t[i] == '-') ++i;
  if (i >= n) return false;
  if (t[i] == '0') {
    ++i;
  } else if (IsDigit(t[i])) {
    while (i < n && IsDigit(t[i])) ++i;
  } else {
    return false;
  }
  if (i < n && t[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < n && IsDigit(t[i])) ++i;
    if (i == start) return false;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t start = i;
    while (i < n && IsDigit(t[i])) ++i;
    if (i == start) return false;
  }
  return i == n;
}

namespace {

/// A JSON number a double holds (what JSON readers such as DuckDB's and nlohmann's accept): the
/// grammar allows `1E999`, which they refuse as an overflow. Only texts with an exponent, or long
/// enough to pass 1.8E308, need the conversion.
bool IsFiniteJsonNumber(std::string_view text) {
  if (!IsJsonNumber(text)) return false;
  if (text.size() < 300 && text.find_first_of("eE") == std::string_view::npos) return true;
  return std::isfinite(std::strtod(std::string(text).c_str(), nullptr));
}

}  // namespace

bool ComplexJsonWriter::Spend() {
  return --budget_ >= 0;
}

template <typename ElementFn>
bool ComplexJsonWriter::Sequence(std::string_view content, std::string& out, size_t& count,
                                 ElementFn&& element) {
  count = 0;
  const size_t initial = out.size();
  if (content.empty()) return true;
  const size_t base = frames_.size();
  frames_.push_back(Frame{0, 0, initial});
  while (frames_.size() > base) {
    if (!Spend()) break;
    const size_t index = frames_.size() - base - 1;
    Frame& frame = frames_.back();
    if (frame.search == kDone) {  // every end tried for this element: backtrack
      frames_.pop_back();
      continue;
    }
    const size_t start = frame.start;
    size_t end = content.find(kSeparator, frame.search);
    if (end == std::string_view::npos) {
      end = content.size();
      frame.search = kDone;
    } else {
      frame.search = end + 1;
    }
    out.resize(frame.out_size);
    if (index > 0) out.push_back(',');
    // `frame` may dangle after this call (nested sequences grow frames_).
    if (!element(index, content.substr(start, end - start))) continue;
    if (end == content.size()) {
      count = index + 1;
      frames_.resize(base);
      return true;
    }
    const size_t next = end + kSeparator.size();
    frames_.push_back(Frame{next, next, out.size()});
  }
  frames_.resize(base);
  out.resize(initial);
  return false;
}

bool ComplexJsonWriter::Append(const AthenaType& type, std::string_view text, std::string& out) {
  const size_t mark = out.size();
  if (!type.is_complex() && type.id != TypeId::kUnknown) {
    mode_ = Mode::kTyped;
    if (Scalar(type.id, text, out)) return true;
    out.resize(mark);
    return false;
  }
  // The outer kind must match; inner mismatches may fall back to inference.
  if (text.size() < 2) return false;
  const char open = text.front();
  const char close = text.back();
  const bool is_array = open == '[' && close == ']';
  const bool is_object = open == '{' && close == '}';
  if (type.id == TypeId::kArray                              ? !is_array
      : (type.id == TypeId::kMap || type.id == TypeId::kRow) ? !is_object
                                                             : !(is_array || is_object)) {
    return false;
  }
  auto attempt = [&](Mode mode, bool relaxed_keys, const AthenaType* declared) {
    mode_ = mode;
    relaxed_keys_ = relaxed_keys;
    budget_ = kBudgetBase + kBudgetPerByte * static_cast<int64_t>(text.size());
    frames_.clear();
    bool ok = false;
    if (declared != nullptr) {
      ok = Value(declared, text, out);
    } else if (is_array) {
      ok = Array(nullptr, text, out);
    } else {
      ok = Map(nullptr, nullptr, text, out);
    }
    if (!ok) out.resize(mark);
    return ok;
  };
  // Readings in order of preference: declared types, then inference; map keys without ", "
  // before keys with it; strings that start with a bracket only as a last resort.
  if (!type.children.empty()) {
    if (attempt(Mode::kTyped, false, &type) || attempt(Mode::kTyped, true, &type)) return true;
  }
  if (attempt(Mode::kInferStrict, false, nullptr) || attempt(Mode::kInferStrict, true, nullptr))
    return true;
  return attempt(Mode::kInferLenient, true, nullptr);
}

bool ComplexJsonWriter::Value(const AthenaType* type, std::string_view text, std::string& out) {
  if (text == "null") {
    out.append("null");
    return true;
  }
  if (type != nullptr) {
    switch (type->id) {
      case TypeId::kArray:
        if (type->children.size() == 1) return Array(&type->children[0].type, text, out);
        break;
      case TypeId::kMap:
        if (type->children.size() == 2) {
          return Map(&type->children[0].type, &type->children[1].type, text, out);
        }
        break;
      case TypeId::kRow:
        if (!type->children.empty()) return Row(*type, text, out);
        break;
      case TypeId::kUnknown:
        break;
      default:
        return Scalar(type->id, text, out);
    }
  }
  // No type: infer from the text.
  if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
    const size_t mark = out.size();
    const bool ok =
        text.front() == '[' ? Array(nullptr, text, out) : Map(nullptr, nullptr, text, out);
    if (ok) return true;
    out.resize(mark);
    if (mode_ != Mode::kInferLenient) return false;
    AppendJsonString(out, text);  // a string that merely starts with a bracket
    return true;
  }
  Infer(text, out);
  return true;
}

bool ComplexJsonWriter::Scalar(TypeId id, std::string_view text, std::string& out) {
  switch (id) {
    case TypeId::kBoolean:
      if (text != "true" && text != "false") return false;
      out.append(text);
      return true;
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger:
    case TypeId::kBigint:
      if (!IsJsonInteger(text)) return false;
      out.append(text);
      return true;
    case TypeId::kReal:
    case TypeId::kDouble:
      if (IsFiniteJsonNumber(text)) {
        out.append(text);
        return true;
      }
      if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
        AppendJsonString(out, text);  // JSON has no NaN/Infinity
        return true;
      }
      return false;
    case TypeId::kDecimal:
      if (!IsFiniteJsonNumber(text)) return false;
      out.append(text);
      return true;
    case TypeId::kUnknown:
      Infer(text, out);
      return true;
    default:
      // Strings, dates, times, binary, json, ip addresses, uuids: the printed text as a string.
      AppendJsonString(out, text);
      return true;
  }
}

void ComplexJsonWriter::Infer(std::string_view text, std::string& out) {
  if (text == "null" || text == "true" || text == "false" || IsFiniteJsonNumber(text)) {
    out.append(text);
  } else {
    AppendJsonString(out, text);
  }
}

bool ComplexJsonWriter::Array(const AthenaType* element, std::string_view text, std::string& out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  if (mode_ != Mode::kTyped) element = nullptr;
  const size_t mark = out.size();
  out.push_back('[');
  size_t count = 0;
  const bool ok =
      Sequence(text.substr(1, text.size() - 2), out, count,
               [&](size_t, std::string_view item) { return Value(element, item, out); });
  if (!ok) {
    out.resize(mark);
    return false;
  }
  out.push_back(']');
  return true;
}

bool ComplexJsonWriter::Map(const AthenaType* key, const AthenaType* value, std::string_view text,
                            std::string& out) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  if (mode_ != Mode::kTyped) key = value = nullptr;
  const size_t mark = out.size();
  out.push_back('{');
  size_t count = 0;
  const bool ok = Sequence(text.substr(1, text.size() - 2), out, count,
                           [&](size_t index, std::string_view entry) {
                             return MapEntry(key, value, index, entry, out);
                           });
  if (!ok) {
    out.resize(mark);
    return false;
  }
  out.push_back('}');
  return true;
}

bool ComplexJsonWriter::MapEntry(const AthenaType* key, const AthenaType* value, size_t index,
                                 std::string_view entry, std::string& out) {
  const size_t mark = out.size();
  for (size_t eq = entry.find('='); eq != std::string_view::npos; eq = entry.find('=', eq + 1)) {
    if (!Spend()) break;
    const std::string_view key_text = entry.substr(0, eq);
    if (!relaxed_keys_ && key_text.find(kSeparator) != std::string_view::npos) break;
    // The key must read as the key type (or, untyped, as a container when it starts like one).
    const bool key_ok = Value(key, key_text, out);
    out.resize(mark);
    if (!key_ok) continue;
    AppendJsonString(out, key_text);  // JSON object keys are strings
    out.push_back(':');
    if (Value(value, entry.substr(eq + 1), out)) return true;
    out.resize(mark);
    // Without a value type nothing tells a later '=' apart: keys never hold '='.
    if (mode_ != Mode::kTyped) break;
  }
  if (mode_ == Mode::kInferLenient) {  // `{Alice, 25}`: positional fields
    AppendFieldKey(out, index);
    if (Value(nullptr, entry, out)) return true;
    out.resize(mark);
  }
  return false;
}

bool ComplexJsonWriter::Row(const AthenaType& type, std::string_view text, std::string& out) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  const std::string_view content = text.substr(1, text.size() - 2);
  const size_t mark = out.size();
  out.push_back('{');
  // Positional fields (`{Alice, 25}`) are only read for anonymous rows: a named row printed
  // under other names is better left to inference than given the declared names.
  bool anonymous = true;
  for (const Field& field : type.children) anonymous = anonymous && field.name.empty();
  if (RowFields(type, content, 0, 0, out) || (anonymous && PositionalRow(type, content, out))) {
    out.push_back('}');
    return true;
  }
  out.resize(mark);
  return false;
}

bool ComplexJsonWriter::RowFields(const AthenaType& type, std::string_view content, size_t index,
                                  size_t pos, std::string& out) {
  char name_buffer[32];
  const std::string_view name = FieldName(type, index, name_buffer);
  if (!NameAt(content, pos, name)) return false;
  const size_t mark = out.size();
  if (index > 0) out.push_back(',');
  AppendJsonString(out, content.substr(pos, name.size()));  // the name as printed
  out.push_back(':');
  const size_t value_mark = out.size();
  const size_t value_start = pos + name.size() + 1;
  const AthenaType& field_type = type.children[index].type;
  if (index + 1 == type.children.size()) {
    if (Value(&field_type, content.substr(value_start), out)) return true;
    out.resize(mark);
    return false;
  }
  char next_buffer[32];
  const std::string_view next_name = FieldName(type, index + 1, next_buffer);
  // The value ends at some ", <next name>=": try each, first to last.
  for (size_t sep = content.find(kSeparator, value_start); sep != std::string_view::npos;
       sep = content.find(kSeparator, sep + 1)) {
    const size_t next_pos = sep + kSeparator.size();
    if (!NameAt(content, next_pos, next_name)) continue;
    if (!Spend()) break;
    out.resize(value_mark);
    if (Value(&field_type, content.substr(value_start, sep - value_start), out) &&
        RowFields(type, content, index + 1, next_pos, out)) {
      return true;
    }
  }
  out.resize(mark);
  return false;
}

bool ComplexJsonWriter::PositionalRow(const AthenaType& type, std::string_view content,
                                      std::string& out) {
  const size_t mark = out.size();
  const size_t fields = type.children.size();
  size_t count = 0;
  const bool ok = Sequence(content, out, count, [&](size_t index, std::string_view item) {
    if (index >= fields) return false;
    char buffer[32];
    AppendJsonString(out, FieldName(type, index, buffer));
    out.push_back(':');
    return Value(&type.children[index].type, item, out);
  });
  if (ok && count == fields) return true;
  out.resize(mark);
  return false;
}

}  // namespace ac::athena
