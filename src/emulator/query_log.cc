#include "emulator/query_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/civil_date.h"

namespace ac::emulator {

std::string IsoTime(TimePoint time) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const int64_t day_ms = 86400000;
  int64_t days = ms / day_ms;
  int64_t rem = ms % day_ms;
  if (rem < 0) {
    rem += day_ms;
    --days;
  }
  const common::CivilDate date = common::CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<long long>(rem / 3600000), static_cast<long long>(rem / 60000 % 60),
                static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
  return buf;
}

QueryLog::QueryLog(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open query log " + path.string() + ": " +
                             std::strerror(errno));
  }
}

QueryLog::~QueryLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string QueryLog::LineOf(const QueryExecutionInfo& info) {
  const StartQueryRequest& request = info.request;
  nlohmann::json line = {
      {"id", info.id},
      {"sql", request.query},
  };
  if (!request.execution_parameters.empty()) {
    line["execution_parameters"] = request.execution_parameters;
  }
  line["catalog"] = request.catalog.empty() ? std::string("AwsDataCatalog") : request.catalog;
  line["database"] = request.database.empty() ? std::string("default") : request.database;
  line["workgroup"] = request.workgroup;
  line["state"] = info.state;
  line["statement_type"] =
      info.statement_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.statement_type);
  line["data_scanned_bytes"] = info.data_scanned_bytes;
  line["submitted_at"] = IsoTime(info.submission_time);
  line["completed_at"] = IsoTime(info.completion_time);
  if (info.error) line["error"] = info.error->message;
  // Invalid UTF-8 in the SQL is replaced rather than failing the line.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void QueryLog::Append(const QueryExecutionInfo& info) {
  const std::string text = LineOf(info) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!failing_) {
        spdlog::error("cannot write query log {}: {}", path_.string(),
                      n < 0 ? std::strerror(errno) : "nothing written");
      }
      failing_ = true;
      return;
    }
    written += static_cast<size_t>(n);
  }
  failing_ = false;
}

}  // namespace ac::emulator
