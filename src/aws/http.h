#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ac::aws {

/// Header list in request order (names as given; lookups are case-insensitive).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive header lookup; nullptr if absent.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);
/// Replaces (or appends) a header, case-insensitively.
void SetHeader(HttpHeaders& headers, std::string_view name, std::string value);

/// A parsed absolute URL: scheme://host[:port]/path?query.
struct Url {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< without port
  uint16_t port = 0;   ///< explicit port, or 0 for the scheme default
  std::string path;    ///< already percent-encoded, starts with '/'
  std::string query;   ///< already percent-encoded, without '?'

  /// Parses `text`; throws common::ConfigError naming `what` on a malformed URL.
  static Url Parse(std::string_view text, std::string_view what = "URL");
  /// Host plus ":port" when the port is not the scheme default (the Host header value).
  std::string HostHeader() const;
  /// scheme://host[:port]path[?query]
  std::string ToString() const;
};

struct HttpRequest {
  std::string method = "GET";
  Url url;
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  ///< empty when the body was streamed to a BodyCallback
};

/// Receives response body bytes as they arrive (large S3 objects). Returning false aborts the
/// transfer (the transport then throws CancelledError). Only 2xx bodies are streamed: the body of
/// any other status is kept in HttpResponse::body so the error can be parsed.
using BodyCallback = std::function<bool(std::string_view chunk)>;

/// Failure to exchange a request (no HTTP status): DNS, connect, TLS, reset, timeout.
/// Always transient from the retry policy's point of view.
class TransportError : public std::runtime_error {
 public:
  enum class Reason { kConnect, kTimeout, kReset, kTls, kOther };
  TransportError(Reason reason, const std::string& message)
      : std::runtime_error(message), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

/// Time bounds of one exchange. A breach is a TransportError of Reason::kTimeout (the retry
/// policy retries it as a timeout); the message names the bound and its value.
struct HttpTimeouts {
  std::chrono::milliseconds connect{10'000};
  std::chrono::milliseconds total{300'000};    ///< whole exchange; 0 = none
  uint32_t low_speed_bytes_per_second = 1024;  ///< abort when slower than this ...
  std::chrono::seconds low_speed_window{30};   ///< ... for this long (a silent server too)
};

/// Size bounds of one response. A breach is a common::ProtocolError naming the bound (not
/// retried: the same server would send the same thing again).
struct HttpLimits {
  size_t max_header_bytes = 64 * 1024;       ///< all header lines of one response together
  size_t max_body_bytes = size_t{64} << 20;  ///< a body kept in memory (HttpResponse::body);
                                             ///< streamed bodies are bounded by their consumer
};

struct HttpTransportOptions {
  HttpTimeouts timeouts;
  HttpLimits limits;
  std::string ca_bundle_path;  ///< optional CA bundle override; TLS verification is always on
};

/// Sends one HTTP request. Implementations reuse connections (keep-alive). One transport instance
/// is used by one thread at a time; workers each own one (see HttpTransportFactory).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Sends `request`. The response body goes to `on_body` when given, else into HttpResponse::body.
  /// Throws TransportError when no response status was received.
  virtual HttpResponse Send(const HttpRequest& request, const BodyCallback& on_body = nullptr) = 0;
};

using HttpTransportFactory = std::function<std::unique_ptr<HttpTransport>()>;

/// libcurl-backed transport (keep-alive connection cache per instance).
std::unique_ptr<HttpTransport> MakeCurlTransport(const HttpTransportOptions& options = {});
HttpTransportFactory CurlTransportFactory(const HttpTransportOptions& options = {});

}  // namespace ac::aws
