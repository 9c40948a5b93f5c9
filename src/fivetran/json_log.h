#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

namespace ac::fivetran {

/// Fivetran's log level for an spdlog level: trace/debug/info -> INFO, warn -> WARNING,
/// err/critical -> SEVERE.
std::string_view FivetranLogLevel(spdlog::level::level_enum level);

/// Appends `text` JSON-escaped (without quotes) to `out`: quotes, backslashes and control
/// characters escaped, invalid UTF-8 replaced by U+FFFD, so every line is valid JSON.
void AppendJsonEscaped(std::string_view text, std::string& out);

/// One log line as Fivetran reads it from a partner connector's stdout (no trailing newline):
/// {"level":"INFO","message":"...","message-origin":"sdk_connector"}
std::string JsonLogLine(spdlog::level::level_enum level, std::string_view message);

/// spdlog formatter writing JsonLogLine() + '\n'.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

/// A logger writing JSON lines to stdout (thread-safe, flushed on every line).
std::shared_ptr<spdlog::logger> MakeJsonStdoutLogger(const std::string& name = "athena-connector");

/// Makes MakeJsonStdoutLogger() the default spdlog logger (serve mode), level info.
void InstallJsonStdoutLogger();

}  // namespace ac::fivetran
