#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/value.h"
#include "connector/record_sink.h"

namespace ac::connector {

/// One table's share of a sync, run by ParallelTables on one of its workers.
struct TableJob {
  std::string table;          ///< destination table, for logs and messages
  std::function<void()> run;  ///< the table's sync; throws on failure
};

/// Runs the tables of a sync on a fixed pool of worker threads: at most `max_parallel` tables'
/// queries and reads in flight at once, the jobs taken in order (job i starts no later than job
/// i+1; with one worker they run one after another, as a sequential sync did).
///
/// The jobs wait on cancel(), a token of its own: cancelled when the sync's token is (gRPC client
/// gone, SIGINT in `debug`), and when a job fails. So the first failure stops the tables in flight
/// promptly, the jobs not yet started are skipped, Run waits for every worker and rethrows that
/// first exception; the later ones are logged.
class ParallelTables {
 public:
  /// `max_parallel` >= 1; `sync_cancel` must outlive this object.
  ParallelTables(int max_parallel, const common::CancellationToken& sync_cancel);
  ~ParallelTables();
  ParallelTables(const ParallelTables&) = delete;
  ParallelTables& operator=(const ParallelTables&) = delete;

  /// The token the jobs (and the clients they call through) must watch.
  const common::CancellationToken& cancel() const { return *cancel_; }

  /// Runs every job and returns once all have finished. Throws the first job's exception; a
  /// common::CancelledError when cancellation skipped jobs without any job failing.
  void Run(std::vector<TableJob> jobs);

 private:
  const size_t max_parallel_;
  /// Shared with the callback registered on the sync's token, which cannot be removed and may
  /// fire after this object is gone.
  std::shared_ptr<common::CancellationToken> cancel_;
};

/// A RecordSink that lets one call at a time through to `sink`: GrpcRecordSink,
/// BackgroundRecordSink and the warehouse take calls from one thread at a time, and the tables of
/// a parallel sync call from several. Calls of different tables interleave; each caller's calls
/// keep their order.
class SerializedRecordSink final : public RecordSink {
 public:
  explicit SerializedRecordSink(RecordSink& sink) : sink_(sink) {}

  void DefineTable(const common::TableSchema& table) override;
  void Truncate(const common::TableSchema& table) override;
  void Write(const common::TableSchema& table, RecordType type,
             const common::ValueBatch& rows) override;
  void WriteAndRecycle(const common::TableSchema& table, RecordType type,
                       common::ValueBatch& rows) override;
  void Checkpoint(const std::string& state_json) override;
  void Warning(const std::string& message) override;
  void Drain() override;

 private:
  std::mutex mutex_;
  RecordSink& sink_;
};

}  // namespace ac::connector
