#include "aws/s3_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "aws/aws_error.h"
#include "common/encoding.h"
#include "common/error.h"
#include "common/page_tokens.h"
#include "common/xml.h"

namespace ac::aws {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool LooksLikeIpv4(std::string_view text) {
  int dots = 0;
  for (const char c : text) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

/// `s3.<region>.amazonaws.com` or `s3.<region>.amazonaws.com.cn`: the endpoint whose buckets can
/// be addressed as `<bucket>.s3.<region>...`.
bool IsAwsRegionalS3Host(std::string_view host) {
  if (host.substr(0, 3) != "s3.") return false;
  for (std::string_view suffix :
       {std::string_view(".amazonaws.com"), std::string_view(".amazonaws.com.cn")}) {
    if (host.size() > 3 + suffix.size() && host.substr(host.size() - suffix.size()) == suffix) {
      const std::string_view region = host.substr(3, host.size() - 3 - suffix.size());
      return !region.empty() && region.find('.') == std::string_view::npos;
    }
  }
  return false;
}

int64_t ParseInt64(std::string_view text, int64_t fallback) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : fallback;
}

std::string HeaderOr(const HttpResponse& response, std::string_view name) {
  const std::string* value = FindHeader(response.headers, name);
  return value == nullptr ? std::string() : *value;
}

/// Decodes an `encoding-type=url` key (percent escapes; '+' is a space in that form).
std::string DecodeListedKey(std::string_view encoded) {
  std::string plus_as_space(encoded);
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  std::optional<std::string> decoded = common::UriDecode(plus_as_space);
  return decoded ? *decoded : std::string(encoded);
}

}  // namespace

std::optional<S3Uri> S3Uri::TryParse(std::string_view uri) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = uri[i] >= 'A' && uri[i] <= 'Z' ? static_cast<char>(uri[i] - 'A' + 'a') : uri[i];
    if (c != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = uri.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Uri out;
  out.bucket = std::string(rest.substr(0, slash));
  if (out.bucket.empty()) return std::nullopt;
  if (slash != std::string_view::npos) out.key = std::string(rest.substr(slash + 1));
  return out;
}

S3Uri S3Uri::Parse(std::string_view uri, std::string_view what) {
  std::optional<S3Uri> parsed = TryParse(uri);
  if (!parsed)
    throw common::ProtocolError(fmt::format("{} '{}' is not an s3://bucket/key URI", what, uri));
  return *parsed;
}

bool IsVirtualHostableBucket(std::string_view bucket, bool https) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back())) return false;
  char previous = 0;
  for (const char c : bucket) {
    if (c == '.') {
      if (https || previous == '.' || previous == '-') return false;
    } else if (c == '-') {
      if (previous == '.') return false;
    } else if (!IsLowerAlnum(c)) {
      return false;
    }
    previous = c;
  }
  return !LooksLikeIpv4(bucket);
}

S3Client::S3Client(std::shared_ptr<ServiceClient> service, bool force_path_style)
    : service_(std::move(service)),
      force_path_style_(force_path_style),
      aws_endpoint_(IsAwsRegionalS3Host(service_->endpoint().base_url.host)) {}

S3Client::~S3Client() = default;

ServiceClient& S3Client::ClientFor(const std::string& bucket, std::string& path_prefix) {
  const Url& base = service_->endpoint().base_url;
  if (force_path_style_ || !aws_endpoint_ ||
      !IsVirtualHostableBucket(bucket, base.scheme == "https")) {
    path_prefix = "/" + common::UriEncode(bucket);
    return *service_;
  }
  path_prefix.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<ServiceClient>& client = virtual_hosted_[bucket];
  if (!client) {
    Url url = base;
    url.host = bucket + "." + base.host;
    url.path = "/";
    url.query.clear();
    client = service_->WithBaseUrl(std::move(url));
  }
  return *client;
}

HttpRequest S3Client::ObjectRequest(const std::string& method, const std::string& bucket,
                                    const std::string& key, ServiceClient*& client) {
  std::string prefix;
  client = &ClientFor(bucket, prefix);
  HttpRequest request;
  request.method = method;
  request.url.path = prefix + "/" + common::UriEncode(key, /*keep_slash=*/true);
  return request;
}

S3ObjectInfo S3Client::HeadObject(const std::string& bucket, const std::string& key) {
  ServiceClient* client = nullptr;
  HttpRequest request = ObjectRequest("HEAD", bucket, key, client);
  const HttpResponse response = client->Send("HeadObject", std::move(request));
  S3ObjectInfo info;
  const std::string length = HeaderOr(response, "Content-Length");
  info.size = ParseInt64(length, -1);
  if (info.size < 0) {
    throw common::ProtocolError(
        fmt::format("S3 HeadObject of s3://{}/{} returned no valid Content-Length ('{}')", bucket,
                    key, length));
  }
  info.etag = HeaderOr(response, "ETag");
  info.last_modified = HeaderOr(response, "Last-Modified");
  info.server_side_encryption = HeaderOr(response, "x-amz-server-side-encryption");
  info.sse_kms_key_id = HeaderOr(response, "x-amz-server-side-encryption-aws-kms-key-id");
  return info;
}

HttpResponse S3Client::GetObjectRange(const std::string& bucket, const std::string& key,
                                      int64_t first, int64_t last, const BodyCallback& on_body,
                                      const std::string& if_match) {
  ServiceClient* client = nullptr;
  HttpRequest request = ObjectRequest("GET", bucket, key, client);
  if (first > 0 || last >= 0) {
    request.headers.emplace_back("Range", last >= 0 ? fmt::format("bytes={}-{}", first, last)
                                                    : fmt::format("bytes={}-", first));
  }
  if (!if_match.empty()) request.headers.emplace_back("If-Match", if_match);
  return client->Send("GetObject", std::move(request), on_body);
}

int64_t S3Client::DownloadRange(const std::string& bucket, const std::string& key, int64_t first,
                                int64_t last, const BodyCallback& on_body,
                                const common::CancellationToken* cancel, const std::string& etag) {
  const int64_t wanted = last >= 0 ? last - first + 1 : -1;
  int64_t received = 0;
  bool abandoned = false;
  const BodyCallback take = [&](std::string_view chunk) {
    if (wanted >= 0 && static_cast<int64_t>(chunk.size()) > wanted - received) {
      // More than the range asked for: a server ignoring Range, or a body that does not end.
      throw common::ProtocolError(fmt::format(
          "S3 GetObject of s3://{}/{} bytes {}-{} returned more than the {} bytes requested",
          bucket, key, first, last, wanted));
    }
    if (!on_body(chunk)) {
      abandoned = true;
      return false;
    }
    received += static_cast<int64_t>(chunk.size());
    return true;
  };
  const std::string what = fmt::format("S3 GetObject of s3://{}/{}", bucket, key);
  RetryAttempts attempts(service_->retry(), service_->clock(), cancel, what);
  while (true) {
    const int64_t before = received;
    try {
      GetObjectRange(bucket, key, first + before, last, take, etag);
      if (wanted >= 0 && received < wanted) {
        throw common::TransientError(fmt::format("{} returned {} of the {} bytes requested", what,
                                                 received - before, wanted - before));
      }
      break;
    } catch (const common::TransientError&) {
      // The body broke midway (or came back short): one more attempt, from the first missing byte.
      if (abandoned || received == before ||
          !attempts.Retry(FailureClass::kTransient, "BodyBroken"))
        throw;
    } catch (const AwsError& e) {
      if (e.http_status() == 412 && !etag.empty()) {
        // Another version of the object: what was delivered (and what is left) do not match.
        throw common::ProtocolError(fmt::format(
            "{} failed: the object was replaced while it was being read (it is no longer ETag "
            "{}: {}); none of the new version's bytes were used",
            what, etag, e.what()));
      }
      // A resumed read to the end that starts exactly at the end of the object: nothing was left.
      if (last >= 0 || e.http_status() != 416 || received == 0) throw;
      break;
    }
  }
  attempts.Succeeded();
  return received;
}

std::string S3Client::GetObject(const std::string& bucket, const std::string& key) {
  ServiceClient* client = nullptr;
  HttpRequest request = ObjectRequest("GET", bucket, key, client);
  return client->Send("GetObject", std::move(request)).body;
}

S3ListPage S3Client::ListObjectsV2(const std::string& bucket, const std::string& prefix,
                                   const std::string& continuation_token, int max_keys) {
  std::string path_prefix;
  ServiceClient& client = ClientFor(bucket, path_prefix);
  HttpRequest request;
  request.method = "GET";
  request.url.path = path_prefix.empty() ? "/" : path_prefix;
  // Canonical (sorted) order; the signer re-sorts anyway.
  std::string query;
  if (!continuation_token.empty())
    query += "continuation-token=" + common::UriEncode(continuation_token) + "&";
  query += "encoding-type=url&list-type=2";
  query += fmt::format("&max-keys={}", max_keys);
  if (!prefix.empty()) query += "&prefix=" + common::UriEncode(prefix);
  request.url.query = std::move(query);
  const HttpResponse response = client.Send("ListObjectsV2", std::move(request));

  S3ListPage page;
  const std::string_view body = response.body;
  const std::optional<std::string_view> result = common::FindXmlElement(body, "ListBucketResult");
  if (!result) {
    throw common::ProtocolError(
        fmt::format("S3 ListObjectsV2 of s3://{}/{} returned no ListBucketResult", bucket, prefix));
  }
  const bool url_encoded = common::XmlElementText(*result, "EncodingType").value_or("") == "url";
  for (const std::string_view contents : common::FindXmlElements(*result, "Contents")) {
    S3ListedObject object;
    const std::string key = common::XmlElementText(contents, "Key").value_or("");
    object.key = url_encoded ? DecodeListedKey(key) : key;
    object.size = ParseInt64(common::XmlElementText(contents, "Size").value_or(""), 0);
    object.etag = common::XmlElementText(contents, "ETag").value_or("");
    page.objects.push_back(std::move(object));
  }
  for (const std::string_view common_prefix : common::FindXmlElements(*result, "CommonPrefixes")) {
    const std::string text = common::XmlElementText(common_prefix, "Prefix").value_or("");
    page.common_prefixes.push_back(url_encoded ? DecodeListedKey(text) : text);
  }
  page.truncated = common::XmlElementText(*result, "IsTruncated").value_or("") == "true";
  page.next_continuation_token =
      common::XmlElementText(*result, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_continuation_token.empty()) {
    throw common::ProtocolError(
        fmt::format("S3 ListObjectsV2 of s3://{}/{} is truncated but has no NextContinuationToken",
                    bucket, prefix));
  }
  return page;
}

std::vector<S3ListedObject> S3Client::ListAllObjects(const std::string& bucket,
                                                     const std::string& prefix) {
  std::vector<S3ListedObject> all;
  std::string token;
  common::PageTokens tokens(fmt::format("S3 ListObjectsV2 of s3://{}/{}", bucket, prefix));
  do {
    S3ListPage page = ListObjectsV2(bucket, prefix, token);
    for (auto& object : page.objects) all.push_back(std::move(object));
    token = page.truncated ? page.next_continuation_token : std::string();
    tokens.Next(token);
  } while (!token.empty());
  return all;
}

void S3Client::DeleteObject(const std::string& bucket, const std::string& key) {
  ServiceClient* client = nullptr;
  HttpRequest request = ObjectRequest("DELETE", bucket, key, client);
  client->Send("DeleteObject", std::move(request));
}

}  // namespace ac::aws
