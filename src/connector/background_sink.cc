#include "connector/background_sink.h"

#include <algorithm>
#include <utility>

namespace ac::connector {

BackgroundRecordSink::BackgroundRecordSink(RecordSink& sink, size_t max_queued_writes)
    : sink_(sink), max_queued_writes_(std::max<size_t>(max_queued_writes, 1)) {
  worker_ = std::thread([this] { Run(); });
}

BackgroundRecordSink::~BackgroundRecordSink() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    call.rows = TakeSpareLocked();
  }
  call.rows.Assign(rows);
  Enqueue(std::move(call));
}

void BackgroundRecordSink::WriteAndRecycle(const common::TableSchema& table, RecordType type,
                                           common::ValueBatch& rows) {
  Call call{CallKind::kWrite, table, type};
  call.rows = std::move(rows);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rows = TakeSpareLocked();
  }
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
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return (queue_.empty() && !busy_) || error_ != nullptr; });
  if (error_ != nullptr) std::rethrow_exception(error_);
}

void BackgroundRecordSink::Enqueue(Call call) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (call.kind == CallKind::kWrite) {
      done_.wait(lock, [this] { return queued_writes_ < max_queued_writes_ || error_ != nullptr; });
    }
    if (error_ != nullptr) std::rethrow_exception(error_);
    if (call.kind == CallKind::kWrite) ++queued_writes_;
    queue_.push_back(std::move(call));
  }
  work_.notify_one();
}

common::ValueBatch BackgroundRecordSink::TakeSpareLocked() {
  if (spares_.empty()) return common::ValueBatch();
  common::ValueBatch spare = std::move(spares_.back());
  spares_.pop_back();
  return spare;
}

void BackgroundRecordSink::Apply(Call& call) {
  switch (call.kind) {
    case CallKind::kDefineTable: sink_.DefineTable(call.table); break;
    case CallKind::kTruncate: sink_.Truncate(call.table); break;
    case CallKind::kWrite: sink_.Write(call.table, call.type, call.rows); break;
    case CallKind::kCheckpoint: sink_.Checkpoint(call.text); break;
    case CallKind::kWarning: sink_.Warning(call.text); break;
  }
}

void BackgroundRecordSink::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, nothing left
    Call call = std::move(queue_.front());
    queue_.pop_front();
    const bool skip = error_ != nullptr;
    busy_ = true;
    if (call.kind == CallKind::kWrite) {
      --queued_writes_;
      done_.notify_all();  // room for the next write
    }
    lock.unlock();
    std::exception_ptr failure;
    if (!skip) {
      try {
        Apply(call);
      } catch (...) {
        failure = std::current_exception();
      }
    }
    if (call.kind == CallKind::kWrite) call.rows.Clear();
    lock.lock();
    if (failure != nullptr && error_ == nullptr) error_ = failure;
    // Enough spares for every batch that can be in flight; the rest are freed.
    if (call.kind == CallKind::kWrite && spares_.size() <= max_queued_writes_) {
      spares_.push_back(std::move(call.rows));
    }
    busy_ = false;
    done_.notify_all();
  }
}

}  // namespace ac::connector
