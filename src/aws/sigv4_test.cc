// Data-driven SigV4 test: every AWS4-HMAC-SHA256 case under $AC_SHARED_DIR/testdata/sigv4, read
// at test time (see the README there). One test per case, named after it:
//   SigV4Vectors/SigV4VectorTest.Case/aws_c_auth_v4__get_space_normalized
//   SigV4Vectors/SigV4VectorTest.Case/aws4_testsuite__normalize_path__get_space
// The v4a (ECDSA) cases and the query-signing (presign) files are not used: this signer only does
// header signing.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/strings.h"

namespace ac::aws {
namespace {

namespace fs = std::filesystem;
using common::kSpaceTab;
using common::Lower;
using common::Trim;

#ifndef AC_SHARED_DIR
#error "AC_SHARED_DIR must be defined for this test"
#endif

constexpr size_t kMinimumCases = 60;  // 38 aws-c-auth/v4 + 34 aws4_testsuite when complete

const fs::path& VectorRoot() {
  static const fs::path root = fs::path(AC_SHARED_DIR) / "testdata" / "sigv4";
  return root;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A request file parsed without a strict HTTP parser: the target keeps raw spaces and UTF-8,
/// obs-fold continuation lines are appended to the previous value as "\n<line>" (the signer must
/// fold them), header values keep their leading spaces.
struct RawRequest {
  std::string method;
  std::string target;
  HttpHeaders headers;
  std::string body;
};

RawRequest ParseRawRequest(const std::string& bytes) {
  RawRequest request;
  size_t end = bytes.find('\n');
  const std::string_view line = std::string_view(bytes).substr(0, end);
  const size_t space = line.find(' ');
  const size_t version = line.rfind(" HTTP/");
  if (space == std::string_view::npos || version == std::string_view::npos || version < space) {
    throw std::runtime_error("malformed request line: " + std::string(line));
  }
  request.method = std::string(line.substr(0, space));
  request.target = std::string(line.substr(space + 1, version - space - 1));
  size_t pos = end == std::string::npos ? bytes.size() : end + 1;
  while (pos < bytes.size()) {
    end = bytes.find('\n', pos);
    const std::string_view header = std::string_view(bytes).substr(
        pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? bytes.size() : end + 1;
    if (header.empty()) {
      request.body = bytes.substr(pos);
      break;
    }
    if (header.front() == ' ' || header.front() == '\t') {
      if (request.headers.empty()) throw std::runtime_error("continuation line before any header");
      request.headers.back().second.push_back('\n');
      request.headers.back().second.append(header);
      continue;
    }
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("header without ':'");
    request.headers.emplace_back(std::string(header.substr(0, colon)),
                                 std::string(header.substr(colon + 1)));
  }
  return request;
}

HttpRequest ToHttpRequest(const RawRequest& raw) {
  HttpRequest request;
  request.method = raw.method;
  request.url.scheme = "https";
  const std::string* host = FindHeader(raw.headers, "host");
  if (host == nullptr) throw std::runtime_error("request without Host");
  request.url.host = std::string(Trim(*host, kSpaceTab));
  const size_t question = raw.target.find('?');
  request.url.path = raw.target.substr(0, question);
  request.url.query =
      question == std::string::npos ? std::string() : raw.target.substr(question + 1);
  request.headers = raw.headers;
  request.body = raw.body;
  return request;
}

/// (lowercase name, trimmed value) multiset, for order-insensitive comparison of whole requests.
std::multiset<std::pair<std::string, std::string>> HeaderSet(const HttpHeaders& headers) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers) {
    out.emplace(Lower(Trim(name, kSpaceTab)), std::string(Trim(value, kSpaceTab)));
  }
  return out;
}

std::chrono::system_clock::time_point ParseIsoTimestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6) {
    throw std::runtime_error("bad timestamp " + text);
  }
  using namespace std::chrono;
  const sys_days day = year{y} / month{static_cast<unsigned>(mo)} / static_cast<unsigned>(d);
  return day + hours{h} + minutes{mi} + seconds{s};
}

enum class Layout { kAwsCAuth, kAws4TestSuite };

struct VectorCase {
  std::string name;  // test name: [A-Za-z0-9_]
  Layout layout;
  fs::path dir;
  std::string base;  // aws4_testsuite: file base name
};

// Readable --gtest_list_tests output: "# GetParam() = <folder>".
void PrintTo(const VectorCase& c, std::ostream* os) {
  *os << fs::relative(c.dir, VectorRoot()).generic_string();
}

std::string TestName(std::string_view prefix, const std::string& relative) {
  std::string out(prefix);
  out += "__";
  for (const char c : relative) {
    if (c == '/') {
      out += "__";
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else {
      out.push_back('_');
    }
  }
  return out;
}

/// Every header-signing case on disk. Empty when the folder is missing (SigV4VectorDiscovery
/// fails).
const std::vector<VectorCase>& AllCases() {
  static const std::vector<VectorCase> cases = [] {
    std::vector<VectorCase> found;
    std::error_code ec;
    const fs::path crt = VectorRoot() / "aws-c-auth" / "v4";
    if (fs::is_directory(crt, ec)) {
      for (const auto& entry : fs::directory_iterator(crt, ec)) {
        if (entry.is_directory() && fs::exists(entry.path() / "context.json")) {
          found.push_back({TestName("aws_c_auth_v4", entry.path().filename().string()),
                           Layout::kAwsCAuth, entry.path(), ""});
        }
      }
    }
    const fs::path suite = VectorRoot() / "aws4_testsuite";
    if (fs::is_directory(suite, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(suite, ec)) {
        if (!entry.is_directory()) continue;
        const std::string base = entry.path().filename().string();
        if (fs::exists(entry.path() / (base + ".req"))) {
          found.push_back({TestName("aws4_testsuite", fs::relative(entry.path(), suite).string()),
                           Layout::kAws4TestSuite, entry.path(), base});
        }
      }
    }
    std::sort(found.begin(), found.end(),
              [](const VectorCase& a, const VectorCase& b) { return a.name < b.name; });
    return found;
  }();
  return cases;
}

constexpr std::string_view kAccessKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kRegion = "us-east-1";
constexpr std::string_view kService = "service";
const std::chrono::system_clock::time_point kSuiteTime =
    std::chrono::sys_days(std::chrono::year{2015} / 8 / 30) + std::chrono::hours{12} +
    std::chrono::minutes{36};

/// The payload hash a verifier would use for a received request.
std::string ReceivedPayloadHash(const HttpRequest& request) {
  if (const std::string* hash = FindHeader(request.headers, "x-amz-content-sha256")) return *hash;
  return common::Sha256Hex(request.body);
}

/// Checks that verifying the signed request (as a server would: signed header list taken from
/// its Authorization) reproduces the same canonical request and signature.
void ExpectVerifies(const HttpRequest& signed_request, const SigningResult& expected,
                    std::string_view region, std::string_view service, const SigningRules& rules) {
  const std::string* authorization = FindHeader(signed_request.headers, "authorization");
  ASSERT_NE(authorization, nullptr);
  const auto parsed = ParseAuthorization(*authorization);
  ASSERT_TRUE(parsed.has_value()) << *authorization;
  EXPECT_EQ(parsed->access_key_id, kAccessKeyId);
  EXPECT_EQ(parsed->date, "20150830");
  EXPECT_EQ(parsed->region, region);
  EXPECT_EQ(parsed->service, service);
  const std::string* amz_date = FindHeader(signed_request.headers, "x-amz-date");
  ASSERT_NE(amz_date, nullptr);
  const SigningResult verified = ComputeSignatureForHeaders(
      signed_request, ReceivedPayloadHash(signed_request), parsed->signed_headers, kAccessKeyId,
      kSecret, region, service, *amz_date, rules);
  EXPECT_EQ(verified.canonical_request, expected.canonical_request);
  EXPECT_EQ(verified.signature, parsed->signature);
}

void RunAwsCAuthCase(const VectorCase& c) {
  const auto context = nlohmann::json::parse(ReadBytes(c.dir / "context.json"));
  SigningRules rules;
  rules.normalize_path = context.at("normalize").get<bool>();
  rules.double_encode_path = true;  // the aws-c-auth harness always double-encodes
  rules.content_sha256_header = context.at("sign_body").get<bool>();
  rules.unsigned_payload = false;
  rules.sign_session_token = !context.value("omit_session_token", false);

  Credentials credentials;
  const auto& json_credentials = context.at("credentials");
  credentials.access_key_id = json_credentials.at("access_key_id").get<std::string>();
  credentials.secret_access_key =
      common::Secret(json_credentials.at("secret_access_key").get<std::string>());
  if (json_credentials.contains("token")) {
    credentials.session_token = common::Secret(json_credentials.at("token").get<std::string>());
  }
  const std::string region = context.at("region").get<std::string>();
  const std::string service = context.at("service").get<std::string>();
  const auto when = ParseIsoTimestamp(context.at("timestamp").get<std::string>());

  HttpRequest request = ToHttpRequest(ParseRawRequest(ReadBytes(c.dir / "request.txt")));
  SigV4Signer signer(region, service, rules);
  const SigningResult result = signer.Sign(request, credentials, when);

  EXPECT_EQ(result.canonical_request, ReadBytes(c.dir / "header-canonical-request.txt"));
  EXPECT_EQ(result.string_to_sign, ReadBytes(c.dir / "header-string-to-sign.txt"));
  EXPECT_EQ(result.signature, ReadBytes(c.dir / "header-signature.txt"));

  const RawRequest expected = ParseRawRequest(ReadBytes(c.dir / "header-signed-request.txt"));
  const std::string* expected_authorization = FindHeader(expected.headers, "authorization");
  ASSERT_NE(expected_authorization, nullptr);
  EXPECT_EQ(result.authorization, Trim(*expected_authorization, kSpaceTab));
  const std::string* authorization = FindHeader(request.headers, "authorization");
  ASSERT_NE(authorization, nullptr);
  EXPECT_EQ(*authorization, result.authorization);

  // The whole signed request (order of headers is not meaningful).
  EXPECT_EQ(request.method, expected.method);
  EXPECT_EQ(request.url.path + (request.url.query.empty() ? "" : "?" + request.url.query),
            expected.target);
  EXPECT_EQ(HeaderSet(request.headers), HeaderSet(expected.headers));
  EXPECT_EQ(request.body, expected.body);

  ExpectVerifies(request, result, region, service, rules);
}

/// The value of the first "<lowercase name>:" line of a canonical request, if any.
std::optional<std::string> CanonicalHeaderLine(const std::string& creq, std::string_view name) {
  std::istringstream lines(creq);
  std::string line;
  const std::string prefix = std::string(name) + ":";
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return std::nullopt;
}

void RunAws4TestSuiteCase(const VectorCase& c) {
  const fs::path base = c.dir / c.base;
  const std::string creq = ReadBytes(base.string() + ".creq");
  const std::string sts = ReadBytes(base.string() + ".sts");
  const std::string authz = ReadBytes(base.string() + ".authz");
  const RawRequest sreq = ParseRawRequest(ReadBytes(base.string() + ".sreq"));
  const RawRequest raw = ParseRawRequest(ReadBytes(base.string() + ".req"));

  // Every case uses the non-S3 rules. The token comes from the canonical request when it is
  // signed, else (post-sts-header-after) from the signed request.
  SigningRules rules;
  Credentials credentials;
  credentials.access_key_id = std::string(kAccessKeyId);
  credentials.secret_access_key = common::Secret(std::string(kSecret));
  if (auto token = CanonicalHeaderLine(creq, "x-amz-security-token")) {
    credentials.session_token = common::Secret(*token);
  } else if (const std::string* unsigned_token = FindHeader(sreq.headers, "x-amz-security-token")) {
    credentials.session_token = common::Secret(std::string(Trim(*unsigned_token, kSpaceTab)));
    rules.sign_session_token = false;
  }

  const HttpRequest original = ToHttpRequest(raw);
  ASSERT_NE(FindHeader(original.headers, "x-amz-date"), nullptr);
  EXPECT_EQ(FormatAmzDate(kSuiteTime),
            Trim(*FindHeader(original.headers, "x-amz-date"), kSpaceTab));

  HttpRequest request = original;
  SigV4Signer signer(std::string(kRegion), std::string(kService), rules);
  const SigningResult result = signer.Sign(request, credentials, kSuiteTime);
  EXPECT_EQ(result.canonical_request, creq);
  EXPECT_EQ(result.string_to_sign, sts);
  EXPECT_EQ(result.authorization, authz);

  // The .sreq of get-vanilla-with-session-token has a wrong Signature upstream (see README).
  if (c.base != "get-vanilla-with-session-token") {
    EXPECT_EQ(HeaderSet(request.headers), HeaderSet(sreq.headers));
    EXPECT_EQ(raw.target, sreq.target);
    EXPECT_EQ(request.body, sreq.body);
  }

  // ComputeSignature on the complete request gives the same (Authorization itself is never signed).
  if (rules.sign_session_token) {
    const SigningResult direct =
        ComputeSignature(request, common::Sha256Hex(request.body), kAccessKeyId, kSecret, kRegion,
                         kService, FormatAmzDate(kSuiteTime), rules);
    EXPECT_EQ(direct.canonical_request, creq);
    EXPECT_EQ(direct.authorization, authz);
  }
  ExpectVerifies(request, result, kRegion, kService, rules);
}

class SigV4VectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(SigV4VectorTest, Case) {
  const VectorCase& c = GetParam();
  SCOPED_TRACE(c.dir.string());
  if (c.layout == Layout::kAwsCAuth) {
    RunAwsCAuthCase(c);
  } else {
    RunAws4TestSuiteCase(c);
  }
}

INSTANTIATE_TEST_SUITE_P(SigV4Vectors, SigV4VectorTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<VectorCase>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4VectorTest);  // the discovery test fails instead

// A missing or emptied data folder must fail, never pass by finding nothing.
TEST(SigV4VectorDiscovery, FindsAllCases) {
  ASSERT_TRUE(fs::is_directory(VectorRoot())) << "missing test data folder " << VectorRoot();
  size_t crt = 0;
  size_t suite = 0;
  for (const auto& c : AllCases()) (c.layout == Layout::kAwsCAuth ? crt : suite) += 1;
  EXPECT_GE(crt, 35u) << "aws-c-auth/v4 cases under " << VectorRoot();
  EXPECT_GE(suite, 30u) << "aws4_testsuite cases under " << VectorRoot();
  EXPECT_GE(AllCases().size(), kMinimumCases);
}

TEST(SigV4VectorDiscovery, ParsesRawRequestsLikeTheReadmeSays) {
  const RawRequest r = ParseRawRequest(
      "GET /example space/?a=b HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n"
      "X:  y\n\nbody");
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/example space/?a=b");
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[1].second, "value1\n  value2");
  EXPECT_EQ(r.headers[2].second, "  y");
  EXPECT_EQ(r.body, "body");
}

// ---------------------------------------------------------------------------------------------
// Own vectors. The canonical requests follow from the spec: S3 signs the path exactly as sent
// (encoded once), every other service URI-encodes the already-encoded path again. The signatures
// were cross-checked with botocore's S3SigV4Auth / SigV4Auth (python3-botocore) at the same time.

struct OwnVector {
  std::string name;
  std::string service;
  std::string region;
  std::string method;
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::string session_token;
  std::string expected_canonical_request;
  std::string expected_signature;
};

std::vector<OwnVector> OwnVectors() {
  const std::string empty_hash(common::kEmptySha256Hex);
  return {
      {"s3_percent_path_encoded_once",
       "s3",
       "us-east-1",
       "GET",
       "https://examplebucket.s3.amazonaws.com/my%20key/a%2Bb.txt",
       {},
       "",
       "",
       "GET\n/my%20key/a%2Bb.txt\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" +
           empty_hash + "\nx-amz-date:20150830T123600Z\n\nhost;x-amz-content-sha256;x-amz-date\n" +
           empty_hash,
       "cc8c0a3565791f165d61eddc49bd8d1002f9ace7c9cedc587a6ce29a723041ef"},
      {"service_percent_path_double_encoded",
       "service",
       "us-east-1",
       "GET",
       "https://example.amazonaws.com/my%20key/a%2Bb.txt",
       {},
       "",
       "",
       "GET\n/my%2520key/a%252Bb.txt\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\n" +
           empty_hash,
       "4843af6187a463f6475f1dd45b319094793ac705105103fa1d639352025051be"},
      {"s3_path_never_normalised",
       "s3",
       "us-east-1",
       "GET",
       "https://examplebucket.s3.amazonaws.com/dir//a/../b%25c",
       {},
       "",
       "",
       "GET\n/dir//a/../b%25c\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" +
           empty_hash + "\nx-amz-date:20150830T123600Z\n\nhost;x-amz-content-sha256;x-amz-date\n" +
           empty_hash,
       "2119805f9f09fcd9eac6e59bf56bf6632c9c391e3c226055b1e9d89e7b08d26f"},
      {"service_path_normalised_then_double_encoded",
       "service",
       "us-east-1",
       "GET",
       "https://example.amazonaws.com/dir//a/../b%25c",
       {},
       "",
       "",
       "GET\n/dir/b%2525c\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\n" +
           empty_hash,
       "285dc114461286e71cdc800f04fa36062c67346f611e8e952f4b395e21229899"},
      {"s3_put_with_body_port_subresource_and_token",
       "s3",
       "us-west-2",
       "PUT",
       "https://examplebucket.s3.amazonaws.com:8443/my%20key?x-id=PutObject&acl",
       {{"Content-Type", "text/plain"}},
       "hello",
       "SESSIONTOKEN/abc+def=",
       "PUT\n/my%20key\nacl=&x-id=PutObject\ncontent-type:text/plain\n"
       "host:examplebucket.s3.amazonaws.com:8443\n"
       "x-amz-content-sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
       "x-amz-date:20150830T123600Z\nx-amz-security-token:SESSIONTOKEN/abc+def=\n\n"
       "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
       "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
       "3a34ccb86b680b3d0a082512e387bb326bfa69023995fecfb4928d8787ae1885"},
      {"athena_json_post_with_token",
       "athena",
       "us-west-2",
       "POST",
       "https://athena.us-west-2.amazonaws.com/",
       {{"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "AmazonAthena.StartQueryExecution"},
        {"User-Agent", "athena-connector/0.1"}},
       R"({"QueryString":"SELECT 1"})",
       "SESSIONTOKEN/abc+def=",
       "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:athena.us-west-2.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\nx-amz-security-token:SESSIONTOKEN/abc+def=\n"
       "x-amz-target:AmazonAthena.StartQueryExecution\n\n"
       "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n" +
           common::Sha256Hex(R"({"QueryString":"SELECT 1"})"),
       "c165b8df9aa16c22af6568f2d7323d78ccf986544285e81f5fe9c55b0e8488a2"},
  };
}

void PrintTo(const OwnVector& v, std::ostream* os) {
  *os << v.method << " " << v.url;
}

class SigV4OwnVectorTest : public ::testing::TestWithParam<OwnVector> {};

TEST_P(SigV4OwnVectorTest, Case) {
  const OwnVector& v = GetParam();
  HttpRequest request;
  request.method = v.method;
  request.url = Url::Parse(v.url);
  request.headers = v.headers;
  request.body = v.body;
  Credentials credentials{std::string(kAccessKeyId), common::Secret(std::string(kSecret)),
                          common::Secret(v.session_token), std::nullopt, "test"};
  SigV4Signer signer(v.region, v.service);
  const SigningResult result = signer.Sign(request, credentials, kSuiteTime);
  EXPECT_EQ(result.canonical_request, v.expected_canonical_request);
  EXPECT_EQ(result.signature, v.expected_signature);
  // A server verifying the request as received computes the same signature.
  const auto parsed = ParseAuthorization(*FindHeader(request.headers, "Authorization"));
  ASSERT_TRUE(parsed.has_value());
  const SigningResult verified = ComputeSignatureForHeaders(
      request, ReceivedPayloadHash(request), parsed->signed_headers, parsed->access_key_id, kSecret,
      parsed->region, parsed->service, *FindHeader(request.headers, "X-Amz-Date"),
      SigningRules::ForService(parsed->service));
  EXPECT_EQ(verified.signature, v.expected_signature);
}

INSTANTIATE_TEST_SUITE_P(OwnVectors, SigV4OwnVectorTest, ::testing::ValuesIn(OwnVectors()),
                         [](const ::testing::TestParamInfo<OwnVector>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// Building blocks.

TEST(SigV4Test, DeriveSigningKeyMatchesTheAwsDocumentationExample) {
  const auto key = DeriveSigningKey(kSecret, "20120215", "us-east-1", "iam");
  EXPECT_EQ(
      common::HexEncode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size())),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, FormatAmzDate) {
  EXPECT_EQ(FormatAmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(kSuiteTime + std::chrono::milliseconds(999)), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDate(std::chrono::system_clock::time_point{}), "19700101T000000Z");
}

TEST(SigV4Test, CanonicalUriForOtherServicesNormalisesAndEncodesAgain) {
  const SigningRules rules = SigningRules::ForService("athena");
  EXPECT_EQ(CanonicalUri("", rules), "/");
  EXPECT_EQ(CanonicalUri("/", rules), "/");
  EXPECT_EQ(CanonicalUri("//example//", rules), "/example/");
  EXPECT_EQ(CanonicalUri("/./example", rules), "/example");
  EXPECT_EQ(CanonicalUri("/example/..", rules), "/");
  EXPECT_EQ(CanonicalUri("/a/b/../../..", rules), "/");
  EXPECT_EQ(CanonicalUri("/a/.", rules), "/a");     // trailing "/." drops the slash
  EXPECT_EQ(CanonicalUri("/a/b/..", rules), "/a");  // trailing "/.." too
  EXPECT_EQ(CanonicalUri("/a/b/../", rules), "/a/");
  EXPECT_EQ(CanonicalUri("/my%20key", rules), "/my%2520key");
  EXPECT_EQ(CanonicalUri("/example space/", rules), "/example%20space/");
  EXPECT_EQ(CanonicalUri("/example/$delete", rules), "/example/%24delete");
  EXPECT_EQ(CanonicalUri("/\xe1\x88\xb4", rules), "/%E1%88%B4");
}

TEST(SigV4Test, CanonicalUriForS3UsesThePathAsSent) {
  const SigningRules rules = SigningRules::ForService("s3");
  EXPECT_FALSE(rules.normalize_path);
  EXPECT_FALSE(rules.double_encode_path);
  EXPECT_TRUE(rules.content_sha256_header);
  EXPECT_EQ(CanonicalUri("/my%20key", rules), "/my%20key");
  EXPECT_EQ(CanonicalUri("/bucket/a%2Fb%2fc", rules), "/bucket/a%2Fb%2Fc");  // hex uppercased
  EXPECT_EQ(CanonicalUri("//example//", rules), "//example//");
  EXPECT_EQ(CanonicalUri("/a/./b/../c", rules), "/a/./b/../c");
  // Bytes that may not appear raw are encoded once; a stray '%' is taken literally.
  EXPECT_EQ(CanonicalUri("/my key/\xe1\x88\xb4$", rules), "/my%20key/%E1%88%B4%24");
  EXPECT_EQ(CanonicalUri("/100%", rules), "/100%25");
}

TEST(SigV4Test, CanonicalQuery) {
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(CanonicalQuery("Param1=value2&Param1=Value1"), "Param1=Value1&Param1=value2");
  EXPECT_EQ(CanonicalQuery("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
  EXPECT_EQ(CanonicalQuery("acl"), "acl=");
  EXPECT_EQ(CanonicalQuery("a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(CanonicalQuery("k=a%20b&k2=a+b&k3=%7e"), "k=a%20b&k2=a%2Bb&k3=~");
  EXPECT_EQ(CanonicalQuery("prefix=dir/sub&x=a=b"), "prefix=dir%2Fsub&x=a%3Db");
  EXPECT_EQ(CanonicalQuery("bad=%zz"), "bad=%25zz");
  EXPECT_EQ(CanonicalQuery("\xe1\x88\xb4=bar"), "%E1%88%B4=bar");
}

TEST(SigV4Test, CanonicalHeaderValue) {
  EXPECT_EQ(CanonicalHeaderValue("  value1  "), "value1");
  EXPECT_EQ(CanonicalHeaderValue("\"a   b   c\""), "\"a b c\"");
  EXPECT_EQ(CanonicalHeaderValue("value1\n  value2\n     value3"), "value1 value2 value3");
  EXPECT_EQ(CanonicalHeaderValue("value1\r\n\tvalue2"), "value1 value2");
  EXPECT_EQ(CanonicalHeaderValue(""), "");
}

TEST(SigV4Test, SignNeverSignsHopByHopOrAgentHeaders) {
  HttpRequest request;
  request.method = "POST";
  request.url = Url::Parse("https://athena.us-east-1.amazonaws.com/");
  request.headers = {{"User-Agent", "x"},
                     {"Expect", "100-continue"},
                     {"Connection", "keep-alive"},
                     {"X-Amzn-Trace-Id", "Root=1"},
                     {"Transfer-Encoding", "chunked"},
                     {"Content-Type", "application/x-amz-json-1.1"}};
  SigV4Signer signer("us-east-1", "athena");
  Credentials credentials{"AKID", common::Secret("secret"), {}, std::nullopt, "test"};
  const SigningResult result = signer.Sign(request, credentials, kSuiteTime);
  EXPECT_EQ(result.signed_headers, "content-type;host;x-amz-date");
  EXPECT_EQ(FindHeader(request.headers, "x-amz-content-sha256"), nullptr);  // not S3
  EXPECT_EQ(FindHeader(request.headers, "X-Amz-Security-Token"), nullptr);
}

TEST(SigV4Test, SignReplacesStaleHeadersOnReSigning) {
  HttpRequest request;
  request.url = Url::Parse("https://bucket.s3.us-east-1.amazonaws.com/key");
  SigV4Signer signer("us-east-1", "s3");
  Credentials with_token{"ASIAKEY", common::Secret("secret"), common::Secret("token1"),
                         std::nullopt, "test"};
  signer.Sign(request, with_token, kSuiteTime);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-security-token"), "token1");
  // Retried later with long-term keys: no stale token, one Authorization, one X-Amz-Date.
  Credentials long_term{"TESTKEYID", common::Secret("secret"), {}, std::nullopt, "test"};
  const SigningResult result = signer.Sign(request, long_term, kSuiteTime + std::chrono::hours(1));
  EXPECT_EQ(FindHeader(request.headers, "x-amz-security-token"), nullptr);
  EXPECT_EQ(result.signed_headers, "host;x-amz-content-sha256;x-amz-date");
  int authorizations = 0;
  for (const auto& [name, value] : request.headers) authorizations += (name == "Authorization");
  EXPECT_EQ(authorizations, 1);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-date"), "20150830T133600Z");
}

TEST(SigV4Test, S3UnsignedPayload) {
  SigningRules rules = SigningRules::ForService("s3");
  rules.unsigned_payload = true;
  SigV4Signer signer("us-east-1", "s3", rules);
  HttpRequest request;
  request.method = "PUT";
  request.url = Url::Parse("https://bucket.s3.amazonaws.com/k");
  request.body = "large body";
  Credentials credentials{"AKID", common::Secret("secret"), {}, std::nullopt, "test"};
  const SigningResult result = signer.Sign(request, credentials, kSuiteTime);
  EXPECT_EQ(*FindHeader(request.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(result.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
  EXPECT_NE(result.canonical_request.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            std::string::npos);
}

TEST(SigV4Test, SessionTokenAddedAfterSigningWhenRulesSaySo) {
  SigningRules rules;
  rules.sign_session_token = false;
  SigV4Signer signer("us-east-1", "service", rules);
  HttpRequest request;
  request.method = "POST";
  request.url = Url::Parse("https://example.amazonaws.com/");
  Credentials credentials{std::string(kAccessKeyId), common::Secret(std::string(kSecret)),
                          common::Secret("tok"), std::nullopt, "test"};
  const SigningResult result = signer.Sign(request, credentials, kSuiteTime);
  EXPECT_EQ(result.signed_headers, "host;x-amz-date");
  EXPECT_EQ(*FindHeader(request.headers, "X-Amz-Security-Token"), "tok");
}

TEST(SigV4Test, DerivedKeyIsCachedPerDateAndKey) {
  SigV4Signer signer("us-east-1", "service", SigningRules{});
  Credentials credentials{
      std::string(kAccessKeyId), common::Secret(std::string(kSecret)), {}, std::nullopt, "test"};
  auto sign = [&](std::chrono::system_clock::time_point when, const Credentials& creds) {
    HttpRequest request;
    request.url = Url::Parse("https://example.amazonaws.com/");
    return signer.Sign(request, creds, when).signature;
  };
  EXPECT_EQ(signer.key_derivations(), 0u);
  const std::string first = sign(kSuiteTime, credentials);
  EXPECT_EQ(first, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(signer.key_derivations(), 1u);
  EXPECT_EQ(sign(kSuiteTime, credentials), first);        // cache hit, same result
  sign(kSuiteTime + std::chrono::hours(5), credentials);  // same day
  EXPECT_EQ(signer.key_derivations(), 1u);

  // Another day derives another key, and the result equals an uncached computation.
  const auto next_day = kSuiteTime + std::chrono::hours(24);
  const std::string next = sign(next_day, credentials);
  EXPECT_EQ(signer.key_derivations(), 2u);
  EXPECT_NE(DeriveSigningKey(kSecret, "20150831", kRegion, "service"),
            DeriveSigningKey(kSecret, "20150830", kRegion, "service"));
  HttpRequest uncached;
  uncached.url = Url::Parse("https://example.amazonaws.com/");
  uncached.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150831T123600Z"}};
  EXPECT_EQ(ComputeSignature(uncached, common::kEmptySha256Hex, kAccessKeyId, kSecret, kRegion,
                             "service", "20150831T123600Z", SigningRules{})
                .signature,
            next);

  // Another key id, or the same key id with another secret, derives anew.
  Credentials other = credentials;
  other.access_key_id = "AKIDOTHER";
  sign(next_day, other);
  EXPECT_EQ(signer.key_derivations(), 3u);
  Credentials rotated = credentials;
  rotated.secret_access_key = common::Secret("another-secret");
  EXPECT_NE(sign(next_day, rotated), next);
  EXPECT_EQ(signer.key_derivations(), 4u);
}

TEST(SigV4Test, ParseAuthorization) {
  const auto parsed = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, "
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(parsed->date, "20150830");
  EXPECT_EQ(parsed->region, "us-east-1");
  EXPECT_EQ(parsed->service, "iam");
  EXPECT_EQ(parsed->signed_headers, "content-type;host;x-amz-date");
  EXPECT_EQ(parsed->signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  // No spaces after the commas is accepted too.
  EXPECT_TRUE(ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request,"
                                 "SignedHeaders=host,Signature=ab")
                  .has_value());
  EXPECT_FALSE(ParseAuthorization("").has_value());
  EXPECT_FALSE(ParseAuthorization("AWS AKID:sig").has_value());
  EXPECT_FALSE(ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/2015/r/s/aws4_request, "
                                  "SignedHeaders=host, Signature=ab")
                   .has_value());  // date not YYYYMMDD
  EXPECT_FALSE(ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
                                  "SignedHeaders=host")
                   .has_value());  // no signature
  EXPECT_FALSE(ParseAuthorization("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/other, "
                                  "SignedHeaders=host, Signature=ab")
                   .has_value());
}

TEST(SigV4Test, VerifierSignsExactlyTheListedHeaders) {
  // A received request carries headers the client did not sign (User-Agent, Accept-Encoding
  // added by a proxy ...) and maybe signed one we never would (user-agent): follow the list.
  HttpRequest received;
  received.method = "GET";
  received.url = Url::Parse("http://127.0.0.1:9000/bucket/key");
  received.headers = {{"Host", "127.0.0.1:9000"},
                      {"X-Amz-Date", "20150830T123600Z"},
                      {"User-Agent", "Boto3/1.26"},
                      {"Accept-Encoding", "identity"},
                      {"x-amz-content-sha256", std::string(common::kEmptySha256Hex)}};
  const auto result = ComputeSignatureForHeaders(
      received, common::kEmptySha256Hex, "x-amz-date;Host;user-agent;x-amz-content-sha256",
      kAccessKeyId, kSecret, kRegion, "s3", "20150830T123600Z", SigningRules::ForService("s3"));
  EXPECT_EQ(result.signed_headers, "host;user-agent;x-amz-content-sha256;x-amz-date");
  EXPECT_NE(result.canonical_request.find("host:127.0.0.1:9000\nuser-agent:Boto3/1.26\n"),
            std::string::npos);
  EXPECT_EQ(result.canonical_request.find("accept-encoding"), std::string::npos);
  // A listed but missing header is signed as empty (the signature then cannot match).
  const auto missing = ComputeSignatureForHeaders(
      received, common::kEmptySha256Hex, "host;x-amz-date;x-amz-meta-gone", kAccessKeyId, kSecret,
      kRegion, "s3", "20150830T123600Z", SigningRules::ForService("s3"));
  EXPECT_NE(missing.canonical_request.find("x-amz-date:20150830T123600Z\nx-amz-meta-gone:\n"),
            std::string::npos);
}

}  // namespace
}  // namespace ac::aws
