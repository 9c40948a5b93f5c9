#pragma once

#include <cstdint>
#include <string>

#include "common/value.h"

namespace ac::connector {

/// What a sync delivered, by operation: counted by the warehouse as it applies them and by
/// `debug`'s local runner as it reads the Update stream; `debug` prints them as SYNC PROGRESS.
struct SyncCounters {
  uint64_t upserts = 0;         ///< rows
  uint64_t updates = 0;         ///< rows
  uint64_t deletes = 0;         ///< rows
  uint64_t truncates = 0;       ///< tables
  uint64_t schema_changes = 0;  ///< tables created or changed
  uint64_t checkpoints = 0;
  bool operator==(const SyncCounters&) const = default;
};

/// Fivetran's record operations (numbering equals fivetran_sdk.v2.RecordType).
enum class RecordType { kUpsert = 0, kUpdate = 1, kDelete = 2, kTruncate = 3 };

/// Where a sync delivers its output: the gRPC Update stream, or the local DuckDB warehouse.
/// Calls come from one thread, in order.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// Declares (or re-declares) a destination table before records for it arrive.
  virtual void DefineTable(const common::TableSchema& table) = 0;
  /// Soft-deletes all rows of `table` synced before now (sent before the upserts of a re-sync).
  virtual void Truncate(const common::TableSchema& table) = 0;
  /// Applies `rows` (values in `table.columns` order) as `type` operations.
  virtual void Write(const common::TableSchema& table, RecordType type,
                     const common::ValueBatch& rows) = 0;
  /// Write for a caller done with `rows`: the sink may keep the batch (leaving another, cleared one
  /// in its place). Either way `rows` comes back empty; Reset() it before the next rows.
  virtual void WriteAndRecycle(const common::TableSchema& table, RecordType type,
                               common::ValueBatch& rows) {
    Write(table, type, rows);
    rows.Clear();
  }
  /// Persists `state_json` after every earlier Write is durably handed over.
  virtual void Checkpoint(const std::string& state_json) = 0;
  /// A condition the user should know about that does not stop the sync.
  virtual void Warning(const std::string& message) = 0;
  /// Returns once every earlier call has been applied; throws what applying them threw. Sinks
  /// that apply each call before returning have nothing to wait for.
  virtual void Drain() {}
};

}  // namespace ac::connector
