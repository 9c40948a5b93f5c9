#include "connector/parallel_tables.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

#include "common/error.h"

namespace ac::connector {
namespace {

std::string Describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool IsCancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const common::CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

ParallelTables::ParallelTables(int max_parallel, const common::CancellationToken& sync_cancel)
    : max_parallel_(static_cast<size_t>(std::max(max_parallel, 1))),
      cancel_(std::make_shared<common::CancellationToken>()) {
  sync_cancel.OnCancel([cancel = cancel_] { cancel->Cancel(); });
}

ParallelTables::~ParallelTables() = default;

void ParallelTables::Run(std::vector<TableJob> jobs) {
  struct Progress {
    std::mutex mutex;
    size_t next = 0;  ///< index of the next job to start
    std::exception_ptr first_error;
  } progress;

  // Called with the failure of `job` (or of starting a worker, job == nullptr).
  auto failed = [&](const TableJob* job, std::exception_ptr error) {
    const std::string table = job != nullptr ? job->table : std::string("(none)");
    {
      std::lock_guard<std::mutex> lock(progress.mutex);
      if (progress.first_error) {
        // A consequence of the first failure (or of the sync's cancellation) most of the time.
        if (IsCancellation(error) && cancel_->IsCancelled()) {
          spdlog::debug("Table '{}' stopped: {}", table, Describe(error));
        } else {
          spdlog::warn("Table '{}' failed too: {}", table, Describe(error));
        }
        return;
      }
      progress.first_error = error;
    }
    if (!cancel_->IsCancelled()) {
      spdlog::warn("Table '{}' failed: {}; stopping the other tables", table, Describe(error));
    }
    cancel_->Cancel();
  };

  auto work = [&] {
    while (true) {
      const TableJob* job = nullptr;
      {
        std::lock_guard<std::mutex> lock(progress.mutex);
        if (progress.next >= jobs.size() || cancel_->IsCancelled()) return;
        job = &jobs[progress.next++];
      }
      try {
        job->run();
      } catch (...) {
        failed(job, std::current_exception());
      }
    }
  };

  const size_t count = std::min(max_parallel_, jobs.size());
  std::vector<std::thread> workers;
  workers.reserve(count);
  try {
    for (size_t i = 0; i < count; ++i) workers.emplace_back(work);
  } catch (...) {
    // A worker could not be started (no threads left): the started ones stop like on a failure.
    failed(nullptr, std::current_exception());
  }
  for (auto& worker : workers) worker.join();

  if (progress.first_error) std::rethrow_exception(progress.first_error);
  if (progress.next < jobs.size()) {
    throw common::CancelledError(
        fmt::format("sync interrupted before table '{}' started", jobs[progress.next].table));
  }
}

void SerializedRecordSink::DefineTable(const common::TableSchema& table) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.DefineTable(table);
}

void SerializedRecordSink::Truncate(const common::TableSchema& table) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.Truncate(table);
}

void SerializedRecordSink::Write(const common::TableSchema& table, RecordType type,
                                 const common::ValueBatch& rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.Write(table, type, rows);
}

void SerializedRecordSink::WriteAndRecycle(const common::TableSchema& table, RecordType type,
                                           common::ValueBatch& rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.WriteAndRecycle(table, type, rows);
}

void SerializedRecordSink::Checkpoint(const std::string& state_json) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.Checkpoint(state_json);
}

void SerializedRecordSink::Warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.Warning(message);
}

void SerializedRecordSink::Drain() {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_.Drain();
}

}  // namespace ac::connector
