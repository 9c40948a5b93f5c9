#pragma once

// Hive-partitioned seed folders: `--seed DIR` turns a sub-folder `<table>/` holding Hive-style
// folders `<key>=<value>[/<key2>=<value2>...]/` of `*.parquet` or `*.csv` files (as DuckDB's
// `COPY ... (PARTITION_BY (...))` writes them) into table `default.<table>`: the files' columns,
// then the folder keys as its partition keys. A key is `bigint` when every value of it is an
// integer, else `string` (Athena's most common layout, `dt=2026-12-01`, stays a string). Files and
// folders whose names start with `.` or `_` (`_SUCCESS`, `.crc`) are skipped, as Hive does.

#include <filesystem>
#include <string>
#include <vector>

namespace ac::emulator {

/// What ReadHiveLayout found in a table folder.
struct HiveLayout {
  std::string table;                         ///< the folder's name, lower-case
  std::vector<std::string> keys;             ///< partition keys, outermost first
  std::vector<std::string> key_types;        ///< Athena types: "bigint" or "string"
  std::vector<std::filesystem::path> files;  ///< sorted
  bool csv = false;                          ///< CSV files (with a header row), else Parquet
};

/// Reads a table folder's layout. Throws std::runtime_error naming the offending path when a data
/// file is not inside `<key>=<value>` folders, the folders' keys differ between files, a folder
/// name is not `<key>=<value>`, the files mix formats or are of another kind, or there is none.
HiveLayout ReadHiveLayout(const std::filesystem::path& dir);

/// The DuckDB statement creating `"default".<table>` from the layout's files (their columns, then
/// the partition keys, typed as the layout says).
std::string HiveTableSql(const HiveLayout& layout);

}  // namespace ac::emulator
