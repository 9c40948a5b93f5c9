#pragma once

// Athena's partition metadata: the `"db"."table$partitions"` table of engine v2/v3 (one row per
// partition, one typed column per partition key) and SHOW PARTITIONS (`dt=2026-12-01/region=eu`,
// sorted). Both come from the partitions ScanSizeCache measured (one aggregate query per table,
// kept until the table changes), so listing them reads no table: DataScannedInBytes 0.

#include <string>
#include <string_view>
#include <vector>

#include "emulator/scan_bytes.h"

namespace ac::emulator {

/// A `<table>$partitions` reference in a statement's text: [begin, end) of the (qualified) name.
struct PartitionsTableRef {
  size_t begin = 0;
  size_t end = 0;
  std::string database;  ///< lower-case; empty when the reference names none
  std::string table;     ///< the table whose partitions are listed, lower-case
  bool has_alias = false;
};

/// The `$partitions` references of a DuckDB statement's text, in order.
std::vector<PartitionsTableRef> FindPartitionsTables(std::string_view sql);

/// A parenthesized subquery listing `sizes`' partitions: one column per key, typed `key_types`
/// (DuckDB type names), in key order; the default partition's values are NULL.
std::string PartitionsSubquery(const TableSizes& sizes, const std::vector<std::string>& key_types);

/// SHOW PARTITIONS' lines: `key=value[/key2=value2...]`, sorted.
std::vector<std::string> PartitionNames(const TableSizes& sizes);

}  // namespace ac::emulator
