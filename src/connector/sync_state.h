#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "results/result_reader.h"

namespace ac::connector {

/// Saved progress of one destination table.
struct TableState {
  enum class Status { kNone, kInProgress, kComplete };
  Status status = Status::kNone;
  std::string sql_hash;            ///< fingerprint of the SQL the saved query ran
  std::string query_execution_id;  ///< the query whose result is being (or was) read
  bool truncated = false;          ///< the pre-sync TRUNCATE of a full refresh was sent
  std::string fetcher;        ///< planned fetcher of the query in progress: api, s3, unload, auto
  std::string unload_prefix;  ///< unload: where the Parquet files of the query in progress go
  results::ResultPosition position;  ///< where reading stands in that result
  int64_t rows_synced = 0;           ///< rows delivered from that result
  std::string cursor_value;  ///< incremental: Athena text of the highest cursor value synced
  std::string cursor_type;   ///< incremental: Athena type of the cursor column
  std::string pending_cursor_value;  ///< incremental: highest cursor value delivered by the read in
                                     ///< progress
  /// Partition-incremental tables: the partition key whose values the syncs follow, its Athena
  /// type, the highest value synced by the last completed sync (the next sync reads from it less
  /// partition_lookback), the upper bound of the chunks a sync in progress has delivered (it goes
  /// on past it), and the highest value the read in progress has delivered.
  std::string partition_column;
  std::string partition_type;
  std::string partition_value;
  std::string partition_done;
  std::string pending_partition_value;
  /// delete_detection_every: the last key check's query (its sorted result is the key set the next
  /// check compares with) and the syncs completed since it.
  std::string key_check_query_id;
  int64_t syncs_since_key_check = 0;
  std::string completed_at;        ///< ISO-8601 UTC of the last completed sync
  int64_t last_scanned_bytes = 0;  ///< what the queries of the last completed sync scanned (the
                                   ///< estimate of the next one, for max_bytes_scanned_per_sync)
  int64_t last_scanned_partitions = 0;  ///< partitions those queries read (partitions strategy:
                                        ///< the estimate is per partition)
  std::string completed_in_sync;        ///< SyncState::sync_id of the sync that completed the table
};

/// The connector's state JSON: `{"version":1,"tables":{"<destination>":{...}}[,"sync_id":"..."]}`.
/// It names the query execution id and the position in its result, so a sync killed halfway resumes
/// by reading the rest of the same result.
struct SyncState {
  std::map<std::string, TableState> tables;
  /// The sync under way ("" once a sync has completed every table): an Update that finds one
  /// continues that sync after an interruption (a kill, a failed table) — the tables it completed
  /// are not synced again, the others resume from their saved position.
  std::string sync_id;

  /// Largest state accepted (checked before parsing). The connector writes a few hundred bytes
  /// per table.
  static constexpr size_t kMaxBytes = size_t{10} << 20;

  /// Parses a checkpointed state (untrusted input: size, UTF-8, JSON, every member's type and
  /// range are checked); "" and "{}" give an empty state. Throws common::ConfigError
  /// "invalid state: <problem>; reset the connection's state" — the state's text never quoted.
  static SyncState Parse(const std::string& state_json);
  /// The checks made before parsing: size (kMaxBytes) and well-formed UTF-8. Throws like Parse.
  static void CheckText(std::string_view state_json);
  std::string ToJson() const;
};

}  // namespace ac::connector
