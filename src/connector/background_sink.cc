#include "connector/background_sink.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace ac::connector {

BackgroundRecordSink::BackgroundRecordSink(RecordSink& sink, size_t max_queued_writes)
    : sink_(sink),
      // Enough spares for every batch that can be in flight; the rest are freed.
      queue_(std::max<size_t>(max_queued_writes, 1), std::max<size_t>(max_queued_writes, 1) + 1) {
  worker_ = std::thread([this] { Run(); });
}

BackgroundRecordSink::~BackgroundRecordSink() {
  queue_.Close();  // the worker applies what is queued (unless a call failed), then ends
  worker_.join();
}

void BackgroundRecordSink::DefineTable(const common::TableSchema& table) {
  Enqueue(Call{CallKind::kDefineTable, table});
}

void BackgroundRecordSink::Truncate(const common::TableSchema& table) {
  Enqueue(Call{CallKind::kTruncate, table});
}

void BackgroundRecordSink::Write(const common::TableSchema& table, RecordType type,
                                 const common::ValueBatch& rows) {
  Call call{CallKind::kWrite, table, type};
  call.rows = queue_.TakeSpare().rows;
  call.rows.Assign(rows);
  Enqueue(std::move(call));
}

void BackgroundRecordSink::WriteAndRecycle(const common::TableSchema& table, RecordType type,
                                           common::ValueBatch& rows) {
  Call call{CallKind::kWrite, table, type};
  call.rows = std::move(rows);
  rows = queue_.TakeSpare().rows;
  Enqueue(std::move(call));
}

void BackgroundRecordSink::Checkpoint(const std::string& state_json) {
  Call call{CallKind::kCheckpoint};
  call.text = state_json;
  Enqueue(std::move(call));
  Drain();
}

void BackgroundRecordSink::Warning(const std::string& message) {
  Call call{CallKind::kWarning};
  call.text = message;
  Enqueue(std::move(call));
}

void BackgroundRecordSink::Drain() {
  queue_.WaitUntilDone();
}

void BackgroundRecordSink::Enqueue(Call call) {
  const size_t weight = call.kind == CallKind::kWrite ? 1 : 0;
  queue_.Push(std::move(call), weight);  // rethrows the failure of an earlier call
}

void BackgroundRecordSink::Apply(Call& call) {
  switch (call.kind) {
    case CallKind::kDefineTable:
      sink_.DefineTable(call.table);
      break;
    case CallKind::kTruncate:
      sink_.Truncate(call.table);
      break;
    case CallKind::kWrite:
      sink_.Write(call.table, call.type, call.rows);
      break;
    case CallKind::kCheckpoint:
      sink_.Checkpoint(call.text);
      break;
    case CallKind::kWarning:
      sink_.Warning(call.text);
      break;
  }
}

void BackgroundRecordSink::Run() {
  while (std::optional<Call> call = queue_.Pop()) {
    try {
      Apply(*call);
    } catch (...) {
      // Nothing is applied after a failure: the calls queued behind it are dropped with the queue.
      queue_.Fail(std::current_exception());
      return;
    }
    if (call->kind == CallKind::kWrite) {
      Call spare;
      spare.rows = std::move(call->rows);
      spare.rows.Clear();
      queue_.Recycle(std::move(spare));
    }
    queue_.MarkDone();
  }
}

}  // namespace ac::connector
