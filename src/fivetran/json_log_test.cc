#include "fivetran/json_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace ac::fivetran {
namespace {

TEST(JsonLogTest, LevelsMapToFivetranLevels) {
  EXPECT_EQ(FivetranLogLevel(spdlog::level::trace), "INFO");
  EXPECT_EQ(FivetranLogLevel(spdlog::level::debug), "INFO");
  EXPECT_EQ(FivetranLogLevel(spdlog::level::info), "INFO");
  EXPECT_EQ(FivetranLogLevel(spdlog::level::warn), "WARNING");
  EXPECT_EQ(FivetranLogLevel(spdlog::level::err), "SEVERE");
  EXPECT_EQ(FivetranLogLevel(spdlog::level::critical), "SEVERE");
}

TEST(JsonLogTest, LineIsOneCompactJsonObject) {
  EXPECT_EQ(JsonLogLine(spdlog::level::info, "hello"),
            R"({"level":"INFO","message":"hello","message-origin":"sdk_connector"})");
  const std::string tricky =
      "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f e\xC3\xA9 bad \xFF\xC3";
  const std::string line = JsonLogLine(spdlog::level::err, tricky);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);  // valid JSON, valid UTF-8
  EXPECT_EQ(parsed["level"], "SEVERE");
  EXPECT_EQ(parsed["message-origin"], "sdk_connector");
  EXPECT_EQ(parsed["message"],
            "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f e\xC3\xA9 bad "
            "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonLogTest, EscapesControlCharactersAndRejectsOverlongUtf8) {
  std::string out;
  AppendJsonEscaped(std::string("\x01\x1f", 2), out);
  EXPECT_EQ(out, "\\u0001\\u001f");
  out.clear();
  AppendJsonEscaped("\xC0\xAF", out);  // overlong '/'
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
  out.clear();
  AppendJsonEscaped("\xED\xA0\x80", out);  // UTF-16 surrogate
  EXPECT_EQ(out.find("\xED"), std::string::npos);
  out.clear();
  AppendJsonEscaped("\xF0\x9F\x98\x80", out);  // 4-byte sequence kept
  EXPECT_EQ(out, "\xF0\x9F\x98\x80");
}

TEST(JsonLogTest, FormatterWritesOneLinePerMessage) {
  std::ostringstream stream;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);
  sink->set_formatter(std::make_unique<JsonLogFormatter>());
  spdlog::logger logger("json-test", sink);
  logger.info("first {}", 1);
  logger.warn("second");
  std::istringstream lines(stream.str());
  std::string line;
  std::vector<nlohmann::json> parsed;
  while (std::getline(lines, line)) parsed.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0]["message"], "first 1");
  EXPECT_EQ(parsed[1]["level"], "WARNING");
}

}  // namespace
}  // namespace ac::fivetran
