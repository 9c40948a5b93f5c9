#pragma once

// athena-local's query log (--query-log PATH): one JSON object per line for every query execution
// when it reaches a final state (SUCCEEDED, FAILED, CANCELLED), so that tests can prove what a
// connector queried and what it cost: the SQL exactly as received (before parameter
// substitution), its execution parameters, context, state, statement type, DataScannedInBytes
// and the submission and completion times (ISO-8601, UTC, milliseconds).

#include <filesystem>
#include <mutex>
#include <string>

#include "emulator/engine.h"

namespace ac::emulator {

class QueryLog {
 public:
  /// Opens `path` for appending (created when missing). Throws std::runtime_error naming the path
  /// and the reason when it cannot.
  explicit QueryLog(const std::filesystem::path& path);
  ~QueryLog();
  QueryLog(const QueryLog&) = delete;
  QueryLog& operator=(const QueryLog&) = delete;

  /// Appends the line of a finished execution, written whole with one write(2) (flushed).
  /// Thread-safe. A failed write is reported on the log (once per failure run), never thrown.
  void Append(const QueryExecutionInfo& info);

  /// The line's JSON text, without the newline.
  static std::string LineOf(const QueryExecutionInfo& info);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::mutex mutex_;
  bool failing_ = false;  ///< the last write failed (reported once until one succeeds)
};

/// ISO-8601 text of a time point in UTC with milliseconds: 2024-01-31T13:14:15.678Z.
std::string IsoTime(TimePoint time);

}  // namespace ac::emulator
