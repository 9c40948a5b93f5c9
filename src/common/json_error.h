#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ac::common {

/// Describes a JSON error without any of the input text: nlohmann's own message quotes what it
/// last read ("last read: '\"abc\\q'"), which inside a configuration or a state may be a secret.
/// A syntax error reads "syntax error at byte 42".
std::string JsonErrorWithoutInput(const nlohmann::json::exception& error);

}  // namespace ac::common
