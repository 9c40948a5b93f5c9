#include "common/json_error.h"

#include <fmt/format.h>

namespace ac::common {

std::string JsonErrorWithoutInput(const nlohmann::json::exception& error) {
  if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&error)) {
    return fmt::format("syntax error at byte {}", parse->byte);
  }
  return fmt::format("JSON error {}", error.id);
}

}  // namespace ac::common
