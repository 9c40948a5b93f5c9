#include "emulator/partition_filter.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "common/civil_date.h"

namespace ac::emulator {
namespace {

using json = nlohmann::json;

std::string StringField(const json& node, const char* key) {
  const auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> ParseInteger(const std::string& text) {
  int64_t out = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return out;
}

// 'YYYY-MM-DD' as days since 1970-01-01.
std::optional<int64_t> ParseDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = ParseInteger(text.substr(0, 4));
  const auto month = ParseInteger(text.substr(5, 2));
  const auto day = ParseInteger(text.substr(8, 2));
  if (!year || !month || !day || *month < 1 || *month > 12 || *day < 1 ||
      *day > common::DaysInMonth(*year, static_cast<unsigned>(*month))) {
    return std::nullopt;
  }
  return common::DaysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
}

// A serialized DuckDB Value as a filter constant; nullopt for NULL and types pruning skips.
std::optional<FilterConstant> ConstantOf(const json& value) {
  if (!value.is_object()) return std::nullopt;
  const auto is_null = value.find("is_null");
  if (is_null == value.end() || !is_null->is_boolean() || is_null->get<bool>()) return std::nullopt;
  const auto type = value.find("type");
  const auto v = value.find("value");
  if (type == value.end() || !type->is_object() || v == value.end()) return std::nullopt;
  static const std::set<std::string> kIntegers = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",
                                                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
  const std::string id = StringField(*type, "id");
  FilterConstant c;
  if (id == "VARCHAR" && v->is_string()) {
    c.type = FilterConstant::Type::kString;
    c.text = v->get<std::string>();
  } else if (kIntegers.count(id) && v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t{INT64_MAX}) return std::nullopt;
    c.type = FilterConstant::Type::kInteger;
    c.number = v->get<int64_t>();
  } else if (id == "DATE" && v->is_number_integer()) {
    c.type = FilterConstant::Type::kDate;
    c.number = v->get<int64_t>();
  } else {
    return std::nullopt;
  }
  return c;
}

std::optional<ColumnPredicate::Op> OpOf(const std::string& comparison) {
  using Op = ColumnPredicate::Op;
  if (comparison == "COMPARE_EQUAL") return Op::kEq;
  if (comparison == "COMPARE_NOTEQUAL") return Op::kNe;
  if (comparison == "COMPARE_LESSTHAN") return Op::kLt;
  if (comparison == "COMPARE_LESSTHANOREQUALTO") return Op::kLe;
  if (comparison == "COMPARE_GREATERTHAN") return Op::kGt;
  if (comparison == "COMPARE_GREATERTHANOREQUALTO") return Op::kGe;
  return std::nullopt;
}

ColumnPredicate Junction(ColumnPredicate::Kind kind, const json& children) {
  ColumnPredicate p;
  if (!children.is_array()) return p;
  p.kind = kind;
  for (const auto& child : children) p.children.push_back(PredicateOfTableFilter(child));
  return p;
}

// -1, 0, 1 comparing a partition value with a constant; nullopt when the value does not parse as
// the constant's type.
std::optional<int> Compare(const std::string& value, const FilterConstant& c) {
  if (c.type == FilterConstant::Type::kString) {
    const int r = value.compare(c.text);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  const std::optional<int64_t> number =
      c.type == FilterConstant::Type::kInteger ? ParseInteger(value) : ParseDate(value);
  if (!number) return std::nullopt;
  return *number < c.number ? -1 : (*number > c.number ? 1 : 0);
}

bool Holds(ColumnPredicate::Op op, int order) {
  using Op = ColumnPredicate::Op;
  switch (op) {
    case Op::kEq:
      return order == 0;
    case Op::kNe:
      return order != 0;
    case Op::kLt:
      return order < 0;
    case Op::kLe:
      return order <= 0;
    case Op::kGt:
      return order > 0;
    case Op::kGe:
      return order >= 0;
  }
  return true;
}

}  // namespace

ColumnPredicate PredicateOfTableFilter(const json& filter) {
  using Kind = ColumnPredicate::Kind;
  ColumnPredicate p;
  if (!filter.is_object()) return p;
  const std::string type = StringField(filter, "filter_type");
  if (type == "CONSTANT_COMPARISON") {
    const auto op = OpOf(StringField(filter, "comparison_type"));
    const auto constant = filter.find("constant");
    if (!op || constant == filter.end()) return p;
    const auto c = ConstantOf(*constant);
    if (!c) return p;
    p.kind = Kind::kCompare;
    p.op = *op;
    p.constants.push_back(*c);
  } else if (type == "IN_FILTER") {
    const auto values = filter.find("values");
    if (values == filter.end() || !values->is_array()) return p;
    for (const auto& v : *values) {
      const auto c = ConstantOf(v);
      if (!c) return ColumnPredicate{};  // one value not understood: it may match anything
      p.constants.push_back(*c);
    }
    p.kind = Kind::kIn;
  } else if (type == "IS_NULL") {
    p.kind = Kind::kIsNull;
  } else if (type == "IS_NOT_NULL") {
    p.kind = Kind::kIsNotNull;
  } else if (type == "CONJUNCTION_AND") {
    return Junction(Kind::kAnd, filter.value("child_filters", json()));
  } else if (type == "CONJUNCTION_OR") {
    return Junction(Kind::kOr, filter.value("child_filters", json()));
  } else if (type == "OPTIONAL_FILTER") {
    // Implied by the statement's predicate (DuckDB may skip it, the rows it removes do not pass).
    return PredicateOfTableFilter(filter.value("child_filter", json()));
  }
  return p;
}

ScanFilters FiltersOfScan(const json& table_filters, const json& names) {
  ScanFilters out;
  if (!table_filters.is_object() || !names.is_array()) return out;
  const auto filters = table_filters.find("filters");
  if (filters == table_filters.end() || !filters->is_array()) return out;
  for (const auto& entry : *filters) {
    if (!entry.is_object()) continue;
    const auto key = entry.find("key");
    const auto value = entry.find("value");
    if (key == entry.end() || !key->is_number_integer() || key->get<int64_t>() < 0 ||
        value == entry.end()) {
      continue;
    }
    const auto column = key->get<uint64_t>();
    if (column >= names.size() || !names[column].is_string()) continue;
    out[names[column].get<std::string>()] = PredicateOfTableFilter(*value);
  }
  return out;
}

bool MayMatch(const ColumnPredicate& predicate, const std::optional<std::string>& value) {
  using Kind = ColumnPredicate::Kind;
  switch (predicate.kind) {
    case Kind::kUnknown:
      return true;
    case Kind::kIsNull:
      return !value.has_value();
    case Kind::kIsNotNull:
      return value.has_value();
    case Kind::kCompare: {
      if (!value) return false;  // a comparison with NULL is never true
      const auto order = Compare(*value, predicate.constants[0]);
      return !order || Holds(predicate.op, *order);
    }
    case Kind::kIn:
      if (!value) return false;
      for (const auto& c : predicate.constants) {
        const auto order = Compare(*value, c);
        if (!order || *order == 0) return true;
      }
      return false;
    case Kind::kAnd:
      for (const auto& child : predicate.children) {
        if (!MayMatch(child, value)) return false;
      }
      return true;
    case Kind::kOr:
      for (const auto& child : predicate.children) {
        if (MayMatch(child, value)) return true;
      }
      return predicate.children.empty();
  }
  return true;
}

bool PartitionRead(const std::vector<ScanFilters>& scans, const std::vector<std::string>& keys,
                   const std::vector<std::optional<std::string>>& values) {
  if (scans.empty()) return true;
  for (const auto& filters : scans) {
    bool all = true;
    for (size_t k = 0; k < keys.size() && k < values.size() && all; ++k) {
      const auto it = filters.find(keys[k]);
      all = it == filters.end() || MayMatch(it->second, values[k]);
    }
    if (all) return true;
  }
  return false;
}

}  // namespace ac::emulator
