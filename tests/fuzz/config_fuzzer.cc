// The configuration (connector::Config::FromJson: a configuration.json document, i.e.
// ReadJsonObject then Parse of the key/value map Fivetran sends): any document is accepted or
// refused with one ConfigError, whose message never holds the secret access key's value.
//
// Input: the JSON document.

#include <map>
#include <string>

#include "common/error.h"
#include "connector/config.h"
#include "fuzz_target.h"

namespace {

/// True when `secret` occurs in the input other than as the secret's own value (a message may
/// then legitimately hold the same bytes, e.g. as an unknown key's name).
bool AppearsElsewhere(const std::map<std::string, std::string>& values, const std::string& secret) {
  for (const auto& [key, value] : values) {
    if (key.find(secret) != std::string::npos) return true;
    if (key != "aws_secret_access_key" && value.find(secret) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

AC_FUZZ_TARGET(config) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> values;
  try {
    values = ac::connector::Config::ReadJsonObject(text, "configuration.json");
  } catch (const ac::common::ConfigError&) {
    return 0;
  }
  try {
    const ac::connector::Config config = ac::connector::Config::Parse(values);
    (void)config.TransportOptions();
    (void)config.FetcherOptions();
    for (const auto& table : config.tables) (void)table.BaseSql();
  } catch (const ac::common::ConfigError& e) {
    const auto secret = values.find("aws_secret_access_key");
    if (secret != values.end() && secret->second.size() >= 8 &&
        !AppearsElsewhere(values, secret->second)) {
      AC_FUZZ_CHECK(std::string_view(e.what()).find(secret->second) == std::string_view::npos);
    }
  }
  return 0;
}
