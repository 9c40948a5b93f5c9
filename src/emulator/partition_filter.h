#pragma once

// Partition pruning for DataScannedInBytes: which partitions of a table a statement's scans can
// read. The predicates are the table filters DuckDB's optimizer pushed down into each table scan
// (the `table_filters` of a LOGICAL_GET in json_serialize_plan's optimized plan): per column, a
// comparison with a constant, an IN list, IS [NOT] NULL, and AND / OR of those. The parameters of
// a statement are literals by then (ExecutionParameters are substituted before planning), and
// BETWEEN, IN and `col = a OR col = b` arrive as these shapes. A partition is read unless a
// predicate on one of its keys is proven false for its value; anything not understood (expression
// and dynamic filters, constants of other types, a value that does not parse as the constant's
// type) may match, so the partition counts, as Athena reads a partition it cannot prune.

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ac::emulator {

/// A constant of a pushed-down filter, as partition values are compared with it.
struct FilterConstant {
  enum class Type { kString, kInteger, kDate };
  Type type = Type::kString;
  std::string text;    ///< kString
  int64_t number = 0;  ///< kInteger; kDate: days since 1970-01-01
};

/// One column's pushed-down filter, as far as partition pruning reads it.
struct ColumnPredicate {
  enum class Kind { kUnknown, kCompare, kIn, kIsNull, kIsNotNull, kAnd, kOr };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  Kind kind = Kind::kUnknown;
  Op op = Op::kEq;
  std::vector<FilterConstant> constants;  ///< kCompare: one; kIn: the list
  std::vector<ColumnPredicate> children;  ///< kAnd, kOr
};

/// One scan's pushed-down filters, by column name (as the table has it).
using ScanFilters = std::map<std::string, ColumnPredicate>;

/// The predicate of one DuckDB table filter (json_serialize_plan's form: `filter_type`,
/// `comparison_type`, `constant`, `child_filters`, `child_filter`, `values`). Unknown shapes give
/// kUnknown.
ColumnPredicate PredicateOfTableFilter(const nlohmann::json& filter);

/// The filters of a LOGICAL_GET node's `table_filters` (keys are column indexes into `names`).
ScanFilters FiltersOfScan(const nlohmann::json& table_filters, const nlohmann::json& names);

/// False only when `predicate` is proven false for a partition whose key has `value` (nullopt:
/// the default partition, NULL).
bool MayMatch(const ColumnPredicate& predicate, const std::optional<std::string>& value);

/// Whether a statement whose scans of a table have `scans` reads the partition with `values` of
/// `keys`: some scan's filters on the keys may all match. No scans known (empty): every partition.
bool PartitionRead(const std::vector<ScanFilters>& scans, const std::vector<std::string>& keys,
                   const std::vector<std::optional<std::string>>& values);

}  // namespace ac::emulator
