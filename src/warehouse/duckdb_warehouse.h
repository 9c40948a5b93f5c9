#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/value.h"
#include "connector/record_sink.h"

namespace ac::warehouse {

namespace detail {
struct DuckDbHandles;   // database + connection
struct WarehouseTable;  // a defined table: declaration, statements, batch chunk, appenders
}  // namespace detail

/// The calls counted for the SYNC PROGRESS summary, as Fivetran's tester counts them: records for
/// Upserts/Updates/Deletes, calls for Truncates/Checkpoints, and one SchemaChange per DefineTable
/// that created a table or added columns to it.
using SyncCounters = connector::SyncCounters;

/// Rows of a query, every value as text (DuckDB's VARCHAR cast; TIMESTAMPTZ in UTC); nullopt =
/// NULL.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

struct WarehouseOptions {
  /// Folder of `warehouse.db` and `state.json`; created if missing.
  std::filesystem::path working_dir;
  /// Destination schema inside warehouse.db.
  std::string schema = "tester";
  /// Source of `_fivetran_synced` and of the truncate moment; the system clock when null.
  common::Clock* clock = nullptr;
  /// DuckDB worker threads; 0 = DuckDB's default (all cores). DuckDB compresses the rows it
  /// stores and builds a bulk-loaded table's key on these (1 M rows in `debug`, 2 cores: 5.3 s
  /// with 1 thread, 4.7 s with 2).
  uint32_t threads = 0;
  /// DuckDB's memory_limit while it adds the primary key of a bulk-loaded table (DuckDB's cache
  /// gives way); DuckDB's default (80% of RAM) otherwise, and for that key too when it does not
  /// fit within this. "" = never limited. `debug` of 10 M customers rows: peak RSS 777 MB
  /// unlimited, ~450 MB at 256 MB, in the same time.
  std::string key_memory_limit = "256MB";
  /// Bulk-load the tables this warehouse creates (see DuckDbWarehouse). Off: every upsert checks
  /// the key as it goes (tests compare the two).
  bool bulk_load = true;
};

/// The local warehouse `athena-connector debug` writes, imitating Fivetran's `fivetran debug`
/// tester: `<working_dir>/warehouse.db` (DuckDB, schema `tester`) and `<working_dir>/state.json`.
///
/// Tables: the declared columns (names kept as given, always quoted, so reserved words work),
/// `_fivetran_synced TIMESTAMPTZ`, `_fivetran_deleted BOOLEAN` and a PRIMARY KEY over the declared
/// key columns; a keyless table gets `_fivetran_id VARCHAR` as its key (a hash of the row's
/// values). Types: BOOLEAN, SHORT->SMALLINT, INT->INTEGER, LONG->BIGINT, DECIMAL(p,s) (precision 0
/// means unknown and maps to DECIMAL(38,10), Fivetran's default; precision is capped at 38), FLOAT,
/// DOUBLE, NAIVE_DATE->DATE, NAIVE_DATETIME->TIMESTAMP, UTC_DATETIME->TIMESTAMPTZ, NAIVE_TIME->TIME
/// (value's timestamp taken as time of day), BINARY->BLOB, STRING/XML->VARCHAR, JSON->JSON.
/// Timestamps keep microseconds (nanoseconds are truncated).
///
/// The writes between two checkpoints form one transaction, committed by Checkpoint before the
/// state file is replaced (and by DefineTable, Query and Close; committing early is safe, as
/// re-delivered records are idempotent). A failed Write rolls the transaction back. Rows go through
/// a DuckDB query appender (typed data chunks, no per-row SQL) into one INSERT ... ON CONFLICT /
/// UPDATE ... FROM statement per Write. Within a batch the last
/// record of a key wins. `_fivetran_synced` is the clock's time, made strictly increasing per
/// operation so that a TRUNCATE and the upserts after it never share a timestamp.
///
/// Bulk load (a first sync is one big stream of upserts into a new table; checking the key row by
/// row costs DuckDB more than storing the rows): a table this warehouse creates — when its key
/// columns compare exactly, i.e. no DECIMAL, FLOAT, DOUBLE or JSON key — starts without its
/// PRIMARY KEY (key columns are NOT NULL) and with the key recorded in its table comment. Upserts
/// are appended. The first update or delete of the table, a changed declaration of it, Query,
/// FormatPreview, Finish or Close ends the load: the last row of each key is kept (latest
/// `_fivetran_synced`, then latest append; the same row a sequence of upserts leaves) and the
/// PRIMARY KEY is added, the comment cleared. A table a killed sync left in this state is repaired
/// the same way when it is next defined. Until then other readers of warehouse.db may see a key
/// more than once.
///
/// Calls come from one thread (RecordSink contract).
class DuckDbWarehouse final : public connector::RecordSink {
 public:
  explicit DuckDbWarehouse(WarehouseOptions options);
  ~DuckDbWarehouse() override;
  DuckDbWarehouse(const DuckDbWarehouse&) = delete;
  DuckDbWarehouse& operator=(const DuckDbWarehouse&) = delete;

  /// Creates the table, or checks an existing one: new columns are added (ALTER TABLE ADD COLUMN);
  /// a changed primary key or column type throws common::ConfigError asking for a reset.
  void DefineTable(const common::TableSchema& table) override;
  /// Soft-deletes (`_fivetran_deleted = true`) the rows synced before now; `_fivetran_synced` of
  /// those rows is kept, as Fivetran does for truncates.
  void Truncate(const common::TableSchema& table) override;
  /// UPSERT replaces by key (every column; `_fivetran_deleted = false`); UPDATE changes the rows
  /// whose key exists (all columns of the batch are present) and ignores the others; DELETE
  /// soft-deletes the rows whose key exists. `_fivetran_synced` = now for every row touched.
  void Write(const common::TableSchema& table, connector::RecordType type,
             const common::ValueBatch& rows) override;
  /// Replaces `<working_dir>/state.json` atomically (temp file, fsync, rename, fsync of the
  /// folder). Commits the earlier Writes first. `state_json` must be a JSON object.
  void Checkpoint(const std::string& state_json) override;
  /// Kept (see warnings()) and logged.
  void Warning(const std::string& message) override;

  SyncCounters counters() const { return counters_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::filesystem::path& db_path() const { return db_path_; }
  const std::filesystem::path& state_path() const { return state_path_; }
  const std::string& schema() const { return options_.schema; }

  /// Runs a SELECT query on the warehouse (tests, `show`); every value as text.
  QueryResult Query(const std::string& sql);
  /// The first `limit` rows of `table` (name as given to DefineTable, or "schema.table") as an
  /// aligned text table, ordered by primary key.
  std::string FormatPreview(const std::string& table, size_t limit);

  /// Commits the writes so far and ends every bulk load (the pending primary keys are added).
  /// Throws common::Error when that fails; the rows stay, and the key is added on the next open.
  void Finish();
  /// Finish (logging a failure instead of throwing), then closes the database (also done by the
  /// destructor). Later calls throw.
  void Close();

  /// The DuckDB type a column is created with, e.g. "DECIMAL(38,10)", "TIMESTAMP WITH TIME ZONE"
  /// (the spelling DuckDB reports in duckdb_columns()).
  static std::string DuckDbTypeName(const common::ColumnSchema& column);

 private:
  using Table = detail::WarehouseTable;

  Table& Defined(const common::TableSchema& table);
  /// The warehouse schema of `table`: its own, else options_.schema (`tester`).
  const std::string& SchemaOf(const common::TableSchema& table) const;
  /// Key of `table` in tables_: lower-cased `schema.name`.
  std::string TableKey(const common::TableSchema& table) const;
  Table& DefineTableImpl(const common::TableSchema& table);
  /// Ends the bulk load of `t`: commits, keeps the last row of each key, adds the primary key.
  void AddPendingKey(Table& t);
  void AddPendingKeys();
  int64_t NextSyncedMicros();
  void ExecuteOrThrow(const std::string& sql, std::string_view context);
  void SetMemoryLimit(const std::string& limit, std::string_view context);
  /// Runs `statements` in one transaction. On a failure it rolls back and returns the DuckDB
  /// error type when it is one of `tolerated`, else throws naming `context`. -1 on success.
  int RunTransaction(const std::vector<std::string>& statements, std::string_view context,
                     std::initializer_list<int> tolerated = {}, uint64_t* rows_changed = nullptr);
  void BeginWrites(std::string_view context);
  void CommitWrites(std::string_view context);
  /// Rolls back the writes since the last commit (quietly: the caller is already failing).
  void RollbackWrites();
  [[noreturn]] void Rollback(std::string_view context, std::string_view message, int error_type);

  WarehouseOptions options_;
  common::Clock* clock_;
  std::filesystem::path db_path_;
  std::filesystem::path state_path_;
  std::unique_ptr<detail::DuckDbHandles> db_;
  std::map<std::string, std::unique_ptr<Table>> tables_;  // key: TableKey()
  SyncCounters counters_;
  std::vector<std::string> warnings_;
  int64_t last_synced_micros_ = 0;
  bool in_transaction_ = false;  ///< writes since the last checkpoint, not yet committed
  std::string
      default_memory_limit_;  ///< DuckDB's memory_limit at open (when key_memory_limit is set)
};

/// Formats rows as an aligned text table (header, rule, rows; NULL shown as "NULL", long values
/// shortened, control characters escaped) — used by `make demo` and `debug` output.
std::string FormatTextTable(const QueryResult& result);

/// Opens `warehouse_db_path` read-only and formats the first `limit` rows of `table`
/// ("schema.table"; "tester" when no schema is given). Throws common::NotFoundError when the file
/// or table does not exist.
std::string FormatTablePreview(const std::filesystem::path& warehouse_db_path,
                               const std::string& table, size_t limit);

}  // namespace ac::warehouse
