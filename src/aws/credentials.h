#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/http.h"
#include "common/clock.h"
#include "common/secret.h"

namespace ac::aws {

struct Credentials {
  std::string access_key_id;
  common::Secret secret_access_key;
  common::Secret session_token;  ///< empty for long-term keys
  /// When temporary credentials expire (nullopt: never).
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  ///< where they came from, for messages: "configuration", "environment", ...
};

/// Gives valid credentials, refreshing them before they expire. Thread-safe.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  /// Throws common::AuthError when no credentials can be had.
  virtual Credentials GetCredentials() = 0;
};

/// Fixed keys (configuration or tests).
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials)
      : credentials_(std::move(credentials)) {}
  Credentials GetCredentials() override { return credentials_; }

 private:
  Credentials credentials_;
};

/// Environment lookups, injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

/// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (or AWS_SECURITY_TOKEN).
std::optional<Credentials> CredentialsFromEnvironment(const EnvLookup& env);

/// One INI file: section name -> key -> value. Comments (#, ;), blank lines, whitespace trimmed.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(std::string_view text);

/// Profile settings merged from ~/.aws/credentials (`[name]`) and ~/.aws/config
/// (`[profile name]`, `[default]`); files located via AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE
/// / HOME. Credentials-file values win.
std::map<std::string, std::string> LoadProfile(const EnvLookup& env, const std::string& profile);

/// Settings for STS AssumeRole.
struct AssumeRoleOptions {
  std::string role_arn;
  std::string external_id;  ///< optional
  std::string session_name = "athena-connector";
  std::chrono::seconds duration{3600};
  std::string region = "us-east-1";
  std::string
      endpoint_url;  ///< optional override (tests); default https://sts.<region>.amazonaws.com
  /// Refresh this long before expiry.
  std::chrono::seconds refresh_margin{300};
};

/// Calls STS AssumeRole with the source credentials and caches the temporary credentials until
/// `refresh_margin` before they expire.
std::shared_ptr<CredentialsProvider> MakeAssumeRoleProvider(
    std::shared_ptr<CredentialsProvider> source, AssumeRoleOptions options,
    std::shared_ptr<HttpTransport> transport, common::Clock& clock);

/// Inputs to the default chain.
struct CredentialChainOptions {
  std::string access_key_id;  ///< from configuration (with secret_access_key), optional
  common::Secret secret_access_key;
  common::Secret session_token;
  std::string profile;            ///< optional; else AWS_PROFILE, else "default"
  AssumeRoleOptions assume_role;  ///< used when role_arn is non-empty
};

/// Chain: configuration keys -> environment -> shared credentials/config profile; wrapped in
/// AssumeRole when `role_arn` is set. Throws common::AuthError naming what was tried.
std::shared_ptr<CredentialsProvider> MakeDefaultCredentialsProvider(
    const CredentialChainOptions& options, const EnvLookup& env,
    std::shared_ptr<HttpTransport> sts_transport, common::Clock& clock);

}  // namespace ac::aws
