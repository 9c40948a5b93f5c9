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

/// A secret access key no other key or value holds.
constexpr std::string_view kSecretMarker = "zQ7sEcReTmArKeR9xW";

}  // namespace

AC_FUZZ_TARGET(config) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> values;
  try {
    values = ac::connector::Config::ReadJsonObject(text, "configuration.json");
  } catch (const ac::common::ConfigError&) {
    return 0;
  }
  auto parse = [](const std::map<std::string, std::string>& config_values) {
    try {
      const ac::connector::Config config = ac::connector::Config::Parse(config_values);
      (void)config.TransportOptions();
      (void)config.FetcherOptions();
      for (const auto& table : config.tables) (void)table.BaseSql();
      return std::string();
    } catch (const ac::common::ConfigError& e) {
      return std::string(e.what());
    }
  };
  (void)parse(values);
  // The same configuration with a secret that appears nowhere else: no message may show it.
  const auto secret = values.find("aws_secret_access_key");
  if (secret != values.end() && !secret->second.empty()) {
    for (const auto& [key, value] : values) {
      if (key.find(kSecretMarker) != std::string::npos ||
          value.find(kSecretMarker) != std::string::npos)
        return 0;
    }
    secret->second = std::string(kSecretMarker);
    const std::string message = parse(values);
    if (message.find(kSecretMarker) != std::string::npos) {
      std::fprintf(stderr, "the secret is in the message: %s\n", message.c_str());
      AC_FUZZ_CHECK(false);
    }
  }
  return 0;
}
