#include "aws/s3_client.h"

#include <gtest/gtest.h>

#include "aws/aws_error.h"
#include "aws/fake_s3_test_util.h"
#include "aws/test_http_server.h"
#include "common/error.h"

namespace ac::aws {
namespace {

using testing::FakeS3;
using testing::MakeFakeS3Service;

TEST(S3UriTest, ParsesBucketAndKey) {
  const S3Uri uri = S3Uri::Parse("s3://athena-results/staging/abc.csv", "location");
  EXPECT_EQ(uri.bucket, "athena-results");
  EXPECT_EQ(uri.key, "staging/abc.csv");
  EXPECT_EQ(uri.ToString(), "s3://athena-results/staging/abc.csv");
  EXPECT_EQ(S3Uri::Parse("S3://bucket", "x").key, "");
  EXPECT_EQ(S3Uri::Parse("s3://bucket/prefix/", "x").key, "prefix/");
  EXPECT_FALSE(S3Uri::TryParse("s3:///key"));
  EXPECT_FALSE(S3Uri::TryParse("https://bucket/key"));
  EXPECT_FALSE(S3Uri::TryParse("s3://"));
  try {
    S3Uri::Parse("/tmp/x.csv", "the result OutputLocation");
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_STREQ(e.what(), "the result OutputLocation '/tmp/x.csv' is not an s3://bucket/key URI");
  }
}

TEST(S3AddressingTest, VirtualHostableBuckets) {
  EXPECT_TRUE(IsVirtualHostableBucket("athena-results", true));
  EXPECT_TRUE(IsVirtualHostableBucket("abc", true));
  EXPECT_FALSE(IsVirtualHostableBucket("ab", true));
  EXPECT_FALSE(IsVirtualHostableBucket(std::string(64, 'a'), true));
  EXPECT_FALSE(IsVirtualHostableBucket("Upper", true));
  EXPECT_FALSE(IsVirtualHostableBucket("under_score", true));
  EXPECT_FALSE(IsVirtualHostableBucket("-leading", true));
  EXPECT_FALSE(IsVirtualHostableBucket("trailing-", true));
  EXPECT_FALSE(
      IsVirtualHostableBucket("my.bucket", true));  // the wildcard certificate covers one label
  EXPECT_TRUE(IsVirtualHostableBucket("my.bucket", false));
  EXPECT_FALSE(IsVirtualHostableBucket("my..bucket", false));
  EXPECT_FALSE(IsVirtualHostableBucket("192.168.1.1", false));
}

class S3ClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  common::FakeClock clock_;
};

TEST_F(S3ClientTest, CustomEndpointIsPathStyleWithEncodedKey) {
  S3Client s3(MakeFakeS3Service(fake_, clock_, "http://127.0.0.1:4510"), /*force_path_style=*/true);
  fake_->Put("athena-results", "staging/a b+c.csv", "0123456789");
  std::string got;
  const HttpResponse response =
      s3.GetObjectRange("athena-results", "staging/a b+c.csv", 2, 5, [&](std::string_view c) {
        got.append(c);
        return true;
      });
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(got, "2345");
  const auto requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].host, "127.0.0.1");
  EXPECT_EQ(requests[0].bucket, "athena-results");
  EXPECT_EQ(requests[0].key, "staging/a b+c.csv");
  EXPECT_EQ(requests[0].range, "bytes=2-5");
}

TEST_F(S3ClientTest, AwsEndpointUsesVirtualHostedBucketsWhereValid) {
  S3Client s3(MakeFakeS3Service(fake_, clock_, "https://s3.eu-west-1.amazonaws.com"),
              /*force_path_style=*/false);
  fake_->Put("results-bucket", "q/1.csv", "abc");
  fake_->Put("dotted.bucket", "q/1.csv", "xyz");
  EXPECT_EQ(s3.GetObject("results-bucket", "q/1.csv"), "abc");
  EXPECT_EQ(s3.GetObject("dotted.bucket", "q/1.csv"), "xyz");
  const auto requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].host, "results-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(requests[0].key, "q/1.csv");
  EXPECT_EQ(requests[0].range, "");
  EXPECT_EQ(requests[1].host, "s3.eu-west-1.amazonaws.com");  // dots over HTTPS: path-style
  EXPECT_EQ(requests[1].bucket, "dotted.bucket");
}

TEST_F(S3ClientTest, OpenEndedRangeAndWholeObject) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", "hello world");
  std::string got;
  s3.GetObjectRange("b", "k", 6, -1, [&](std::string_view c) {
    got.append(c);
    return true;
  });
  EXPECT_EQ(got, "world");
  EXPECT_EQ(fake_->Requests().back().range, "bytes=6-");
}

TEST_F(S3ClientTest, HeadObjectReportsSizeEtagAndEncryption) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k.csv", std::string(12345, 'x'));
  const S3ObjectInfo info = s3.HeadObject("b", "k.csv");
  EXPECT_EQ(info.size, 12345);
  EXPECT_EQ(info.etag, "\"etag-12345\"");
  EXPECT_EQ(info.server_side_encryption, "AES256");
}

TEST_F(S3ClientTest, HeadErrorsTakeTheirCodeFromTheStatus) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  try {
    s3.HeadObject("b", "missing.csv");
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_EQ(e.code(), "NotFound");
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
  }
  fake_->Put("b", "secret.csv", "x");
  fake_->fail_with = [](const testing::FakeS3Request& r) {
    return r.key == "secret.csv" ? 403 : 0;
  };
  try {
    s3.HeadObject("b", "secret.csv");
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.http_status(), 403);
    EXPECT_EQ(e.code(), "Forbidden");
    EXPECT_EQ(e.kind(), common::ErrorKind::kPermission);
  }
  try {
    s3.GetObject("b", "secret.csv");
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "AccessDenied");
    EXPECT_EQ(e.kind(), common::ErrorKind::kPermission);
  }
}

TEST_F(S3ClientTest, GetErrorsCarryTheXmlCode) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", "abc");
  try {
    s3.GetObjectRange("b", "k", 10, 20, [](std::string_view) { return true; });
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "InvalidRange");
    EXPECT_EQ(e.http_status(), 416);
  }
  try {
    s3.GetObject("b", "nope");
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "NoSuchKey");
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
  }
}

TEST_F(S3ClientTest, SlowDownIsRetriedByTheServiceClient) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", "abc");
  int calls = 0;
  fake_->fail_with = [&](const testing::FakeS3Request&) { return ++calls <= 2 ? 503 : 0; };
  EXPECT_EQ(s3.GetObject("b", "k"), "abc");
  EXPECT_EQ(calls, 3);
}

TEST_F(S3ClientTest, BrokenBodyAfterSomeBytesIsATransientErrorWithThoseBytesDelivered) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->cut_after = [](const testing::FakeS3Request&, size_t) { return size_t{300}; };
  fake_->chunk_bytes = 100;
  std::string got;
  EXPECT_THROW(s3.GetObjectRange("b", "k", 0, 999,
                                 [&](std::string_view c) {
                                   got.append(c);
                                   return true;
                                 }),
               common::TransientError);
  EXPECT_EQ(got.size(), 300u);
  EXPECT_EQ(fake_->Count("GET"), 1);  // not retried by the service client
}

/// A body callback that collects the bytes into `out`.
BodyCallback AppendTo(std::string& out) {
  return [&out](std::string_view chunk) {
    out.append(chunk);
    return true;
  };
}

TEST_F(S3ClientTest, DownloadRangeResumesFromTheFirstMissingByte) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>('a' + i % 26));
  fake_->Put("b", "k", data);
  fake_->chunk_bytes = 100;
  fake_->cut_after = [](const testing::FakeS3Request& r, size_t) -> size_t {
    if (r.range == "bytes=0-999") return 300;
    if (r.range == "bytes=300-999") return 200;
    return SIZE_MAX;
  };
  std::string got;
  const int64_t received = s3.DownloadRange("b", "k", 0, 999, AppendTo(got));
  EXPECT_EQ(received, 1000);
  EXPECT_EQ(got, data);
  std::vector<std::string> ranges;
  for (const auto& request : fake_->Requests()) ranges.push_back(request.range);
  EXPECT_EQ(ranges, (std::vector<std::string>{"bytes=0-999", "bytes=300-999", "bytes=500-999"}));
  ASSERT_EQ(clock_.sleeps().size(), 2u);  // the policy's backoff before each resumed request
  EXPECT_LT(clock_.sleeps()[0].count(), 100);
  EXPECT_LT(clock_.sleeps()[1].count(), 200);
}

TEST_F(S3ClientTest, DownloadRangeSendsIfMatchOnEveryRequestWhenGivenAnEtag) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));  // the fake's ETag: "etag-1000"
  fake_->chunk_bytes = 100;
  fake_->cut_after = [](const testing::FakeS3Request& r, size_t) -> size_t {
    return r.range == "bytes=0-999" ? 300 : SIZE_MAX;
  };
  std::string got;
  EXPECT_EQ(s3.DownloadRange("b", "k", 0, 999, AppendTo(got), nullptr, "\"etag-1000\""), 1000);
  EXPECT_EQ(got, std::string(1000, 'a'));
  const auto requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& request : requests) EXPECT_EQ(request.if_match, "\"etag-1000\"");
  EXPECT_EQ(requests[1].range, "bytes=300-999");  // the resumed request carries it too

  // Without an ETag, no If-Match.
  got.clear();
  EXPECT_EQ(s3.DownloadRange("b", "k", 0, 999, AppendTo(got)), 1000);
  EXPECT_EQ(fake_->Requests().back().if_match, "");
}

TEST_F(S3ClientTest, DownloadRangeOfAnObjectReplacedMidwayFailsWithNoByteOfTheNewVersion) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 100;
  fake_->cut_after = [this](const testing::FakeS3Request& r, size_t) -> size_t {
    if (r.range != "bytes=0-999") return SIZE_MAX;
    fake_->Put("b", "k", std::string(2000, 'b'));  // replaced while the first body streams
    return 300;
  };
  std::string got;
  try {
    s3.DownloadRange("b", "k", 0, 999, AppendTo(got), nullptr, "\"etag-1000\"");
    FAIL() << "no throw";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("the object was replaced while it was being read"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("PreconditionFailed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(got, std::string(300, 'a'));  // the old version's first bytes only
  EXPECT_EQ(fake_->Count("GET"), 2);      // a 412 is not retried
}

TEST_F(S3ClientTest, DownloadRangeResumesAsOftenAsThePolicyAllowsAttempts) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);  // RetryOptions: 5 attempts
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 10;
  fake_->cut_after = [](const testing::FakeS3Request&, size_t) { return size_t{10}; };
  std::string got;
  EXPECT_THROW(s3.DownloadRange("b", "k", 0, 999, AppendTo(got)), common::TransientError);
  EXPECT_EQ(fake_->Count("GET"), 5);
  EXPECT_EQ(got.size(), 50u);
}

TEST_F(S3ClientTest, DownloadRangeEndsWhenAResumedRequestDeliversNothing) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 100;
  fake_->fail_with = [](const testing::FakeS3Request& r) {
    return r.range == "bytes=300-999" ? 403 : 0;
  };
  fake_->cut_after = [](const testing::FakeS3Request&, size_t) { return size_t{300}; };
  try {
    s3.DownloadRange("b", "k", 0, 999, [](std::string_view) { return true; });
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code(), "AccessDenied");
  }
  EXPECT_EQ(fake_->Count("GET"), 2);
}

TEST_F(S3ClientTest, DownloadRangeAsksAgainForTheRestOfAShortBody) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(500, 'a'));  // shorter than the range asked for
  std::string got;
  try {
    s3.DownloadRange("b", "k", 0, 999, AppendTo(got));
    FAIL() << "no throw";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.http_status(), 416);  // the rest, bytes=500-999, is not there
  }
  EXPECT_EQ(got.size(), 500u);
  EXPECT_EQ(fake_->Count("GET"), 2);
}

TEST_F(S3ClientTest, DownloadRangeToTheEndCompletesWhenTheResumeStartsAtTheEnd) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 100;
  // A plain pointer: the fake keeps this function, so a shared_ptr in it would keep the fake
  // alive for ever (LeakSanitizer, make sanitize).
  auto* fake = fake_.get();
  fake_->cut_after = [fake](const testing::FakeS3Request& r, size_t) -> size_t {
    // The connection breaks after 700 bytes of an object that turns out to end there.
    if (r.range.empty()) fake->Put("b", "k", std::string(700, 'a'));
    return 700;
  };
  std::string got;
  EXPECT_EQ(s3.DownloadRange("b", "k", 0, -1, AppendTo(got)), 700);
  EXPECT_EQ(got.size(), 700u);
  ASSERT_EQ(fake_->Count("GET"), 2);
  EXPECT_EQ(fake_->Requests().back().range, "bytes=700-");
}

TEST_F(S3ClientTest, DownloadRangeStopsWhenTheConsumerAbandonsIt) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 100;
  int chunks = 0;
  EXPECT_ANY_THROW(
      s3.DownloadRange("b", "k", 0, 999, [&](std::string_view) { return ++chunks < 3; }));
  EXPECT_EQ(fake_->Count("GET"), 1);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(S3ClientTest, DownloadRangeCancelledWhileWaitingToResume) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", std::string(1000, 'a'));
  fake_->chunk_bytes = 100;
  fake_->cut_after = [](const testing::FakeS3Request&, size_t) { return size_t{300}; };
  common::CancellationToken cancel;
  cancel.Cancel();
  try {
    s3.DownloadRange(
        "b", "k", 0, 999, [](std::string_view) { return true; }, &cancel);
    FAIL() << "no throw";
  } catch (const common::CancelledError& e) {
    EXPECT_STREQ(e.what(), "S3 GetObject of s3://b/k cancelled while waiting to retry");
  }
  EXPECT_EQ(fake_->Count("GET"), 1);
}

TEST_F(S3ClientTest, ListFollowsContinuationTokensAndDecodesKeys) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->max_list_keys = 2;
  fake_->Put("b", "unload/t/1.parquet", "1");
  fake_->Put("b", "unload/t/2 two+x.parquet", "22");
  fake_->Put("b", "unload/t/3.parquet", "333");
  fake_->Put("b", "unload/other/4.parquet", "4444");
  fake_->Put("b", "zzz", "");
  const S3ListPage first = s3.ListObjectsV2("b", "unload/t/");
  EXPECT_TRUE(first.truncated);
  EXPECT_EQ(first.objects.size(), 2u);
  const auto all = s3.ListAllObjects("b", "unload/t/");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key, "unload/t/1.parquet");
  EXPECT_EQ(all[1].key, "unload/t/2 two+x.parquet");
  EXPECT_EQ(all[1].size, 2);
  EXPECT_EQ(all[2].key, "unload/t/3.parquet");
  const std::string query = fake_->Requests().front().query;
  EXPECT_NE(query.find("list-type=2"), std::string::npos) << query;
  EXPECT_NE(query.find("prefix=unload%2Ft%2F"), std::string::npos) << query;
}

TEST_F(S3ClientTest, DeleteObjectRemovesIt) {
  S3Client s3(MakeFakeS3Service(fake_, clock_), true);
  fake_->Put("b", "k", "x");
  s3.DeleteObject("b", "k");
  EXPECT_FALSE(fake_->Has("b", "k"));
  s3.DeleteObject("b", "k");  // 204 again: deleting a missing key is fine
}

// The same calls over real HTTP (libcurl) against a local server: HEAD without a body, Range.
TEST(S3ClientHttpTest, HeadAndRangedGetOverHttp) {
  testing::LocalHttpServer server;
  const std::string object(5000, 'q');
  server.server().Get("/bucket/dir/file.csv", [&](const httplib::Request& req,
                                                  httplib::Response& res) {
    ASSERT_TRUE(req.has_header("Authorization"));
    ASSERT_TRUE(req.has_header("x-amz-content-sha256"));
    if (req.has_header("Range")) {
      EXPECT_EQ(req.get_header_value("Range"), "bytes=100-199");
    }
    res.set_content(object, "text/csv");  // httplib answers a Range with 206 and the slice itself
  });
  server.Start();
  ServiceEndpoint endpoint{"s3", "us-east-1", Url::Parse(server.url())};
  Credentials credentials;
  credentials.access_key_id = "AKID";
  credentials.secret_access_key = common::Secret("secret");
  auto service = std::make_shared<ServiceClient>(
      endpoint, std::make_shared<StaticCredentialsProvider>(credentials), CurlTransportFactory(),
      std::make_shared<RetryPolicy>(), common::SystemClock::Instance(), ParseXmlError);
  S3Client s3(service, true);
  EXPECT_EQ(s3.HeadObject("bucket", "dir/file.csv").size, 5000);
  std::string got;
  s3.GetObjectRange("bucket", "dir/file.csv", 100, 199, [&](std::string_view c) {
    got.append(c);
    return true;
  });
  EXPECT_EQ(got, object.substr(100, 100));
}

// A ranged GET whose body does not end (a server ignoring Range, or a chunked body without end)
// fails once it passes the range asked for, instead of growing without bound.
TEST(S3ClientBoundsTest, ABodyLongerThanTheRangeAskedForIsAnError) {
  testing::ScriptedSocketServer server([](testing::ScriptedSocketServer::Connection& c) {
    if (!c.Send(testing::ScriptedSocketServer::ChunkedHead())) return;
    const std::string chunk = testing::ScriptedSocketServer::Chunk(std::string(4096, 'x'));
    while (c.Send(chunk)) {
    }
  });
  common::FakeClock clock;
  Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = common::Secret("secret");
  auto service = std::make_shared<ServiceClient>(
      ServiceEndpoint{"s3", "us-east-1", Url::Parse(server.url())},
      std::make_shared<StaticCredentialsProvider>(credentials), CurlTransportFactory(),
      std::make_shared<RetryPolicy>(), clock, ParseXmlError);
  S3Client s3(service, /*force_path_style=*/true);
  int64_t delivered = 0;
  try {
    s3.DownloadRange("results", "q.csv", 0, 99'999, [&](std::string_view chunk) {
      delivered += static_cast<int64_t>(chunk.size());
      return true;
    });
    FAIL() << "no error";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("S3 GetObject of s3://results/q.csv bytes 0-99999 "
                                         "returned more than the 100000 bytes requested"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LE(delivered, 100'000);
  EXPECT_EQ(server.connections(), 1);  // not retried: the same server would do it again
}

}  // namespace
}  // namespace ac::aws
