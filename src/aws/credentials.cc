#include "aws/credentials.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aws/aws_error.h"
#include "aws/retry.h"
#include "aws/service_client.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/strings.h"
#include "common/xml.h"

namespace ac::aws {
namespace {

using common::kCLocaleSpace;
using common::Lower;
using common::Trim;

/// A non-empty environment value.
std::optional<std::string> NonEmpty(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

/// Parses ISO-8601 UTC timestamps as STS and credential files write them:
/// `YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]`.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  text = Trim(text, kCLocaleSpace);
  auto digits = [](std::string_view in, size_t pos, size_t count, int& out) {
    if (pos + count > in.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(in[i]))) return false;
      out = out * 10 + (in[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 19 || !digits(text, 0, 4, year) || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      fraction += std::chrono::nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
  }
  std::chrono::minutes offset{0};
  std::string_view zone = text.substr(pos);
  if (!zone.empty() && zone != "Z" && zone != "z") {
    int oh, om;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
        !digits(zone, 1, 2, oh) || !digits(zone, 4, 2, om)) {
      return std::nullopt;
    }
    offset = std::chrono::minutes(oh * 60 + om);
    if (zone[0] == '-') offset = -offset;
  }
  std::chrono::year_month_day date{std::chrono::year(year),
                                   std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto time = std::chrono::sys_days(date) + std::chrono::hours(hour) +
              std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(time + fraction);
}

/// Where the shared files live for this environment (empty when neither override nor HOME).
struct ProfileFiles {
  std::string credentials_path;
  std::string config_path;
};

std::string ExpandHome(const EnvLookup& env, const std::string& path) {
  if (path == "~" || path.starts_with("~/")) {
    if (std::optional<std::string> home = NonEmpty(env, "HOME")) return *home + path.substr(1);
  }
  return path;
}

ProfileFiles LocateProfileFiles(const EnvLookup& env) {
  ProfileFiles files;
  std::optional<std::string> home = NonEmpty(env, "HOME");
  if (std::optional<std::string> path = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    files.credentials_path = ExpandHome(env, *path);
  } else if (home) {
    files.credentials_path = *home + "/.aws/credentials";
  }
  if (std::optional<std::string> path = NonEmpty(env, "AWS_CONFIG_FILE")) {
    files.config_path = ExpandHome(env, *path);
  } else if (home) {
    files.config_path = *home + "/.aws/config";
  }
  return files;
}

/// The parsed file, or an empty one when it does not exist or cannot be read.
IniFile ReadIniFile(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIni(text.str());
}

/// The section name with inner whitespace runs squeezed ("profile   x" -> "profile x").
std::string NormalizeSection(std::string_view name) {
  return common::CollapseSpaces(Trim(name, kCLocaleSpace), common::kSpaceTab);
}

std::optional<Credentials> CredentialsFromSettings(
    const std::map<std::string, std::string>& settings, const std::string& source,
    const std::string& where) {
  auto get = [&](const char* key) -> std::string {
    auto it = settings.find(key);
    return it == settings.end() ? std::string() : it->second;
  };
  std::string key_id = get("aws_access_key_id");
  std::string secret = get("aws_secret_access_key");
  if (key_id.empty() && secret.empty()) return std::nullopt;
  if (key_id.empty() || secret.empty()) {
    throw common::AuthError(
        fmt::format("{} has {} but no {}", where,
                    key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                    key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
  }
  std::string token = get("aws_session_token");
  if (token.empty()) token = get("aws_security_token");
  Credentials credentials;
  credentials.access_key_id = std::move(key_id);
  credentials.secret_access_key = common::Secret(std::move(secret));
  credentials.session_token = common::Secret(std::move(token));
  credentials.source = source;
  return credentials;
}

/// Lets a ServiceClient (which wants a transport factory) use the one STS transport it is given.
/// Safe because the AssumeRole provider serialises its STS calls.
class BorrowedTransport final : public HttpTransport {
 public:
  explicit BorrowedTransport(std::shared_ptr<HttpTransport> transport)
      : transport_(std::move(transport)) {}
  HttpResponse Send(const HttpRequest& request, const BodyCallback& on_body) override {
    return transport_->Send(request, on_body);
  }

 private:
  std::shared_ptr<HttpTransport> transport_;
};

constexpr int kStsMaxAttempts = 3;

class AssumeRoleProvider final : public CredentialsProvider {
 public:
  AssumeRoleProvider(std::shared_ptr<CredentialsProvider> source, AssumeRoleOptions options,
                     std::shared_ptr<HttpTransport> transport, common::Clock& clock)
      : options_(std::move(options)), clock_(clock) {
    if (options_.role_arn.empty())
      throw common::ConfigError("AssumeRole needs a role ARN (role_arn)");
    std::string endpoint = options_.endpoint_url.empty()
                               ? fmt::format("https://sts.{}.amazonaws.com", options_.region)
                               : options_.endpoint_url;
    ServiceEndpoint sts{"sts", options_.region, Url::Parse(endpoint, "STS endpoint URL")};
    RetryOptions retry;
    retry.max_attempts = kStsMaxAttempts;
    HttpTransportFactory factory = [transport =
                                        std::move(transport)]() -> std::unique_ptr<HttpTransport> {
      return std::make_unique<BorrowedTransport>(transport);
    };
    client_ =
        std::make_unique<ServiceClient>(std::move(sts), std::move(source), std::move(factory),
                                        std::make_shared<RetryPolicy>(retry), clock, ParseXmlError);
  }

  Credentials GetCredentials() override {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = clock_.Now();
    if (cached_ && cached_->expiration && now + options_.refresh_margin < *cached_->expiration) {
      return *cached_;
    }
    try {
      cached_ = AssumeRole();
    } catch (const common::TransientError&) {
      // STS is unreachable but the credentials we have are still valid: keep using them.
      if (cached_ && cached_->expiration && now < *cached_->expiration) return *cached_;
      throw;
    }
    return *cached_;
  }

 private:
  Credentials AssumeRole() {
    HttpRequest request;
    request.method = "POST";
    request.url.path = "/";
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded; charset=utf-8");
    std::string& body = request.body;
    body = "Action=AssumeRole&Version=2011-06-15&RoleArn=";
    common::AppendUriEncoded(body, options_.role_arn);
    body += "&RoleSessionName=";
    common::AppendUriEncoded(body, options_.session_name);
    if (!options_.external_id.empty()) {
      body += "&ExternalId=";
      common::AppendUriEncoded(body, options_.external_id);
    }
    body += fmt::format("&DurationSeconds={}", options_.duration.count());

    HttpResponse response;
    try {
      response = client_->Send("AssumeRole", std::move(request));
    } catch (const AwsError& error) {
      std::string message =
          fmt::format("STS AssumeRole for role {} failed: {}: {} (HTTP {})", options_.role_arn,
                      error.code(), error.aws_message(), error.http_status());
      // Classified like every AWS error (AwsError::KindFor): not allowed to assume the role, a
      // passing failure, or else a credentials problem.
      if (error.kind() == common::ErrorKind::kPermission) throw common::PermissionError(message);
      if (error.kind() == common::ErrorKind::kTransient) throw common::TransientError(message);
      throw common::AuthError(message);
    } catch (const common::TransientError& error) {
      throw common::TransientError(
          fmt::format("STS AssumeRole for role {} failed: {}", options_.role_arn, error.what()));
    }

    std::optional<std::string_view> credentials_xml =
        common::FindXmlElement(response.body, "Credentials");
    std::optional<std::string> key_id, secret, token, expiration;
    if (credentials_xml) {
      key_id = common::XmlElementText(*credentials_xml, "AccessKeyId");
      secret = common::XmlElementText(*credentials_xml, "SecretAccessKey");
      token = common::XmlElementText(*credentials_xml, "SessionToken");
      expiration = common::XmlElementText(*credentials_xml, "Expiration");
    }
    if (!key_id || !secret || !token || key_id->empty() || secret->empty()) {
      throw common::ProtocolError(
          fmt::format("STS AssumeRole reply for role {} has no Credentials", options_.role_arn));
    }
    Credentials credentials;
    credentials.access_key_id = std::string(Trim(*key_id, kCLocaleSpace));
    credentials.secret_access_key = common::Secret(std::string(Trim(*secret, kCLocaleSpace)));
    credentials.session_token = common::Secret(std::string(Trim(*token, kCLocaleSpace)));
    credentials.expiration = expiration ? ParseIso8601(*expiration) : std::nullopt;
    if (!credentials.expiration) {
      throw common::ProtocolError(
          fmt::format("STS AssumeRole reply for role {} has no valid Expiration ('{}')",
                      options_.role_arn, expiration.value_or("")));
    }
    credentials.source = fmt::format("assume-role {}", options_.role_arn);
    return credentials;
  }

  AssumeRoleOptions options_;
  common::Clock& clock_;
  std::unique_ptr<ServiceClient> client_;
  std::mutex mutex_;
  std::optional<Credentials> cached_;
};

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<Credentials> CredentialsFromEnvironment(const EnvLookup& env) {
  std::optional<std::string> key_id = NonEmpty(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = NonEmpty(env, "AWS_SECRET_ACCESS_KEY");
  if (!key_id && !secret) return std::nullopt;
  if (!key_id || !secret) {
    throw common::AuthError(fmt::format("the environment has {} but not {}",
                                        key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                        key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
  }
  std::optional<std::string> token = NonEmpty(env, "AWS_SESSION_TOKEN");
  if (!token) token = NonEmpty(env, "AWS_SECURITY_TOKEN");
  Credentials credentials;
  credentials.access_key_id = std::move(*key_id);
  credentials.secret_access_key = common::Secret(std::move(*secret));
  credentials.session_token = common::Secret(token.value_or(""));
  if (std::optional<std::string> expiration = NonEmpty(env, "AWS_CREDENTIAL_EXPIRATION")) {
    credentials.expiration = ParseIso8601(*expiration);
  }
  credentials.source = "environment";
  return credentials;
}

IniFile ParseIni(std::string_view text) {
  IniFile ini;
  std::map<std::string, std::string>* section = nullptr;
  std::string last_key;  // for indented sub-settings (`s3 =` followed by indented `key = value`)
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t newline = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, newline == std::string_view::npos ? std::string_view::npos : newline - pos);
    pos = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = Trim(line, kCLocaleSpace);
    if (trimmed.empty() || trimmed[0] == '#' || trimmed[0] == ';') continue;
    if (trimmed[0] == '[') {
      size_t close = trimmed.find(']');
      if (close == std::string_view::npos) {
        section = nullptr;  // malformed header: ignore its settings
        continue;
      }
      section = &ini[NormalizeSection(trimmed.substr(1, close - 1))];
      last_key.clear();
      continue;
    }
    if (section == nullptr) continue;
    size_t equals = trimmed.find('=');
    if (equals == std::string_view::npos) continue;
    std::string key = Lower(Trim(trimmed.substr(0, equals), kCLocaleSpace));
    std::string value(Trim(trimmed.substr(equals + 1), kCLocaleSpace));
    if (key.empty()) continue;
    bool indented = line[0] == ' ' || line[0] == '\t';
    if (indented && !last_key.empty()) {
      auto parent = section->find(last_key);
      if (parent != section->end() && parent->second.empty()) {
        (*section)[last_key + "." + key] = std::move(value);
        continue;
      }
    }
    last_key = key;
    (*section)[key] = std::move(value);
  }
  return ini;
}

std::map<std::string, std::string> LoadProfile(const EnvLookup& env, const std::string& profile) {
  ProfileFiles files = LocateProfileFiles(env);
  std::map<std::string, std::string> settings;
  IniFile config = ReadIniFile(files.config_path);
  auto merge = [&](const IniFile& ini, const std::string& section) {
    auto it = ini.find(section);
    if (it == ini.end()) return;
    for (const auto& [key, value] : it->second) settings[key] = value;
  };
  if (profile == "default") merge(config, "default");
  merge(config, "profile " + profile);
  merge(ReadIniFile(files.credentials_path), profile);  // credentials-file values win
  return settings;
}

std::shared_ptr<CredentialsProvider> MakeAssumeRoleProvider(
    std::shared_ptr<CredentialsProvider> source, AssumeRoleOptions options,
    std::shared_ptr<HttpTransport> transport, common::Clock& clock) {
  if (!transport) transport = MakeCurlTransport();
  return std::make_shared<AssumeRoleProvider>(std::move(source), std::move(options),
                                              std::move(transport), clock);
}

std::shared_ptr<CredentialsProvider> MakeDefaultCredentialsProvider(
    const CredentialChainOptions& options, const EnvLookup& env,
    std::shared_ptr<HttpTransport> sts_transport, common::Clock& clock) {
  std::optional<Credentials> credentials;
  // 1. Configuration keys.
  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty()) {
      throw common::ConfigError(fmt::format(
          "configuration has {} but no {}",
          options.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
          options.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    credentials.emplace();
    credentials->access_key_id = options.access_key_id;
    credentials->secret_access_key = options.secret_access_key;
    credentials->session_token = options.session_token;
    credentials->source = "configuration";
  }
  // 2. Environment.
  if (!credentials) credentials = CredentialsFromEnvironment(env);
  // 3. Shared credentials / config files.
  std::string profile = options.profile;
  if (profile.empty()) profile = NonEmpty(env, "AWS_PROFILE").value_or("default");
  ProfileFiles files = LocateProfileFiles(env);
  if (!credentials) {
    std::string where =
        fmt::format("AWS profile '{}' (files {} and {})", profile,
                    files.credentials_path.empty() ? "<no HOME>" : files.credentials_path,
                    files.config_path.empty() ? "<no HOME>" : files.config_path);
    credentials = CredentialsFromSettings(LoadProfile(env, profile),
                                          fmt::format("profile {}", profile), where);
  }
  if (!credentials) {
    throw common::AuthError(fmt::format(
        "no AWS credentials found: tried configuration keys "
        "aws_access_key_id/aws_secret_access_key, "
        "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and profile '{}' in {} and "
        "{}",
        profile, files.credentials_path.empty() ? "<no credentials file>" : files.credentials_path,
        files.config_path.empty() ? "<no config file>" : files.config_path));
  }
  auto base = std::make_shared<StaticCredentialsProvider>(std::move(*credentials));
  if (options.assume_role.role_arn.empty()) return base;
  return MakeAssumeRoleProvider(std::move(base), options.assume_role, std::move(sts_transport),
                                clock);
}

}  // namespace ac::aws
