// Request routing, SigV4 verification, S3 operations over a temp bucket store, fault draws.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <list>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "common/crypto.h"
#include "emulator/faults.h"
#include "emulator/request_auth.h"
#include "emulator/s3_api.h"
#include "emulator/server.h"

namespace ac::emulator {
namespace {

namespace fs = std::filesystem;

TEST(RouteTest, AthenaByTarget) {
  const std::string target = "AmazonAthena.GetQueryResults";
  Route r = RouteRequest("POST", "/", "127.0.0.1:4510", &target);
  EXPECT_EQ(r.kind, Route::Kind::kAthena);
  EXPECT_EQ(r.operation, "GetQueryResults");
  const std::string glue = "AWSGlue.GetTables";
  r = RouteRequest("POST", "/", "127.0.0.1:4510", &glue);
  EXPECT_EQ(r.kind, Route::Kind::kAthena);
  EXPECT_EQ(r.target_prefix_error, glue);
}

TEST(RouteTest, S3PathStyle) {
  Route r = RouteRequest("GET", "/bucket/a/b%20c.csv?x=1", "127.0.0.1:4510", nullptr);
  EXPECT_EQ(r.kind, Route::Kind::kS3);
  EXPECT_EQ(r.bucket, "bucket");
  EXPECT_EQ(r.key, "a/b c.csv");
  r = RouteRequest("GET", "/bucket?list-type=2", "localhost:4510", nullptr);
  EXPECT_EQ(r.bucket, "bucket");
  EXPECT_EQ(r.key, "");
  r = RouteRequest("GET", "/", "s3.localhost:4510", nullptr);
  EXPECT_EQ(r.bucket, "");
  r = RouteRequest("GET", "/b/k+1", "[::1]:4510", nullptr);
  EXPECT_EQ(r.bucket, "b");
  EXPECT_EQ(r.key, "k+1");
  r = RouteRequest("GET", "/b/%zz", "127.0.0.1", nullptr);
  EXPECT_TRUE(r.bad_path);
}

TEST(RouteTest, S3VirtualHosted) {
  Route r = RouteRequest("GET", "/dir/file.csv", "my-bucket.s3.localhost:4510", nullptr);
  EXPECT_EQ(r.bucket, "my-bucket");
  EXPECT_EQ(r.key, "dir/file.csv");
  r = RouteRequest("GET", "/k", "results.s3.us-east-1.amazonaws.com", nullptr);
  EXPECT_EQ(r.bucket, "results");
  r = RouteRequest("GET", "/?list-type=2", "dotted.bucket.s3-us-east-1.example", nullptr);
  EXPECT_EQ(r.bucket, "dotted.bucket");
  EXPECT_EQ(r.key, "");
  r = RouteRequest("GET", "/k", "bkt.localhost:80", nullptr);
  EXPECT_EQ(r.bucket, "bkt");
}

TEST(RouteTest, ActionNamesTheApiCall) {
  const std::string target = "AmazonAthena.GetQueryResults";
  EXPECT_EQ(RouteRequest("POST", "/", "127.0.0.1:4510", &target).action, "GetQueryResults");
  const auto action = [](const char* method, const char* target, const char* host = "h:1") {
    return RouteRequest(method, target, host, nullptr).action;
  };
  EXPECT_EQ(action("GET", "/"), "ListBuckets");
  EXPECT_EQ(action("PUT", "/b"), "CreateBucket");
  EXPECT_EQ(action("HEAD", "/b"), "HeadBucket");
  EXPECT_EQ(action("DELETE", "/b/"), "DeleteBucket");
  EXPECT_EQ(action("GET", "/b?location"), "GetBucketLocation");
  EXPECT_EQ(action("GET", "/b?list-type=2&prefix=x"), "ListObjectsV2");
  EXPECT_EQ(action("GET", "/b?prefix=x"), "ListObjects");
  EXPECT_EQ(action("GET", "/b/k?x-id=GetObject"), "GetObject");
  EXPECT_EQ(action("HEAD", "/b/k"), "HeadObject");
  EXPECT_EQ(action("PUT", "/b/dir/k"), "PutObject");
  EXPECT_EQ(action("DELETE", "/b/k"), "DeleteObject");
  EXPECT_EQ(action("GET", "/k", "b.s3.localhost:4510"), "GetObject");
  EXPECT_EQ(action("GET", "/?list-type=2", "b.s3.localhost:4510"), "ListObjectsV2");
  EXPECT_EQ(action("POST", "/b/k?uploads"), "S3.POST");
}

// ---- SigV4 verification
// ---------------------------------------------------------------------------

class AuthTest : public ::testing::Test {
 protected:
  std::chrono::system_clock::time_point now = std::chrono::system_clock::from_time_t(1700000000);
  RequestVerifier verifier{{{"test", "test"}}, "us-east-1", [this] { return now; }};

  IncomingRequest Signed(const std::string& service, const std::string& method,
                         const std::string& path_and_query, const std::string& body,
                         const std::string& key = "test", const std::string& secret = "test",
                         std::chrono::system_clock::time_point when = {}) {
    aws::HttpRequest req;
    req.method = method;
    req.url = aws::Url::Parse("http://127.0.0.1:4510" + path_and_query);
    req.body = body;
    if (service == "athena") {
      req.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
      req.headers.emplace_back("X-Amz-Target", "AmazonAthena.ListDatabases");
    }
    aws::Credentials creds;
    creds.access_key_id = key;
    creds.secret_access_key = common::Secret(secret);
    aws::SigV4Signer signer("us-east-1", service);
    signer.Sign(req, creds, when == std::chrono::system_clock::time_point{} ? now : when);
    IncomingRequest in;
    in.method = method;
    in.target = path_and_query;
    for (const auto& h : req.headers) in.headers.push_back(h);
    stored_body = req.body;
    in.body = stored_body;
    return in;
  }
  std::string stored_body;
};

TEST_F(AuthTest, AcceptsCorrectlySignedRequests) {
  auto athena = Signed("athena", "POST", "/", "{\"CatalogName\":\"AwsDataCatalog\"}");
  EXPECT_TRUE(verifier.Verify(athena, "athena").ok()) << verifier.Verify(athena, "athena").message;
  auto s3 = Signed("s3", "GET", "/bucket/some%20key.csv?x-id=GetObject", "");
  EXPECT_TRUE(verifier.Verify(s3, "s3").ok());
  auto list = Signed("s3", "GET", "/bucket?list-type=2&prefix=a%2Fb&encoding-type=url", "");
  EXPECT_TRUE(verifier.Verify(list, "s3").ok());
}

TEST_F(AuthTest, RejectsEveryKindOfBadRequest) {
  auto unknown = Signed("athena", "POST", "/", "{}", "AKIDUNKNOWN", "test");
  EXPECT_EQ(verifier.Verify(unknown, "athena").failure, AuthFailure::kUnknownKey);
  auto wrong = Signed("athena", "POST", "/", "{}", "test", "nope");
  EXPECT_EQ(verifier.Verify(wrong, "athena").failure, AuthFailure::kBadSignature);
  auto tampered = Signed("athena", "POST", "/", "{\"a\":1}");
  tampered.body = "{\"a\":2}";
  EXPECT_EQ(verifier.Verify(tampered, "athena").failure, AuthFailure::kBadSignature);
  auto old = Signed("athena", "POST", "/", "{}", "test", "test", now - std::chrono::minutes(20));
  auto result = verifier.Verify(old, "athena");
  EXPECT_EQ(result.failure, AuthFailure::kSkewed);
  EXPECT_EQ(result.message.rfind("Signature expired: ", 0), 0u);
  auto future = Signed("athena", "POST", "/", "{}", "test", "test", now + std::chrono::minutes(16));
  EXPECT_EQ(verifier.Verify(future, "athena").failure, AuthFailure::kSkewed);
  auto near = Signed("athena", "POST", "/", "{}", "test", "test", now - std::chrono::minutes(14));
  EXPECT_TRUE(verifier.Verify(near, "athena").ok());
  auto as_s3 = Signed("s3", "GET", "/b/k", "");
  EXPECT_EQ(verifier.Verify(as_s3, "athena").failure, AuthFailure::kWrongService);
  IncomingRequest anonymous;
  anonymous.method = "GET";
  anonymous.target = "/b/k";
  EXPECT_EQ(verifier.Verify(anonymous, "s3").failure, AuthFailure::kMissing);
  auto put = Signed("s3", "PUT", "/b/k", "body");
  put.body = "other";
  EXPECT_EQ(verifier.Verify(put, "s3").failure, AuthFailure::kPayloadMismatch);
  auto path = Signed("s3", "GET", "/b/k", "");
  path.target = "/b/k2";
  EXPECT_EQ(verifier.Verify(path, "s3").failure, AuthFailure::kBadSignature);
  auto garbage = Signed("s3", "GET", "/b/k", "");
  for (auto& [k, v] : garbage.headers) {
    if (k == "Authorization") v = "AWS4-HMAC-SHA256 nonsense";
  }
  EXPECT_EQ(verifier.Verify(garbage, "s3").failure, AuthFailure::kMalformed);
}

TEST(AmzDateTest, Parse) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseAmzDate("20231114T221320Z", &t));
  EXPECT_EQ(std::chrono::system_clock::to_time_t(t), 1700000000);
  EXPECT_FALSE(ParseAmzDate("2023-11-14T22:13:20Z", &t));
  EXPECT_FALSE(ParseAmzDate("20231314T221320Z", &t));
}

// ---- S3 operations
// --------------------------------------------------------------------------------

class S3ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("s3api-test-" + std::to_string(::getpid()));
    fs::remove_all(root);
    store = std::make_unique<BucketStore>(root);
    api = std::make_unique<S3Api>(*store);
    ASSERT_EQ(Call("PUT", "bkt", "").status, 200);
    for (const char* k : {"a/1", "a/2", "a/b/3", "c", "d"}) {
      ASSERT_EQ(Call("PUT", "bkt", k, {}, {}, std::string("data of ") + k).status, 200);
    }
  }
  void TearDown() override { fs::remove_all(root); }

  S3Reply Call(const std::string& method, const std::string& bucket, const std::string& key,
               HeaderList query = {}, HeaderList headers = {}, const std::string& body = "") {
    bodies.push_back(body);
    S3Request r;
    r.method = method;
    r.bucket = bucket;
    r.key = key;
    r.query = std::move(query);
    r.headers = std::move(headers);
    r.body = bodies.back();
    r.request_id = "REQ";
    return api->Handle(r);
  }
  static std::string HeaderOf(const S3Reply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  fs::path root;
  std::unique_ptr<BucketStore> store;
  std::unique_ptr<S3Api> api;
  std::list<std::string> bodies;
};

TEST_F(S3ApiTest, GetObjectRanges) {
  S3Reply whole = Call("GET", "bkt", "a/1");
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.stream_file);
  EXPECT_EQ(whole.file_length, 11u);  // "data of a/1"
  EXPECT_EQ(HeaderOf(whole, "ETag").front(), '"');
  EXPECT_EQ(HeaderOf(whole, "Accept-Ranges"), "bytes");
  S3Reply part = Call("GET", "bkt", "c", {}, {{"Range", "bytes=2-4"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.file_offset, 2u);
  EXPECT_EQ(part.file_length, 3u);
  EXPECT_EQ(HeaderOf(part, "Content-Range"), "bytes 2-4/9");
  part = Call("GET", "bkt", "c", {}, {{"Range", "bytes=5-"}});
  EXPECT_EQ(HeaderOf(part, "Content-Range"), "bytes 5-8/9");
  part = Call("GET", "bkt", "c", {}, {{"Range", "bytes=-3"}});
  EXPECT_EQ(HeaderOf(part, "Content-Range"), "bytes 6-8/9");
  part = Call("GET", "bkt", "c", {}, {{"Range", "bytes=0-100"}});
  EXPECT_EQ(HeaderOf(part, "Content-Range"), "bytes 0-8/9");
  S3Reply bad = Call("GET", "bkt", "c", {}, {{"Range", "bytes=9-"}});
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.error_code, "InvalidRange");
  EXPECT_EQ(HeaderOf(bad, "Content-Range"), "bytes */9");
  EXPECT_NE(bad.body.find("<ActualObjectSize>9</ActualObjectSize>"), std::string::npos);
  S3Reply ignored = Call("GET", "bkt", "c", {}, {{"Range", "bytes=5-2"}});
  EXPECT_EQ(ignored.status, 200);
  S3Reply missing = Call("GET", "bkt", "nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(missing.body.find("<RequestId>REQ</RequestId>"), std::string::npos);
  EXPECT_EQ(Call("GET", "nobucket", "x").error_code, "NoSuchBucket");
}

TEST_F(S3ApiTest, ConditionalGets) {
  const std::string etag = HeaderOf(Call("GET", "bkt", "c"), "ETag");
  EXPECT_EQ(Call("GET", "bkt", "c", {}, {{"If-Match", etag}}).status, 200);
  EXPECT_EQ(Call("GET", "bkt", "c", {}, {{"If-Match", "\"other\""}}).status, 412);
  EXPECT_EQ(Call("GET", "bkt", "c", {}, {{"If-None-Match", etag}}).status, 304);
}

TEST_F(S3ApiTest, ListObjectsV2WithDelimiterAndPages) {
  S3Reply all = Call("GET", "bkt", "", {{"list-type", "2"}});
  EXPECT_NE(all.body.find("<KeyCount>5</KeyCount>"), std::string::npos);
  EXPECT_NE(all.body.find("<IsTruncated>false</IsTruncated>"), std::string::npos);
  S3Reply grouped = Call("GET", "bkt", "", {{"list-type", "2"}, {"delimiter", "/"}});
  EXPECT_NE(grouped.body.find("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"),
            std::string::npos);
  EXPECT_NE(grouped.body.find("<KeyCount>3</KeyCount>"), std::string::npos);
  S3Reply page = Call("GET", "bkt", "", {{"list-type", "2"}, {"max-keys", "2"}});
  EXPECT_NE(page.body.find("<IsTruncated>true</IsTruncated>"), std::string::npos);
  const size_t a = page.body.find("<NextContinuationToken>") + 23;
  const std::string token = page.body.substr(a, page.body.find('<', a) - a);
  S3Reply next = Call("GET", "bkt", "",
                      {{"list-type", "2"}, {"max-keys", "2"}, {"continuation-token", token}});
  EXPECT_NE(next.body.find("<Key>a/b/3</Key>"), std::string::npos);
  EXPECT_NE(next.body.find("<Key>c</Key>"), std::string::npos);
  EXPECT_EQ(next.body.find("<Key>a/1</Key>"), std::string::npos);
  S3Reply bad = Call("GET", "bkt", "", {{"list-type", "2"}, {"max-keys", "x"}});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(S3ApiTest, PutAndDelete) {
  S3Reply put = Call("PUT", "bkt", "x/y.txt", {}, {}, "hello");
  EXPECT_EQ(HeaderOf(put, "ETag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  S3Reply chunked = Call("PUT", "bkt", "z.txt", {},
                         {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}},
                         "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:abc\r\n\r\n");
  EXPECT_EQ(HeaderOf(chunked, "ETag"), "\"5d41402abc4b2a76b9719d911017c592\"");
  EXPECT_EQ(Call("PUT", "bkt", "bad", {}, {{"Content-MD5", "AAAA"}}, "x").error_code, "BadDigest");
  EXPECT_EQ(Call("DELETE", "bkt", "x/y.txt").status, 204);
  EXPECT_FALSE(fs::exists(root / "bkt" / "x"));  // no empty folders left behind
  EXPECT_EQ(Call("DELETE", "bkt", "x/y.txt").status, 204);
  EXPECT_EQ(Call("DELETE", "bkt", "").error_code, "BucketNotEmpty");
}

TEST(BucketStoreTest, NamesAndUris) {
  std::string bucket, key;
  EXPECT_TRUE(BucketStore::ParseS3Uri("s3://b/p/q.csv", &bucket, &key));
  EXPECT_EQ(bucket, "b");
  EXPECT_EQ(key, "p/q.csv");
  EXPECT_TRUE(BucketStore::ParseS3Uri("s3://b", &bucket, &key));
  EXPECT_EQ(key, "");
  EXPECT_FALSE(BucketStore::ParseS3Uri("https://b/k", &bucket, &key));
  EXPECT_TRUE(BucketStore::IsValidBucketName("athena-results"));
  EXPECT_FALSE(BucketStore::IsValidBucketName("Upper"));
  EXPECT_FALSE(BucketStore::IsValidBucketName(".hidden"));
  EXPECT_FALSE(BucketStore::IsValidKey("../etc/passwd"));
  EXPECT_FALSE(BucketStore::IsValidKey("a//b"));
  EXPECT_FALSE(BucketStore::IsValidKey("a/"));
  EXPECT_TRUE(BucketStore::IsValidKey("a/b c+d.csv"));
}

TEST(FaultsTest, DeterministicPerSeedAndRate) {
  FaultOptions options;
  options.throttle_rate = 0.3;
  options.error_rate = 0.2;
  options.drop_rate = 0.1;
  options.seed = 42;
  FaultInjector a(options), b(options);
  int throttles = 0, errors = 0, drops = 0;
  for (int i = 0; i < 10000; ++i) {
    const FaultDecision x = a.Next(), y = b.Next();
    ASSERT_EQ(x.throttle, y.throttle);
    ASSERT_EQ(x.error, y.error);
    ASSERT_EQ(x.drop, y.drop);
    EXPECT_FALSE(x.throttle && x.error);
    throttles += x.throttle;
    errors += x.error;
    drops += x.drop;
  }
  EXPECT_NEAR(throttles, 3000, 300);
  EXPECT_NEAR(errors, 1400, 300);  // 0.2 of the requests not throttled
  EXPECT_NEAR(drops, 1000, 200);
  options.seed = 43;
  FaultInjector c(options);
  FaultInjector d(FaultOptions{.throttle_rate = 0.3, .seed = 42});
  bool differs = false;
  for (int i = 0; i < 100; ++i) differs |= c.Next().throttle != d.Next().throttle;
  EXPECT_TRUE(differs);
  FaultInjector none(FaultOptions{});
  EXPECT_FALSE(none.Next().throttle);
}

// ---- replies the server builds itself ---------------------------------------------------------

TEST(ServerRepliesTest, AthenaAuthErrorsNameTheAwsExceptions) {
  AuthResult auth;
  auth.failure = AuthFailure::kMissing;
  ApiReply reply = AthenaAuthErrorReply(auth);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(AthenaErrorCode(reply), "MissingAuthenticationTokenException");
  auth.failure = AuthFailure::kUnknownKey;
  EXPECT_EQ(AthenaErrorCode(AthenaAuthErrorReply(auth)), "UnrecognizedClientException");
  auth.failure = AuthFailure::kMalformed;
  auth.message = "bad scope";
  reply = AthenaAuthErrorReply(auth);
  EXPECT_EQ(AthenaErrorCode(reply), "IncompleteSignatureException");
  EXPECT_NE(reply.body.find("bad scope"), std::string::npos);
  for (AuthFailure f :
       {AuthFailure::kBadSignature, AuthFailure::kSkewed, AuthFailure::kWrongRegion}) {
    auth.failure = f;
    EXPECT_EQ(AthenaErrorCode(AthenaAuthErrorReply(auth)), "InvalidSignatureException");
  }
}

TEST(ServerRepliesTest, S3AuthErrorsCarryS3Details) {
  AuthResult auth;
  auth.failure = AuthFailure::kMissing;
  S3Reply reply = S3AuthErrorReply(auth, "REQ1", "us-east-1");
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.error_code, "AccessDenied");
  EXPECT_NE(reply.body.find("<RequestId>REQ1</RequestId>"), std::string::npos);

  auth.failure = AuthFailure::kWrongRegion;
  auth.region = "eu-west-1";
  reply = S3AuthErrorReply(auth, "REQ2", "us-east-1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.error_code, "AuthorizationHeaderMalformed");
  EXPECT_NE(reply.body.find("the region &apos;eu-west-1&apos; is wrong; expecting "
                            "&apos;us-east-1&apos;"),
            std::string::npos);
  EXPECT_NE(reply.body.find("<Region>us-east-1</Region>"), std::string::npos);
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0].first, "x-amz-bucket-region");
  EXPECT_EQ(reply.headers[0].second, "us-east-1");

  auth.failure = AuthFailure::kSkewed;
  reply = S3AuthErrorReply(auth, "REQ3", "us-east-1");
  EXPECT_EQ(reply.error_code, "RequestTimeTooSkewed");
  EXPECT_NE(reply.body.find("<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"),
            std::string::npos);

  auth.failure = AuthFailure::kBadSignature;
  auth.string_to_sign = "AWS4-HMAC-SHA256 <x>";
  reply = S3AuthErrorReply(auth, "REQ4", "us-east-1");
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.error_code, "SignatureDoesNotMatch");
  EXPECT_NE(reply.body.find("<StringToSign>AWS4-HMAC-SHA256 &lt;x&gt;</StringToSign>"),
            std::string::npos);

  const std::vector<std::pair<AuthFailure, std::pair<int, std::string>>> others = {
      {AuthFailure::kMalformed, {400, "AuthorizationHeaderMalformed"}},
      {AuthFailure::kWrongService, {400, "AuthorizationHeaderMalformed"}},
      {AuthFailure::kUnknownKey, {403, "InvalidAccessKeyId"}},
      {AuthFailure::kExpired, {403, "AccessDenied"}},
      {AuthFailure::kPayloadMismatch, {400, "XAmzContentSHA256Mismatch"}}};
  for (const auto& [failure, expected] : others) {
    auth.failure = failure;
    reply = S3AuthErrorReply(auth, "REQ5", "us-east-1");
    EXPECT_EQ(reply.status, expected.first) << expected.second;
    EXPECT_EQ(reply.error_code, expected.second);
  }
}

TEST(ServerRepliesTest, FaultStatsLineCountsThrottlesByCause) {
  FaultStats stats;
  EXPECT_EQ(FormatFaultStats(stats),
            "0 requests; throttled 0 (rate 0; random 0); errors 0; dropped 0");
  stats.requests = 120;
  stats.random_throttles = 4;
  stats.rate_throttles = 9;
  stats.rate_throttles_by_action = {{"GetQueryExecution", 7}, {"GetObject", 2}};
  stats.errors = 3;
  stats.drops = 1;
  EXPECT_EQ(FormatFaultStats(stats),
            "120 requests; throttled 13 (rate 9: GetObject 2, GetQueryExecution 7; random 4); "
            "errors 3; dropped 1");
}

TEST(ServerRepliesTest, AthenaErrorCodeOnlyForErrors) {
  EXPECT_EQ(AthenaErrorCode(AthenaErrorReply(400, "ThrottlingException", "Rate exceeded")),
            "ThrottlingException");
  EXPECT_EQ(AthenaErrorCode(AthenaErrorReply(500, "InternalServerException", "x", "CODE")),
            "InternalServerException");
  ApiReply ok;
  ok.body = "{\"__type\":\"NotAnError\"}";
  EXPECT_EQ(AthenaErrorCode(ok), "");
  ApiReply untyped;
  untyped.status = 400;
  untyped.body = "{}";
  EXPECT_EQ(AthenaErrorCode(untyped), "");
}

}  // namespace
}  // namespace ac::emulator
