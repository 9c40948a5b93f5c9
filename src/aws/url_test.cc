#include <gtest/gtest.h>

#include "aws/http.h"
#include "common/error.h"

namespace ac::aws {
namespace {

TEST(UrlTest, ParsesSchemeHostPortPathQuery) {
  const Url url = Url::Parse("https://Athena.US-East-1.amazonaws.com:8443/a/b%20c?x=1&y");
  EXPECT_EQ(url.scheme, "https");
  EXPECT_EQ(url.host, "athena.us-east-1.amazonaws.com");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.path, "/a/b%20c");
  EXPECT_EQ(url.query, "x=1&y");
  EXPECT_EQ(url.HostHeader(), "athena.us-east-1.amazonaws.com:8443");
  EXPECT_EQ(url.ToString(), "https://athena.us-east-1.amazonaws.com:8443/a/b%20c?x=1&y");
}

TEST(UrlTest, DefaultsAndDefaultPorts) {
  const Url bare = Url::Parse("http://127.0.0.1");
  EXPECT_EQ(bare.scheme, "http");
  EXPECT_EQ(bare.port, 0);
  EXPECT_EQ(bare.path, "/");
  EXPECT_EQ(bare.query, "");
  EXPECT_EQ(bare.HostHeader(), "127.0.0.1");
  EXPECT_EQ(bare.ToString(), "http://127.0.0.1/");

  EXPECT_EQ(Url::Parse("https://h:443/").HostHeader(), "h");
  EXPECT_EQ(Url::Parse("http://h:80").HostHeader(), "h");
  EXPECT_EQ(Url::Parse("http://h:443").HostHeader(), "h:443");
  EXPECT_EQ(Url::Parse("HTTPS://h?q=1").path, "/");
  EXPECT_EQ(Url::Parse("HTTPS://h?q=1").query, "q=1");
}

TEST(UrlTest, Ipv6Literal) {
  const Url url = Url::Parse("http://[::1]:9000/bucket");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 9000);
  EXPECT_EQ(url.HostHeader(), "[::1]:9000");
  EXPECT_EQ(url.ToString(), "http://[::1]:9000/bucket");
}

TEST(UrlTest, EncodesBytesThatMayNotAppearRaw) {
  const Url url = Url::Parse("https://h/my%20key/\xe1\x88\xb4/100%/%41/{x}?a=b\"c&d=/?");
  EXPECT_EQ(url.path, "/my%20key/%E1%88%B4/100%25/%41/%7Bx%7D");
  EXPECT_EQ(url.query, "a=b%22c&d=/?");
}

TEST(UrlTest, RejectsMalformedUrlsNamingWhat) {
  for (const char* bad :
       {"", "athena.amazonaws.com", "ftp://h/", "https://", "https:///path", "https://h:0/",
        "https://h:70000", "https://h:/", "https://h:12x", "https://h/a#frag", "https://bad host/",
        "https://[::1/", "https://h_ok!/"}) {
    try {
      Url::Parse(bad, "athena_endpoint_url");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("athena_endpoint_url"), std::string::npos) << e.what();
    }
  }
}

TEST(UrlTest, NeverEchoesUserInformation) {
  try {
    Url::Parse("https://user:hunter2@h/", "s3_endpoint_url");
    FAIL() << "accepted user info";
  } catch (const common::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(HeadersTest, FindAndSetAreCaseInsensitive) {
  HttpHeaders headers = {{"Content-Type", "a"}, {"X-Dup", "1"}, {"x-dup", "2"}};
  ASSERT_NE(FindHeader(headers, "content-type"), nullptr);
  EXPECT_EQ(*FindHeader(headers, "CONTENT-TYPE"), "a");
  EXPECT_EQ(FindHeader(headers, "missing"), nullptr);
  EXPECT_EQ(*FindHeader(headers, "x-dup"), "1");  // the first one

  SetHeader(headers, "content-type", "b");
  EXPECT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].first, "Content-Type");  // name kept, value replaced
  EXPECT_EQ(headers[0].second, "b");

  SetHeader(headers, "X-DUP", "3");  // replaces the first, drops the later duplicates
  EXPECT_EQ(headers.size(), 2u);
  EXPECT_EQ(*FindHeader(headers, "x-dup"), "3");

  SetHeader(headers, "New", "v");
  EXPECT_EQ(headers.back(), (std::pair<std::string, std::string>("New", "v")));
}

}  // namespace
}  // namespace ac::aws
