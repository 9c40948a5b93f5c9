#pragma once

// Test helper: an in-memory S3 behind the HttpTransport interface (GetObject with Range,
// HeadObject, ListObjectsV2, DeleteObject; If-Match on GET and HEAD: 412 when the ETag,
// "etag-<size>", differs; path-style and virtual-hosted addressing), with fault injection: bodies
// cut after some bytes, 403s, 503s. Test-only; included by *_test.cc.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/http.h"
#include "aws/service_client.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/error.h"

namespace ac::aws::testing {

struct FakeS3Request {
  std::string method;
  std::string host;
  std::string bucket;
  std::string key;
  std::string range;     ///< the Range header as sent ("" when none)
  std::string if_match;  ///< the If-Match header as sent ("" when none)
  std::string query;
};

struct FakeS3 {
  std::mutex mutex;
  std::map<std::string, std::string> objects;  ///< "bucket/key" -> bytes
  std::vector<FakeS3Request> requests;
  /// Called before answering; may return a status (403, 503, ...) to answer with instead of 200.
  std::function<int(const FakeS3Request&)> fail_with;
  /// Called for a GET body: returns how many bytes to deliver before the connection "breaks"
  /// (>= body size = no break).
  std::function<size_t(const FakeS3Request&, size_t body_size)> cut_after;
  /// Listing page size (to exercise continuation tokens).
  size_t max_list_keys = 1000;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  /// Chunk size bodies are streamed in.
  size_t chunk_bytes = 64 * 1024;

  void Put(const std::string& bucket, const std::string& key, std::string data) {
    std::lock_guard<std::mutex> lock(mutex);
    objects[bucket + "/" + key] = std::move(data);
  }
  bool Has(const std::string& bucket, const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex);
    return objects.count(bucket + "/" + key) != 0;
  }
  int Count(const std::string& method) {
    std::lock_guard<std::mutex> lock(mutex);
    int n = 0;
    for (const auto& r : requests) n += r.method == method;
    return n;
  }
  std::vector<FakeS3Request> Requests() {
    std::lock_guard<std::mutex> lock(mutex);
    return requests;
  }
};

inline std::string QueryParam(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string::npos ? std::string()
                                     : common::UriDecode(pair.substr(eq + 1)).value_or("");
    }
    pos = amp + 1;
  }
  return {};
}

class FakeS3Transport final : public HttpTransport {
 public:
  explicit FakeS3Transport(std::shared_ptr<FakeS3> fake) : fake_(std::move(fake)) {}

  HttpResponse Send(const HttpRequest& request, const BodyCallback& on_body) override {
    struct InFlight {
      explicit InFlight(FakeS3& f) : fake(f) {
        const int now = ++fake.in_flight;
        int seen = fake.max_in_flight.load();
        while (now > seen && !fake.max_in_flight.compare_exchange_weak(seen, now)) {
        }
      }
      ~InFlight() { --fake.in_flight; }
      FakeS3& fake;
    } in_flight(*fake_);

    FakeS3Request r;
    r.method = request.method;
    r.host = request.url.host;
    r.query = request.url.query;
    std::string path = common::UriDecode(request.url.path).value_or(request.url.path);
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    const size_t dot = r.host.find(".s3.");
    if (dot != std::string::npos) {
      r.bucket = r.host.substr(0, dot);
      r.key = path;
    } else {
      const size_t slash = path.find('/');
      r.bucket = path.substr(0, slash);
      r.key = slash == std::string::npos ? std::string() : path.substr(slash + 1);
    }
    if (const std::string* range = FindHeader(request.headers, "Range")) r.range = *range;
    if (const std::string* tag = FindHeader(request.headers, "If-Match")) r.if_match = *tag;

    std::function<int(const FakeS3Request&)> fail_with;
    std::function<size_t(const FakeS3Request&, size_t)> cut_after;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex);
      fake_->requests.push_back(r);
      fail_with = fake_->fail_with;
      cut_after = fake_->cut_after;
    }
    HttpResponse response;
    response.headers.emplace_back("x-amz-request-id", "fake-request");
    if (fail_with) {
      if (const int status = fail_with(r); status != 0) {
        response.status = status;
        if (r.method != "HEAD") {
          const char* code = status == 403   ? "AccessDenied"
                             : status == 503 ? "SlowDown"
                                             : "InternalError";
          response.body =
              std::string("<Error><Code>") + code + "</Code><Message>injected</Message></Error>";
        }
        return response;
      }
    }

    if (r.method == "GET" && r.key.empty()) return List(r, on_body);
    if (r.method == "DELETE") {
      std::lock_guard<std::mutex> lock(fake_->mutex);
      fake_->objects.erase(r.bucket + "/" + r.key);
      response.status = 204;
      return response;
    }
    std::string data;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex);
      const auto it = fake_->objects.find(r.bucket + "/" + r.key);
      if (it == fake_->objects.end()) {
        response.status = 404;
        if (r.method != "HEAD") {
          response.body =
              "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
              "exist.</Message></Error>";
        }
        return response;
      }
      data = it->second;
    }
    const std::string etag = "\"etag-" + std::to_string(data.size()) + "\"";
    if (!r.if_match.empty() && r.if_match != etag) {
      response.status = 412;
      if (r.method != "HEAD") {
        response.body =
            "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions "
            "you specified did not hold</Message></Error>";
      }
      return response;
    }
    response.headers.emplace_back("ETag", etag);
    response.headers.emplace_back("x-amz-server-side-encryption", "AES256");
    if (r.method == "HEAD") {
      response.status = 200;
      response.headers.emplace_back("Content-Length", std::to_string(data.size()));
      return response;
    }
    size_t first = 0;
    size_t last = data.empty() ? 0 : data.size() - 1;
    response.status = 200;
    if (!r.range.empty()) {
      const std::string spec = r.range.substr(6);  // "bytes="
      const size_t dash = spec.find('-');
      first = std::stoull(spec.substr(0, dash));
      if (dash + 1 < spec.size()) last = std::min<size_t>(last, std::stoull(spec.substr(dash + 1)));
      if (first >= data.size()) {
        response.status = 416;
        response.body =
            "<Error><Code>InvalidRange</Code><Message>The requested range is not "
            "satisfiable</Message></Error>";
        return response;
      }
      response.status = 206;
    }
    const std::string body = data.empty() ? std::string() : data.substr(first, last - first + 1);
    const size_t deliver =
        cut_after ? std::min(cut_after(r, body.size()), body.size()) : body.size();
    for (size_t at = 0; at < deliver; at += fake_->chunk_bytes) {
      const std::string_view chunk =
          std::string_view(body).substr(at, std::min(fake_->chunk_bytes, deliver - at));
      if (on_body) {
        if (!on_body(chunk)) throw common::CancelledError("body callback aborted");
      } else {
        response.body.append(chunk);
      }
    }
    if (deliver < body.size())
      throw TransportError(TransportError::Reason::kReset, "injected connection reset");
    return response;
  }

 private:
  HttpResponse List(const FakeS3Request& r, const BodyCallback& on_body) {
    const std::string prefix = QueryParam(r.query, "prefix");
    const std::string token = QueryParam(r.query, "continuation-token");
    std::vector<std::pair<std::string, size_t>> keys;
    {
      std::lock_guard<std::mutex> lock(fake_->mutex);
      for (const auto& [name, data] : fake_->objects) {
        if (name.rfind(r.bucket + "/", 0) != 0) continue;
        const std::string key = name.substr(r.bucket.size() + 1);
        if (key.rfind(prefix, 0) == 0 && key > token) keys.emplace_back(key, data.size());
      }
    }
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>" +
                       r.bucket + "</Name><EncodingType>url</EncodingType>";
    const bool truncated = keys.size() > fake_->max_list_keys;
    if (truncated) keys.resize(fake_->max_list_keys);
    for (const auto& [key, size] : keys) {
      body += "<Contents><Key>" + common::UriEncode(key, true) + "</Key><Size>" +
              std::to_string(size) + "</Size><ETag>&quot;x&quot;</ETag></Contents>";
    }
    body += std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>";
    if (truncated)
      body += "<NextContinuationToken>" + common::XmlEscape(keys.back().first) +
              "</NextContinuationToken>";
    body += "</ListBucketResult>";
    HttpResponse response;
    response.status = 200;
    if (on_body)
      on_body(body);
    else
      response.body = std::move(body);
    return response;
  }

  std::shared_ptr<FakeS3> fake_;
};

/// A ServiceClient for service "s3" at `base_url` whose transports talk to `fake`.
inline std::shared_ptr<ServiceClient> MakeFakeS3Service(
    std::shared_ptr<FakeS3> fake, common::Clock& clock,
    const std::string& base_url = "http://127.0.0.1:9",
    const common::CancellationToken* cancel = nullptr) {
  ServiceEndpoint endpoint{"s3", "us-east-1", Url::Parse(base_url)};
  Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = common::Secret("secret");
  auto provider = std::make_shared<StaticCredentialsProvider>(credentials);
  RetryOptions retry_options;
  retry_options.seed = 7;
  // Standard mode with 5 attempts per call, so the tests of the layers above count attempts and
  // sleeps exactly; the per-call deadline and the adaptive send rate have tests of their own.
  retry_options.max_attempts = 5;
  retry_options.adaptive = false;
  return std::make_shared<ServiceClient>(
      endpoint, provider, [fake] { return std::make_unique<FakeS3Transport>(fake); },
      std::make_shared<RetryPolicy>(retry_options), clock, ParseXmlError, cancel);
}

}  // namespace ac::aws::testing
