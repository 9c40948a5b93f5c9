// libcurl-backed HttpTransport: one easy handle per transport instance, so the connection (and
// TLS session) stays alive between requests of one worker thread.

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <exception>
#include <mutex>
#include <string>

#include "aws/ca_bundle.h"
#include "aws/http.h"
#include "common/error.h"
#include "common/strings.h"

namespace ac::aws {
namespace {

constexpr const char* kUserAgent = "athena-connector/0.1";

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
      throw common::InternalError(
          fmt::format("curl_global_init failed: {}", curl_easy_strerror(code)));
    }
  });
}

/// A line as curl hands it over (header, error text) without leading spaces and tabs, nor
/// trailing spaces, tabs, CRs and LFs.
std::string_view TrimLine(std::string_view text) {
  return common::TrimRight(common::TrimLeft(text, common::kSpaceTab), common::kSpaceTabCrLf);
}

TransportError::Reason ReasonFor(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return TransportError::Reason::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::Reason::kTimeout;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::Reason::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return TransportError::Reason::kTls;
    default:
      return TransportError::Reason::kOther;
  }
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(HttpTransportOptions options)
      : options_(std::move(options)), ca_(SystemCaLocation(options_.ca_bundle_path)) {
    GlobalInitOnce();
    handle_ = curl_easy_init();
    if (handle_ == nullptr) throw common::InternalError("curl_easy_init failed");
  }
  ~CurlTransport() override { curl_easy_cleanup(handle_); }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  HttpResponse Send(const HttpRequest& request, const BodyCallback& on_body) override;

 private:
  /// State of one exchange, reached from curl's callbacks.
  struct Exchange {
    HttpResponse response;
    const BodyCallback* on_body = nullptr;
    int current_status = 0;  ///< status of the response whose headers/body are arriving
    bool aborted = false;    ///< the body callback returned false
    std::exception_ptr callback_error;
    const HttpLimits* limits = nullptr;
    size_t header_bytes = 0;  ///< header lines received so far (every response of the exchange)
    std::string what;         ///< "HTTP <method> <host>" for messages
  };

  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);

  HttpTransportOptions options_;
  CaLocation ca_;
  CURL* handle_ = nullptr;
};

size_t CurlTransport::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  exchange->header_bytes += bytes;
  if (exchange->header_bytes > exchange->limits->max_header_bytes) {
    exchange->callback_error = std::make_exception_ptr(
        common::ProtocolError(fmt::format("{}: the response headers exceed the limit of {} bytes",
                                          exchange->what, exchange->limits->max_header_bytes)));
    return 0;  // makes curl fail the transfer
  }
  if (line.starts_with("HTTP/")) {
    // A new response begins (interim 1xx, proxy CONNECT, ...): keep only the final one's headers.
    exchange->response.headers.clear();
    exchange->current_status = 0;
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      int status = 0;
      for (size_t i = space + 1;
           i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i) {
        status = status * 10 + (line[i] - '0');
      }
      exchange->current_status = status;
    }
    return bytes;
  }
  std::string_view trimmed = TrimLine(line);
  if (trimmed.empty()) return bytes;
  if ((line[0] == ' ' || line[0] == '\t') && !exchange->response.headers.empty()) {
    // obs-fold continuation of the previous header.
    std::string& value = exchange->response.headers.back().second;
    if (!value.empty()) value.push_back(' ');
    value.append(trimmed);
    return bytes;
  }
  size_t colon = trimmed.find(':');
  if (colon == std::string_view::npos) return bytes;
  exchange->response.headers.emplace_back(std::string(TrimLine(trimmed.substr(0, colon))),
                                          std::string(TrimLine(trimmed.substr(colon + 1))));
  return bytes;
}

size_t CurlTransport::OnBody(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  std::string_view chunk(data, bytes);
  // Only successful bodies are streamed; an error body is kept so the caller can parse it.
  bool stream = exchange->on_body != nullptr && *exchange->on_body &&
                exchange->current_status >= 200 && exchange->current_status < 300;
  if (!stream) {
    const size_t limit = exchange->limits->max_body_bytes;
    if (limit > 0 && exchange->response.body.size() + bytes > limit) {
      exchange->callback_error = std::make_exception_ptr(common::ProtocolError(
          fmt::format("{}: the response body exceeds the limit of {} bytes (max_response_mb)",
                      exchange->what, limit)));
      return 0;
    }
    exchange->response.body.append(chunk);
    return bytes;
  }
  try {
    if (!(*exchange->on_body)(chunk)) {
      exchange->aborted = true;
      return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
    }
  } catch (...) {
    exchange->callback_error = std::current_exception();
    return 0;
  }
  return bytes;
}

HttpResponse CurlTransport::Send(const HttpRequest& request, const BodyCallback& on_body) {
  // Reset clears the options of the previous request but keeps live connections, the TLS session
  // cache and the DNS cache.
  curl_easy_reset(handle_);
  CURL* h = handle_;

  const std::string url = request.url.ToString();
  char error_buffer[CURL_ERROR_SIZE];
  error_buffer[0] = '\0';
  Exchange exchange;
  exchange.on_body = &on_body;
  exchange.limits = &options_.limits;
  exchange.what = fmt::format("HTTP {} {}", request.method, request.url.HostHeader());

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  // TLS verification is never turned off.
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (request.url.scheme == "https") {
    // libcurl is built without compiled-in CA paths: the trust store is found at run time.
    if (!ca_.found()) {
      // A machine without trust stays so: one configuration error, never retried.
      throw common::ConfigError(fmt::format(
          "HTTPS {}: no CA certificates found (looked for {} and {}); install the ca-certificates "
          "package or set "
          "ca_bundle to a PEM file of trusted CAs",
          request.url.HostHeader(), CaBundleCandidates().front(), CaDirectoryCandidates().back()));
    }
    curl_easy_setopt(h, CURLOPT_CAINFO, ca_.file.empty() ? nullptr : ca_.file.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, ca_.directory.empty() ? nullptr : ca_.directory.c_str());
  }
  const HttpTimeouts& timeouts = options_.timeouts;
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  if (timeouts.low_speed_bytes_per_second > 0 && timeouts.low_speed_window.count() > 0) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                     static_cast<long>(timeouts.low_speed_bytes_per_second));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(timeouts.low_speed_window.count()));
  }

  // Method and body.
  const std::string& method = request.method;
  if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || method == "PUT" || method == "PATCH" || !request.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  // Headers: exactly the request's, without curl's additions that would not be signed.
  struct curl_slist* header_list = nullptr;
  bool has_content_type = false;
  bool has_user_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (common::EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    if (common::EqualsIgnoreCase(name, "User-Agent")) has_user_agent = true;
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    header_list = curl_slist_append(header_list, line.c_str());
  }
  header_list = curl_slist_append(header_list, "Expect:");
  if (!has_content_type) header_list = curl_slist_append(header_list, "Content-Type:");
  if (!has_user_agent) curl_easy_setopt(h, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);

  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CurlTransport::OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CurlTransport::OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange);

  CURLcode code = curl_easy_perform(h);
  curl_slist_free_all(header_list);
  // The options point at locals; do not leave them dangling in the handle.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);

  if (exchange.callback_error) std::rethrow_exception(exchange.callback_error);
  if (exchange.aborted) {
    throw common::CancelledError(
        fmt::format("HTTP {} {}: transfer aborted by the body consumer", method, request.url.host));
  }
  if (code != CURLE_OK) {
    std::string detail =
        error_buffer[0] != '\0' ? std::string(TrimLine(error_buffer)) : curl_easy_strerror(code);
    if (code == CURLE_OUT_OF_MEMORY &&
        (exchange.current_status != 0 || detail.find("header") != std::string::npos)) {
      // One header line longer than libcurl's own cap (100 KiB): libcurl reports it as out of
      // memory, once the status line has arrived.
      throw common::ProtocolError(
          fmt::format("{}: a response header line exceeds libcurl's limit of 100 KiB; the "
                      "response headers may take {} bytes in all",
                      exchange.what, options_.limits.max_header_bytes));
    }
    if (code == CURLE_OPERATION_TIMEDOUT) {
      detail +=
          fmt::format(" (limits: connect {} ms, whole call {} ms, at least {} bytes/s over {} s)",
                      timeouts.connect.count(), timeouts.total.count(),
                      timeouts.low_speed_bytes_per_second, timeouts.low_speed_window.count());
    }
    throw TransportError(ReasonFor(code),
                         fmt::format("HTTP {} {}: {}", method, request.url.HostHeader(), detail));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status <= 0) {
    throw TransportError(
        TransportError::Reason::kOther,
        fmt::format("HTTP {} {}: no response status", method, request.url.HostHeader()));
  }
  exchange.response.status = static_cast<int>(status);
  return std::move(exchange.response);
}

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const HttpTransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

HttpTransportFactory CurlTransportFactory(const HttpTransportOptions& options) {
  return [options]() -> std::unique_ptr<HttpTransport> { return MakeCurlTransport(options); };
}

}  // namespace ac::aws
