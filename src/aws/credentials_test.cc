#include "aws/credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "aws/test_http_server.h"
#include "common/error.h"

namespace ac::aws {
namespace {

using testing::LocalHttpServer;
namespace fs = std::filesystem;

constexpr const char* kSourceSecret = "SOURCE/SECRET+KEY";
constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/athena-reader";

/// An EnvLookup over a fixed map.
EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

/// A fresh temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ac-credentials-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------
// Environment and INI files

TEST(CredentialsFromEnvironmentTest, ReadsKeysAndSessionToken) {
  auto credentials = CredentialsFromEnvironment(MapEnv({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                                        {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                                        {"AWS_SESSION_TOKEN", "tok"}}));
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->access_key_id, "AKIDENV");
  EXPECT_EQ(credentials->secret_access_key.Reveal(), "envsecret");
  EXPECT_EQ(credentials->session_token.Reveal(), "tok");
  EXPECT_EQ(credentials->source, "environment");
  EXPECT_FALSE(credentials->expiration.has_value());
}

TEST(CredentialsFromEnvironmentTest, AcceptsLegacySecurityToken) {
  auto credentials = CredentialsFromEnvironment(MapEnv({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                                        {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                                        {"AWS_SECURITY_TOKEN", "legacy"}}));
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->session_token.Reveal(), "legacy");
}

TEST(CredentialsFromEnvironmentTest, SessionTokenWinsOverLegacyToken) {
  auto credentials = CredentialsFromEnvironment(MapEnv({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                                        {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                                        {"AWS_SESSION_TOKEN", "new"},
                                                        {"AWS_SECURITY_TOKEN", "legacy"}}));
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->session_token.Reveal(), "new");
}

TEST(CredentialsFromEnvironmentTest, AbsentOrPartial) {
  EXPECT_FALSE(CredentialsFromEnvironment(MapEnv({})).has_value());
  EXPECT_FALSE(CredentialsFromEnvironment(MapEnv({{"AWS_ACCESS_KEY_ID", ""}})).has_value());
  try {
    CredentialsFromEnvironment(MapEnv({{"AWS_SECRET_ACCESS_KEY", "lonely-secret"}}));
    FAIL() << "expected AuthError";
  } catch (const common::AuthError& error) {
    EXPECT_NE(std::string(error.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("lonely-secret"), std::string::npos);
  }
}

TEST(CredentialsFromEnvironmentTest, ParsesExpiration) {
  auto credentials =
      CredentialsFromEnvironment(MapEnv({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                         {"AWS_SECRET_ACCESS_KEY", "s"},
                                         {"AWS_CREDENTIAL_EXPIRATION", "2015-08-19T17:00:00Z"}}));
  ASSERT_TRUE(credentials.has_value());
  ASSERT_TRUE(credentials->expiration.has_value());
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::seconds>(credentials->expiration->time_since_epoch())
          .count(),
      1440003600);
}

TEST(ParseIniTest, SectionsCommentsAndWhitespace) {
  IniFile ini = ParseIni(
      "# leading comment\n"
      "orphan = ignored\n"
      "[default]\n"
      "aws_access_key_id=AKID1\n"
      "  aws_secret_access_key   =   sec = ret  \r\n"
      "; another comment\n"
      "\n"
      "[ profile   dev ]\n"
      "Region = eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "output = json\n"
      "not a setting\n"
      "[default]\n"
      "region = us-east-2\n");
  ASSERT_EQ(ini.count("default"), 1u);
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "AKID1");
  EXPECT_EQ(ini["default"]["aws_secret_access_key"], "sec = ret");
  EXPECT_EQ(ini["default"]["region"], "us-east-2");  // repeated sections merge
  ASSERT_EQ(ini.count("profile dev"), 1u);
  EXPECT_EQ(ini["profile dev"]["region"], "eu-west-1");  // keys are case-insensitive (lowercased)
  EXPECT_EQ(ini["profile dev"]["s3.max_concurrent_requests"], "20");
  EXPECT_EQ(ini["profile dev"]["output"], "json");
  EXPECT_EQ(ini.size(), 2u);
}

TEST(LoadProfileTest, MergesBothFilesCredentialsWin) {
  TempDir dir;
  std::string credentials = dir.Write("creds",
                                      "[dev]\n"
                                      "aws_access_key_id = AKIDCRED\n"
                                      "aws_secret_access_key = credsecret\n");
  std::string config = dir.Write("config",
                                 "[dev]\n"  // without "profile " this is not the dev profile
                                 "region = wrong-1\n"
                                 "[profile dev]\n"
                                 "aws_access_key_id = AKIDCONFIG\n"
                                 "region = eu-central-1\n"
                                 "role_arn = arn:aws:iam::1:role/x\n");
  EnvLookup env =
      MapEnv({{"AWS_SHARED_CREDENTIALS_FILE", credentials}, {"AWS_CONFIG_FILE", config}});
  auto settings = LoadProfile(env, "dev");
  EXPECT_EQ(settings["aws_access_key_id"], "AKIDCRED");
  EXPECT_EQ(settings["aws_secret_access_key"], "credsecret");
  EXPECT_EQ(settings["region"], "eu-central-1");
  EXPECT_EQ(settings["role_arn"], "arn:aws:iam::1:role/x");
}

TEST(LoadProfileTest, DefaultProfileInConfigAndHomeFiles) {
  TempDir dir;
  dir.Write(".aws/config", "[default]\nregion = us-west-2\naws_access_key_id = AKIDCFG\n");
  dir.Write(".aws/credentials",
            "[default]\naws_secret_access_key = homesecret\n[other]\naws_access_key_id = X\n");
  auto settings = LoadProfile(MapEnv({{"HOME", dir.path()}}), "default");
  EXPECT_EQ(settings["region"], "us-west-2");
  EXPECT_EQ(settings["aws_access_key_id"], "AKIDCFG");
  EXPECT_EQ(settings["aws_secret_access_key"], "homesecret");
  EXPECT_TRUE(LoadProfile(MapEnv({{"HOME", dir.path()}}), "missing").empty());
  EXPECT_TRUE(LoadProfile(MapEnv({}), "default").empty());  // no HOME, no files: nothing
}

// ---------------------------------------------------------------------------------------------
// Default chain

class CredentialChainTest : public ::testing::Test {
 protected:
  CredentialChainTest() {
    credentials_path_ = dir_.Write("credentials",
                                   "[default]\n"
                                   "aws_access_key_id = AKIDPROFILE\n"
                                   "aws_secret_access_key = profilesecret\n"
                                   "[work]\n"
                                   "aws_access_key_id = AKIDWORK\n"
                                   "aws_secret_access_key = worksecret\n"
                                   "aws_session_token = worktoken\n");
    config_path_ = dir_.Write(
        "config",
        "[profile cfgonly]\naws_access_key_id = AKIDCFGONLY\naws_secret_access_key = c\n");
  }
  std::map<std::string, std::string> FileEnv() const {
    return {{"AWS_SHARED_CREDENTIALS_FILE", credentials_path_}, {"AWS_CONFIG_FILE", config_path_}};
  }
  static std::map<std::string, std::string> WithEnvKeys(std::map<std::string, std::string> env) {
    env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
    return env;
  }
  Credentials Resolve(const CredentialChainOptions& options,
                      const std::map<std::string, std::string>& env) {
    return MakeDefaultCredentialsProvider(options, MapEnv(env), nullptr, clock_)->GetCredentials();
  }

  TempDir dir_;
  std::string credentials_path_;
  std::string config_path_;
  common::FakeClock clock_;
};

TEST_F(CredentialChainTest, ConfigurationBeatsEnvironment) {
  CredentialChainOptions options;
  options.access_key_id = "AKIDCONF";
  options.secret_access_key = common::Secret("confsecret");
  options.session_token = common::Secret("conftoken");
  Credentials credentials = Resolve(options, WithEnvKeys(FileEnv()));
  EXPECT_EQ(credentials.access_key_id, "AKIDCONF");
  EXPECT_EQ(credentials.secret_access_key.Reveal(), "confsecret");
  EXPECT_EQ(credentials.session_token.Reveal(), "conftoken");
  EXPECT_EQ(credentials.source, "configuration");
}

TEST_F(CredentialChainTest, EnvironmentBeatsProfile) {
  Credentials credentials = Resolve({}, WithEnvKeys(FileEnv()));
  EXPECT_EQ(credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(credentials.source, "environment");
}

TEST_F(CredentialChainTest, DefaultProfileLast) {
  Credentials credentials = Resolve({}, FileEnv());
  EXPECT_EQ(credentials.access_key_id, "AKIDPROFILE");
  EXPECT_EQ(credentials.secret_access_key.Reveal(), "profilesecret");
  EXPECT_EQ(credentials.source, "profile default");
}

TEST_F(CredentialChainTest, ProfileFromEnvironmentOrOptions) {
  auto env = FileEnv();
  env["AWS_PROFILE"] = "work";
  Credentials from_env = Resolve({}, env);
  EXPECT_EQ(from_env.access_key_id, "AKIDWORK");
  EXPECT_EQ(from_env.session_token.Reveal(), "worktoken");

  CredentialChainOptions options;
  options.profile = "cfgonly";  // the configured profile wins over AWS_PROFILE
  Credentials from_options = Resolve(options, env);
  EXPECT_EQ(from_options.access_key_id, "AKIDCFGONLY");
}

TEST_F(CredentialChainTest, NothingFoundNamesWhatWasTried) {
  CredentialChainOptions options;
  options.profile = "nosuch";
  try {
    Resolve(options, FileEnv());
    FAIL() << "expected AuthError";
  } catch (const common::AuthError& error) {
    std::string text = error.what();
    EXPECT_NE(text.find("aws_access_key_id"), std::string::npos) << text;
    EXPECT_NE(text.find("AWS_ACCESS_KEY_ID"), std::string::npos) << text;
    EXPECT_NE(text.find("'nosuch'"), std::string::npos) << text;
    EXPECT_NE(text.find(credentials_path_), std::string::npos) << text;
  }
}

TEST_F(CredentialChainTest, PartialConfigurationIsAnError) {
  CredentialChainOptions options;
  options.secret_access_key = common::Secret("only-the-secret");
  try {
    Resolve(options, FileEnv());
    FAIL() << "expected ConfigError";
  } catch (const common::ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("aws_access_key_id"), std::string::npos);
    EXPECT_EQ(std::string(error.what()).find("only-the-secret"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// STS AssumeRole against a local server

std::string AssumeRoleReply(const std::string& key_id, const std::string& expiration) {
  return "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
         "  <AssumeRoleResult>\n"
         "    <SourceIdentity>me</SourceIdentity>\n"
         "    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/athena-reader/s</Arn>"
         "<AssumedRoleId>ARO123:s</AssumedRoleId></AssumedRoleUser>\n"
         "    <Credentials>\n"
         "      <AccessKeyId>" +
         key_id +
         "</AccessKeyId>\n"
         "      <SecretAccessKey>temp/secret&amp;key</SecretAccessKey>\n"
         "      <SessionToken>session&#43;token</SessionToken>\n"
         "      <Expiration>" +
         expiration +
         "</Expiration>\n"
         "    </Credentials>\n"
         "    <PackedPolicySize>6</PackedPolicySize>\n"
         "  </AssumeRoleResult>\n"
         "  "
         "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></"
         "ResponseMetadata>\n"
         "</AssumeRoleResponse>\n";
}

class AssumeRoleTest : public ::testing::Test {
 protected:
  struct Seen {
    std::string body;
    std::string authorization;
    std::string content_type;
    std::string security_token;
    std::string amz_date;
  };

  void StartServer(std::function<void(httplib::Response&)> reply) {
    server_.server().Post("/", [this, reply](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        seen_.push_back(
            {req.body, req.get_header_value("Authorization"), req.get_header_value("Content-Type"),
             req.get_header_value("X-Amz-Security-Token"), req.get_header_value("X-Amz-Date")});
      }
      reply(res);
    });
    server_.Start();
  }

  std::shared_ptr<CredentialsProvider> Provider(AssumeRoleOptions options = {}) {
    Credentials source;
    source.access_key_id = "AKIDSOURCE";
    source.secret_access_key = common::Secret(kSourceSecret);
    source.session_token = common::Secret("sourcetoken");
    source.source = "configuration";
    if (options.role_arn.empty()) options.role_arn = kRoleArn;
    options.endpoint_url = server_.url();
    return MakeAssumeRoleProvider(std::make_shared<StaticCredentialsProvider>(source), options,
                                  MakeCurlTransport(), clock_);
  }

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

  LocalHttpServer server_;
  common::FakeClock clock_;  // starts at 2015-08-19T16:00:00Z
  std::mutex mutex_;
  std::vector<Seen> seen_;
};

TEST_F(AssumeRoleTest, SendsSignedQueryRequestAndParsesReply) {
  StartServer([](httplib::Response& res) {
    res.set_content(AssumeRoleReply("ASIATEMP", "2015-08-19T17:00:00.000Z"), "text/xml");
  });
  AssumeRoleOptions options;
  options.external_id = "ext-id/1";
  options.session_name = "my-session";
  options.duration = std::chrono::seconds(1800);
  options.region = "eu-west-1";
  Credentials credentials = Provider(options)->GetCredentials();

  EXPECT_EQ(credentials.access_key_id, "ASIATEMP");
  EXPECT_EQ(credentials.secret_access_key.Reveal(), "temp/secret&key");
  EXPECT_EQ(credentials.session_token.Reveal(), "session+token");
  ASSERT_TRUE(credentials.expiration.has_value());
  EXPECT_EQ(*credentials.expiration, clock_.Now() + std::chrono::hours(1));
  EXPECT_NE(credentials.source.find(kRoleArn), std::string::npos);

  auto requests = seen();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body,
            "Action=AssumeRole&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fathena-reader"
            "&RoleSessionName=my-session&ExternalId=ext-id%2F1&DurationSeconds=1800");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(requests[0].amz_date, "20150819T160000Z");
  EXPECT_EQ(requests[0].security_token, "sourcetoken");
  const std::string& authorization = requests[0].authorization;
  EXPECT_EQ(authorization.rfind(
                "AWS4-HMAC-SHA256 Credential=AKIDSOURCE/20150819/eu-west-1/sts/aws4_request, "
                "SignedHeaders=",
                0),
            0u)
      << authorization;
  EXPECT_NE(authorization.find("x-amz-date"), std::string::npos) << authorization;
  EXPECT_NE(authorization.find("x-amz-security-token"), std::string::npos) << authorization;
  size_t signature = authorization.find(", Signature=");
  ASSERT_NE(signature, std::string::npos) << authorization;
  EXPECT_EQ(authorization.size() - (signature + 12), 64u);  // hex SHA-256
}

TEST_F(AssumeRoleTest, CachesUntilRefreshMargin) {
  std::atomic<int> calls{0};
  StartServer([&](httplib::Response& res) {
    int n = ++calls;
    // Each reply expires one hour after the fake "now" of the first call, plus n hours.
    std::string expiration = n == 1 ? "2015-08-19T17:00:00Z" : "2015-08-19T19:00:00Z";
    res.set_content(AssumeRoleReply("ASIA" + std::to_string(n), expiration), "text/xml");
  });
  AssumeRoleOptions options;
  options.refresh_margin = std::chrono::minutes(5);
  auto provider = Provider(options);

  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIA1");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIA1");
  EXPECT_EQ(calls.load(), 1) << "second call within validity must not call STS";

  clock_.Advance(std::chrono::minutes(54));  // 16:54, 6 minutes before expiry: still cached
  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIA1");
  EXPECT_EQ(calls.load(), 1);

  clock_.Advance(std::chrono::minutes(2));  // 16:56, inside the 5-minute margin: refresh
  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIA2");
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIA2");
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(AssumeRoleTest, AccessDeniedIsPermissionErrorWithoutSecrets) {
  StartServer([](httplib::Response& res) {
    res.status = 403;
    res.set_content(
        "<ErrorResponse "
        "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
        "<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/bob is not "
        "authorized to perform: "
        "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/athena-reader</Message></Error>"
        "<RequestId>req-42</RequestId></ErrorResponse>",
        "text/xml");
  });
  try {
    Provider()->GetCredentials();
    FAIL() << "expected PermissionError";
  } catch (const common::PermissionError& error) {
    std::string text = error.what();
    EXPECT_NE(text.find("AccessDenied"), std::string::npos) << text;
    EXPECT_NE(text.find("is not authorized"), std::string::npos) << text;
    EXPECT_NE(text.find(kRoleArn), std::string::npos) << text;
    EXPECT_EQ(text.find(kSourceSecret), std::string::npos) << text;
    EXPECT_EQ(text.find("sourcetoken"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
  EXPECT_EQ(seen().size(), 1u);  // not retried
}

TEST_F(AssumeRoleTest, InvalidTokenIsAuthError) {
  StartServer([](httplib::Response& res) {
    res.status = 403;
    res.set_content(
        "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
        "<Message>The security token included in the request is "
        "invalid.</Message></Error></ErrorResponse>",
        "text/xml");
  });
  try {
    Provider()->GetCredentials();
    FAIL() << "expected AuthError";
  } catch (const common::AuthError& error) {
    std::string text = error.what();
    EXPECT_NE(text.find("InvalidClientTokenId"), std::string::npos) << text;
    EXPECT_NE(text.find("security token included"), std::string::npos) << text;
    EXPECT_NE(text.find(kRoleArn), std::string::npos) << text;
    EXPECT_EQ(text.find(kSourceSecret), std::string::npos) << text;
  }
}

TEST_F(AssumeRoleTest, ReplyWithoutCredentialsIsProtocolError) {
  StartServer([](httplib::Response& res) { res.set_content("<AssumeRoleResponse/>", "text/xml"); });
  EXPECT_THROW(Provider()->GetCredentials(), common::ProtocolError);
}

TEST_F(AssumeRoleTest, DefaultChainWrapsInAssumeRole) {
  StartServer([](httplib::Response& res) {
    res.set_content(AssumeRoleReply("ASIACHAIN", "2015-08-19T17:00:00Z"), "text/xml");
  });
  CredentialChainOptions options;
  options.access_key_id = "AKIDCONF";
  options.secret_access_key = common::Secret("confsecret");
  options.assume_role.role_arn = kRoleArn;
  options.assume_role.endpoint_url = server_.url();
  auto provider = MakeDefaultCredentialsProvider(options, MapEnv({}), MakeCurlTransport(), clock_);
  EXPECT_EQ(provider->GetCredentials().access_key_id, "ASIACHAIN");
  auto requests = seen();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].authorization.find("Credential=AKIDCONF/"), std::string::npos);
}

}  // namespace
}  // namespace ac::aws
