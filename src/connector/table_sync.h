#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "athena/athena_client.h"
#include "athena/query_runner.h"
#include "athena/row_batch.h"
#include "common/clock.h"
#include "common/value.h"
#include "connector/config.h"
#include "connector/connector.h"
#include "connector/cursor.h"
#include "connector/partitions.h"
#include "connector/query_cost.h"
#include "connector/record_sink.h"
#include "connector/sync_state.h"
#include "results/result_fetcher.h"
#include "results/result_reader.h"

namespace ac::connector {

/// Running totals of one sync across its tables (which may run in parallel), for the progress
/// callback.
struct SyncTotals {
  std::atomic<int64_t> rows{0};  ///< rows delivered in this sync so far (all tables)
  std::mutex cost_mutex;         ///< guards cost and scan_reserved
  /// The queries this sync ran (a resumed one was counted by the sync that ran it).
  QueryCost cost;
  /// Billed bytes spent or reserved against max_bytes_scanned_per_sync.
  int64_t scan_reserved = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::mutex progress_mutex;  ///< on_progress is called by one table at a time
  /// Tables of this sync still to complete (under the state mutex): the last one to complete
  /// closes the sync (SyncState::sync_id) in its final checkpoint.
  int64_t tables_left = 0;
};

/// What the tables of one sync share; all owned by the caller and outliving every TableSync. The
/// tables may run in parallel (ParallelTables): the Athena client, runner and fetcher factory are
/// thread-safe (ServiceClient keeps a transport per thread; the credentials, signer, S3 client and
/// retry policy lock what they share), and the sink must take calls from several threads
/// (SerializedRecordSink).
struct TableSyncServices {
  const Config& config;                     ///< checkpoint_interval_rows and the query settings
  athena::AthenaClient& athena;             ///< source table metadata
  athena::QueryRunner& runner;              ///< runs a new query, waits for a saved one
  results::ResultFetcherFactory& fetchers;  ///< plans, opens and cleans up the result read
  RecordSink& sink;                         ///< receives the table, its rows and the checkpoints
  common::Clock& clock;                     ///< completed_at of the saved state
  const common::CancellationToken& cancel;  ///< checked between batches
  const std::function<void(const SyncProgress&)>& on_progress;  ///< after each batch; may be empty
  SyncTotals& totals;
  /// Guards the SyncState (every table's entry) and each checkpoint: a table changes its entry
  /// under it, and a checkpoint serializes the state and hands it to the sink under it, so every
  /// checkpoint carries each table's last position whose rows the sink already has, and
  /// checkpoints reach the sink in the order of the states they carry.
  std::mutex& state_mutex;
};

/// The sync of one table, from the saved state to the final checkpoint:
///  0. read the source table's metadata (columns, partition keys) from the catalog, choose the
///     strategy (partitions: list the partitions, plan the ranges to read, one query each; cursor;
///     full refresh) and the columns to read (the selected ones; keys, cursor and partition key
///     always);
///  then for each read (one, or one per partition range):
///  1. write its SQL (conditions on the partition key and the saved cursor, their values as
///     ExecutionParameters) and resolve the start: a saved in-progress query of the same SQL and
///     parameters that SUCCEEDED is read on from the saved position; one that failed, was
///     cancelled, is gone, or whose result is gone is run again;
///  2. otherwise plan the fetch, run the query (its id checkpointed as soon as it exists; an UNLOAD
///     Athena rejects falls back to the plain query) and open the reader at the start;
///  3. define the destination table (the selected columns, never dropping a primary-key column)
///     and, for a full refresh not yet truncated, truncate it;
///  4. read and deliver the batches, tracking the cursor and partition values and checkpointing
///     every checkpoint_interval_rows rows;
///  5. clean up what the fetcher left; a partition range before the last is saved done
///     (checkpointed: a killed sync goes on with the next range);
///  6. every delete_detection_every syncs, check the keys: keys gone since the last check are
///     deleted at the destination (key_check.h);
///  7. finish: save the table complete (with its new cursor and partition values) and checkpoint.
/// Throws common::Error on failure; the sink has then received everything up to the last
/// checkpoint, and the saved state resumes the read. Other tables may sync at the same time on
/// other threads: this one changes only its own entry of the state, under services.state_mutex.
class TableSync {
 public:
  TableSync(const TableSyncServices& services, const TableConfig& table,
            const TableSelection* selection, SyncState& state);
  ~TableSync();

  void Run();

 private:
  // Steps of Run(), in order.
  void ReadSourceMetadata();
  void ChooseStrategy();
  void PlanPartitionReads();
  void ChooseColumns();
  bool NextRead();
  bool ResumeSavedRead();
  void StartOver();
  void PlanFetch();
  void RunQuery();
  void OpenReader();
  void DefineDestinationTable();
  void TruncateForFullRefresh();
  void StartTracking();
  void ReadAndDeliver();
  void FinishRead();
  void CheckDeletedKeysIfDue();
  void Finish();

  // Parts of the steps.
  std::optional<athena::QueryExecution> SavedSucceededQuery();
  bool UsesCursor() const;
  bool IsKeyOrCursor(const std::string& column) const;
  void OnQueryStarted(const std::string& query_execution_id);
  void CountQueryCost(const athena::QueryExecution& execution);
  int64_t EstimateScanBytes() const;
  bool ReserveScanBudget();
  void Track(const athena::RowBatch& rows, const common::ValueBatch& values);
  void Deliver(const common::ValueBatch& values);
  void Advance(size_t rows);
  /// Hands the whole state to the sink; the caller holds `lock` on services_.state_mutex.
  void Checkpoint(const std::lock_guard<std::mutex>& lock);

  const TableSyncServices services_;
  const TableConfig& table_;
  const TableSelection* selection_;
  SyncState& state_;
  TableState& saved_;
  SyncStrategy strategy_ = SyncStrategy::kFullRefresh;  ///< resolved (never kAuto)

  athena::TableMetadata metadata_;         ///< a source table's (none for a query)
  std::vector<athena::Column> declared_;   ///< declared types of a source table (none for a query)
  std::vector<std::string> read_columns_;  ///< the columns the SQL names; empty = `*`

  // Partitions strategy.
  std::optional<PartitionKey> partition_;
  std::vector<std::string> partition_values_;  ///< listed, sorted
  bool has_null_partition_ = false;            ///< listed: __HIVE_DEFAULT_PARTITION__
  std::vector<PartitionRange> ranges_;         ///< one read each; a single open range otherwise
  size_t range_index_ = 0;                     ///< the read in progress

  std::string sql_;                      ///< the read's SELECT
  std::vector<std::string> parameters_;  ///< the read's ExecutionParameters
  std::string sql_hash_;                 ///< fingerprint of sql_ and parameters_, saved with the
                                         ///< query running them
  bool resuming_ = false;                ///< the read continues a saved query's result
  bool budget_checked_ = false;          ///< max_bytes_scanned_per_sync was asked (once a table)
  results::FetchPlan plan_;
  std::optional<athena::QueryExecution> execution_;
  QueryCost table_cost_;         ///< the queries this sync ran for the table
  int64_t scan_estimate_ = 0;    ///< billed bytes reserved for the table up front
  int64_t scan_reserved_ = 0;    ///< this table's share of SyncTotals::scan_reserved
  int64_t scanned_bytes_ = 0;    ///< DataScannedInBytes of every read of this sync (resumed too)
  int64_t partitions_read_ = 0;  ///< partitions the reads of this sync covered
  int64_t rows_delivered_ = 0;   ///< rows this process delivered
  std::vector<std::string> query_ids_;  ///< the queries read, for the final log line
  std::string key_check_query_id_;      ///< the key check this sync ran ("" = none)
  results::ResultPosition start_;
  std::unique_ptr<results::ResultReader> reader_;

  bool defined_ = false;                 ///< the destination table was declared
  std::vector<athena::Column> columns_;  ///< the result's columns, declared types merged in
  common::TableSchema schema_;           ///< every result column
  common::TableSchema projected_;        ///< the selected columns: what the sink receives
  std::vector<size_t> projection_;       ///< index in schema_ of each projected_ column
  int cursor_index_ = -1;                ///< the cursor column in schema_ (incremental)
  std::optional<CursorTracker> cursor_;
  int partition_index_ = -1;  ///< the partition column in schema_ (partitions)
  std::optional<CursorTracker> partition_max_;
  common::ValueBatch projected_values_;
  int64_t rows_since_checkpoint_ = 0;
};

}  // namespace ac::connector
