#pragma once

#include <cstddef>
#include <string>
#include <thread>
#include <utility>

#include "common/bounded_queue.h"
#include "common/value.h"
#include "connector/record_sink.h"

namespace ac::connector {

/// Applies the calls made on it to another RecordSink on a worker thread, in order, so that the
/// caller (e.g. decoding the Update stream) and the sink (e.g. writing DuckDB) run at the same
/// time.
///
/// - Write copies the rows; WriteAndRecycle takes the batch and hands back a spare one. Besides
///   the batch the sink is writing, at most `max_queued_writes` wait for it; the caller blocks
///   beyond that, so memory stays at a few batches whatever the sync's size.
/// - Checkpoint returns once it is applied: a state is acknowledged only after the rows before it
///   are in the sink, and an error of those rows reaches the caller before the next state.
/// - Once a call fails in the sink, the calls queued after it are dropped (nothing is applied
///   after a failure: a checkpoint must never follow lost rows), and every later call, as well as
///   Drain, rethrows that call's exception.
///
/// Calls come from one thread (RecordSink contract). The destructor applies what is still queued
/// (unless a call failed) and joins the worker; call Drain first to see errors.
class BackgroundRecordSink final : public RecordSink {
 public:
  explicit BackgroundRecordSink(RecordSink& sink, size_t max_queued_writes = 2);
  ~BackgroundRecordSink() override;
  BackgroundRecordSink(const BackgroundRecordSink&) = delete;
  BackgroundRecordSink& operator=(const BackgroundRecordSink&) = delete;

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
  enum class CallKind { kDefineTable, kTruncate, kWrite, kCheckpoint, kWarning };
  struct Call {
    Call() = default;  // a spare: only its rows are used
    explicit Call(CallKind call_kind, common::TableSchema call_table = {},
                  RecordType record_type = RecordType::kUpsert)
        : kind(call_kind), table(std::move(call_table)), type(record_type) {}
    CallKind kind = CallKind::kWrite;
    common::TableSchema table;
    RecordType type = RecordType::kUpsert;
    common::ValueBatch rows;
    std::string text;  // state or warning
  };

  /// Queues `call` (blocking while too many writes wait); rethrows an earlier failure instead.
  void Enqueue(Call call);
  void Apply(Call& call);
  void Run();

  RecordSink& sink_;
  /// The calls waiting for the worker: only writes count against max_queued_writes (weight 1),
  /// the other calls never wait (weight 0). A failure of the sink fails the queue. Its spares are
  /// the written batches, handed back to callers.
  common::BoundedQueue<Call> queue_;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace ac::connector
