#include "common/json_error.h"

#include <gtest/gtest.h>

#include <string>

namespace ac::common {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    (void)nlohmann::json::accept(text);
    const nlohmann::json parsed = nlohmann::json::parse(text);
    return "parsed: " + parsed.dump();
  } catch (const nlohmann::json::exception& e) {
    return JsonErrorWithoutInput(e);
  }
}

TEST(JsonErrorTest, NamesThePlaceNeverTheText) {
  const std::string message = ErrorOf(R"({"aws_secret_access_key": "s3cr3t\q"})");
  EXPECT_EQ(message, "syntax error at byte 35");
  EXPECT_EQ(message.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(ErrorOf("{"), "syntax error at byte 2");
}

TEST(JsonErrorTest, OtherJsonErrorsGiveTheirId) {
  try {
    (void)nlohmann::json::parse("5").get<std::string>();
    FAIL() << "no error";
  } catch (const nlohmann::json::exception& e) {
    EXPECT_EQ(JsonErrorWithoutInput(e), "JSON error 302");
  }
}

}  // namespace
}  // namespace ac::common
