#include "fivetran/json_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/json_text.h"

namespace ac::fivetran {
namespace {

constexpr std::string_view kOrigin = "sdk_connector";

}  // namespace

std::string_view FivetranLogLevel(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
    case spdlog::level::critical:
      return "SEVERE";
    default:
      return "INFO";
  }
}

void AppendJsonEscaped(std::string_view text, std::string& out) {
  common::AppendJsonEscaped(out, text, /*escape_del=*/true);
}

std::string JsonLogLine(spdlog::level::level_enum level, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 64);
  line.append("{\"level\":\"");
  line.append(FivetranLogLevel(level));
  line.append("\",\"message\":\"");
  AppendJsonEscaped(message, line);
  line.append("\",\"message-origin\":\"");
  line.append(kOrigin);
  line.append("\"}");
  return line;
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const std::string line =
      JsonLogLine(msg.level, std::string_view(msg.payload.data(), msg.payload.size()));
  dest.append(line.data(), line.data() + line.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

std::shared_ptr<spdlog::logger> MakeJsonStdoutLogger(const std::string& name) {
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  sink->set_formatter(std::make_unique<JsonLogFormatter>());
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

void InstallJsonStdoutLogger() {
  spdlog::set_default_logger(MakeJsonStdoutLogger());
}

}  // namespace ac::fivetran
