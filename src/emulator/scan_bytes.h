#pragma once

// What a statement reads of the catalog's tables, and what Athena would bill for it
// (DataScannedInBytes). Athena reads columnar tables column by column, so a query is billed for
// the stored bytes of the columns it reads of each table it reads, whatever its WHERE clause keeps
// (without partition pruning, every row of those columns is read).
//
// Which columns: DuckDB's logical plan of the statement (json_serialize_plan), whose table scans
// name catalog, schema and table and the columns they read; views are expanded to their base
// tables by then. The plan is taken twice: as bound (every column the statement names, filters
// included) and optimized (columns that only a `SELECT *` of a subquery, view or CTE exposed and
// nothing uses are gone), see MergeScans.
//
// Which partitions (partition pruning): a partitioned table is billed only for the partitions its
// scans can read, decided by the table filters DuckDB's optimizer pushed down into each of its
// scans in the optimized plan (partition_filter.h: comparisons, BETWEEN, IN, AND/OR on
// the partition keys, literals and ExecutionParameters alike, UNLOAD's query too). A partition
// counts unless a filter on one of its keys is proven false for its value. When the optimized plan
// cannot be used for a table (see MergeScans: DuckDB could not serialize it, or its statistics
// dropped a scan of the table), every partition counts: unprunable = read, as in Athena.
//
// A column's stored size: a deterministic measure of its uncompressed columnar bytes, measured
// once per table (ScanSizeCache) and per partition:
// fixed-width types = width x non-NULL rows; varchar, varbinary = the sum of the values' octets;
// any other type (array, map, row, ...) = the sum of the octets of its text form. Partition keys
// cost nothing (they live in the path, not in the files).

#include <duckdb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/partition_filter.h"

namespace ac::emulator {

/// One table a statement reads, with the columns it reads (DuckDB's names, as the table has them).
struct TableRead {
  TableRead() = default;
  TableRead(std::string database_name, std::string table_name, std::set<std::string> read_columns,
            std::vector<ScanFilters> scan_filters = {})
      : database(std::move(database_name)),
        table(std::move(table_name)),
        columns(std::move(read_columns)),
        scans(std::move(scan_filters)) {}

  std::string database;  ///< lower-case
  std::string table;     ///< lower-case
  std::set<std::string> columns;
  /// The pushed-down filters of each scan of the table (optimized plan); empty when unknown, then
  /// every partition is read. Not part of ==, which compares what is read of which table.
  std::vector<ScanFilters> scans;

  bool operator==(const TableRead& other) const {
    return database == other.database && table == other.table && columns == other.columns;
  }
};

/// The scans of catalog `awsdatacatalog`'s tables in a json_serialize_plan document, one per scan,
/// in plan order (row ids and other virtual columns left out, a struct read whole). Scans of
/// anything else (table functions, other catalogs, athena-local's own schema) are left out.
/// Throws std::runtime_error when the document is not a plan, or reports an error (its message).
std::vector<TableRead> ScansOfPlan(std::string_view plan_json);

/// The tables read, each once (sorted), from the scans of the bound plan and, when the optimizer
/// could plan the statement, of the optimized one. A table takes the columns of its optimized
/// scans, unless the optimizer dropped some of its scans (fewer scans of it than bound, e.g. a
/// branch DuckDB's statistics prove empty: Athena still reads it), then those of its bound scans.
/// `scans` (the partition filters) are the optimized scans' when their columns are used, else
/// empty.
std::vector<TableRead> MergeScans(const std::vector<TableRead>& bound,
                                  const std::vector<TableRead>* optimized);

/// What AnalyzeReads found.
struct ReadAnalysis {
  std::vector<TableRead> reads;
  std::string error;  ///< non-empty when DuckDB could not plan the statement (reads then empty)
};

/// The tables and columns `duckdb_sql` reads, planned on `conn` (its current database resolves
/// unqualified names). Throws DuckDbError only when the planning query itself fails.
ReadAnalysis AnalyzeReads(duckdb_connection conn, const std::string& duckdb_sql);

/// The stored sizes of a table's columns, per partition.
struct TableSizes {
  struct Partition {
    std::vector<std::string> values;  ///< one per partition key (Hive's default partition for NULL)
    uint64_t rows = 0;
    std::map<std::string, uint64_t> column_bytes;  ///< every column but the partition keys
  };
  std::vector<std::string> partition_keys;  ///< in declaration order; empty when unpartitioned
  std::vector<Partition> partitions;  ///< one (no values) for an unpartitioned table with rows

  /// The bytes of `columns` summed over every partition (partition keys and unknown names: 0).
  uint64_t BytesOf(const std::set<std::string>& columns) const;
  /// The same over the partitions scans with these filters read (PartitionRead; empty: all).
  uint64_t BytesOf(const std::set<std::string>& columns,
                   const std::vector<ScanFilters>& scans) const;
  /// Whether scans with these filters read `partition`.
  bool Reads(const Partition& partition, const std::vector<ScanFilters>& scans) const;
  /// Rows and bytes of every column (a full read), for the catalog's recordCount and sizeKey.
  uint64_t TotalRows() const;
  uint64_t TotalBytes() const;
};

/// Measures `db`.`table` on `conn` with one aggregate query (grouped by its partition keys, as
/// recorded in the catalog). Throws DuckDbError.
TableSizes MeasureTable(duckdb_connection conn, const std::string& db, const std::string& table);

/// Table sizes, measured the first time a statement reads a table and kept until the table
/// changes: the statements that change a table invalidate it. Thread-safe.
class ScanSizeCache {
 public:
  /// The sizes of `db`.`table`, measured on `conn` unless known. Throws DuckDbError.
  std::shared_ptr<const TableSizes> Get(duckdb_connection conn, const std::string& db,
                                        const std::string& table);
  /// The sum of what `reads` read. Throws DuckDbError.
  uint64_t BytesRead(duckdb_connection conn, const std::vector<TableRead>& reads);

  void Invalidate(const std::string& db, const std::string& table);
  void InvalidateDatabase(const std::string& db);
  void InvalidateAll();

  /// Measurements done so far (for tests: a cached table is not measured again).
  uint64_t measurements() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const TableSizes>> sizes_;
  uint64_t generation_ = 0;  ///< bumped by every invalidation: a measurement that raced one is
                             ///< used by its statement but not kept
  uint64_t measurements_ = 0;
};

}  // namespace ac::emulator
