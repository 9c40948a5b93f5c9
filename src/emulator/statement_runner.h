#pragma once

// Runs one translated Athena statement on a worker's DuckDB connection, as Athena runs it: one
// member function per statement kind, each doing the statement's work and writing the execution's
// result objects (result_objects.h), and returning what the query execution then reports.

#include <duckdb.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/result_columns.h"
#include "emulator/result_objects.h"
#include "emulator/scan_bytes.h"
#include "emulator/sql_errors.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {

class Engine;

/// Thrown when the execution was cancelled (StopQueryExecution, shutdown) between two steps.
class QueryCancelled : public std::runtime_error {
 public:
  QueryCancelled() : std::runtime_error("cancelled") {}
};

/// A user error (ErrorCategory 2): `error_type` is Athena's error type number, `message` starts
/// with the Trino error name ("TABLE_NOT_FOUND: ...").
AthenaErrorInfo UserError(int error_type, const std::string& message);

/// Thrown for a user error that fails the query execution.
class StatementFailed : public std::runtime_error {
 public:
  StatementFailed(int error_type, const std::string& message);
  const AthenaErrorInfo& error() const { return error_; }

  static StatementFailed SchemaNotFound(const std::string& schema);
  static StatementFailed TableNotFound(const std::string& db, const std::string& table,
                                       bool view = false);

 private:
  AthenaErrorInfo error_;
};

/// Thrown when a statement would scan more than the workgroup's BytesScannedCutoffPerQuery: the
/// execution fails as Athena's does ("Bytes scanned limit was exceeded"), reporting the cutoff as
/// its DataScannedInBytes (Athena stops reading there).
class ScanLimitExceeded : public StatementFailed {
 public:
  explicit ScanLimitExceeded(uint64_t cutoff);
  uint64_t cutoff() const { return cutoff_; }

 private:
  uint64_t cutoff_;
};

/// A query execution as the worker running it sees it.
struct RunContext {
  duckdb_connection conn = nullptr;
  std::string id;
  std::string database;  ///< the context database, lower-case
  std::string bucket;    ///< of the output location
  std::string prefix;    ///< of the output location: ends with '/' or is empty
  const std::atomic<bool>* cancel = nullptr;
  DisplayZone display_zone;  ///< where `timestamp with time zone` results are shown
};

/// Throws QueryCancelled when the execution was asked to stop.
void ThrowIfCancelled(const RunContext& ctx);

/// What a statement produced, recorded on the query execution when it succeeds.
struct StatementOutcome {
  bool text_result = false;  ///< wrote <id>.txt (DDL/UTILITY) rather than <id>.csv or nothing
  uint64_t result_rows = 0;
  uint64_t result_bytes = 0;
  bool has_update_count = false;
  int64_t update_count = 0;
  std::string manifest_location;
  uint64_t data_scanned_bytes = 0;
};

/// The COPY options UNLOAD writes its format with; nullopt for a format athena-local lacks.
std::optional<std::string> UnloadCopyOptions(const UnloadSpec& unload);

/// `names` matching a SHOW TABLES/DATABASES pattern (case-insensitive; empty matches all).
std::vector<std::string> MatchingNames(const std::vector<std::string>& names,
                                       const std::string& pattern);

class StatementRunner {
 public:
  /// `engine` serves SHOW DATABASES, the bucket store and the catalog's creation time.
  StatementRunner(Engine& engine, const RunContext& ctx, const Statement& st);

  /// Runs the statement. Throws StatementFailed, QueryCancelled, SqlError, DuckDbError.
  StatementOutcome Run();

 private:
  StatementOutcome RunKind();
  // Row-returning and DML statements.
  StatementOutcome Query();
  StatementOutcome Explain();
  StatementOutcome Insert();
  StatementOutcome Modify();
  StatementOutcome CreateTableAsSelect();
  StatementOutcome Unload();
  // DDL.
  StatementOutcome CreateTable();
  StatementOutcome CreateView();
  StatementOutcome DropTableOrView();
  StatementOutcome CreateDatabase();
  StatementOutcome DropDatabase();
  StatementOutcome AlterTableAddColumns();
  // Utilities.
  StatementOutcome ShowTables();
  StatementOutcome ShowDatabases();
  StatementOutcome DescribeTable();  ///< SHOW COLUMNS, DESCRIBE, SHOW CREATE TABLE, SHOW PARTITIONS

  /// DataScannedInBytes of a statement reading what `duckdb_sql` reads (scan_bytes.h), measured
  /// before it runs. When DuckDB cannot plan it, 0 and scan_error_ says why. Throws
  /// ScanLimitExceeded above the workgroup's cutoff.
  uint64_t BytesScannedBy(const std::string& duckdb_sql);
  /// Forgets the stored sizes of the table the statement changed.
  void TableChanged();
  /// `sql` with its `"db"."t$partitions"` references replaced by the partitions of t
  /// (partition_listing.h). Throws TABLE_NOT_FOUND for a table that is missing or unpartitioned.
  std::string WithPartitionsTables(const std::string& sql);
  /// The measured sizes of a partitioned table; nullptr when it is missing or unpartitioned.
  std::shared_ptr<const TableSizes> PartitionedSizes(const std::string& db,
                                                     const std::string& table);
  /// SHOW PARTITIONS.
  StatementOutcome ShowPartitions();

  /// Streams the query's rows into <id>.csv (header line first) and writes its metadata.
  StatementOutcome WriteQueryResult(std::string sql);
  StatementOutcome TextResult(const std::vector<ResultColumn>& columns,
                              const std::vector<std::string>& lines);
  StatementOutcome EmptyDdlResult() { return TextResult({}, {}); }
  /// Writes the update-count metadata of a statement that changed `rows` rows.
  StatementOutcome UpdateCount(uint64_t rows);

  Engine& engine_;
  const RunContext& ctx_;
  const Statement& st_;
  const std::string db_;         ///< the statement's database (the context one when unnamed)
  const std::string qualified_;  ///< "db"."table"
  ResultObjectWriter output_;
  std::string scan_error_;  ///< why BytesScannedBy could not tell (empty when it could)
};

}  // namespace ac::emulator
