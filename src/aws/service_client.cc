#include "aws/service_client.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "aws/aws_error.h"
#include "common/error.h"
#include "common/xml.h"

namespace ac::aws {
namespace {

/// At most this many bytes of an unparseable error body go into a message.
constexpr size_t kMaxBodySnippetBytes = 200;

/// A short single-line excerpt of a body that is not the expected error document.
std::string BodySnippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kMaxBodySnippetBytes)) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
  }
  size_t begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) return {};
  out.erase(0, begin);
  out.erase(out.find_last_not_of(' ') + 1);
  if (body.size() > kMaxBodySnippetBytes) out += "...";
  return out;
}

/// Strips the namespace and suffix forms of an error type: "ns#Code:http://..." -> "Code".
std::string ShortErrorCode(std::string_view type) {
  size_t colon = type.find(':');
  if (colon != std::string_view::npos) type = type.substr(0, colon);
  size_t hash = type.rfind('#');
  if (hash != std::string_view::npos) type = type.substr(hash + 1);
  return std::string(type);
}

/// Error code and reason phrase used when an XML error response has no body (HEAD requests).
std::pair<std::string_view, std::string_view> StatusCodeName(int status) {
  switch (status) {
    case 301:
      return {"PermanentRedirect", "Moved Permanently"};
    case 302:
      return {"Found", "Found"};
    case 304:
      return {"NotModified", "Not Modified"};
    case 307:
      return {"TemporaryRedirect", "Temporary Redirect"};
    case 400:
      return {"BadRequest", "Bad Request"};
    case 401:
      return {"Unauthorized", "Unauthorized"};
    case 403:
      return {"Forbidden", "Forbidden"};
    case 404:
      return {"NotFound", "Not Found"};
    case 405:
      return {"MethodNotAllowed", "Method Not Allowed"};
    case 409:
      return {"Conflict", "Conflict"};
    case 412:
      return {"PreconditionFailed", "Precondition Failed"};
    case 416:
      return {"InvalidRange", "Requested Range Not Satisfiable"};
    case 429:
      return {"TooManyRequests", "Too Many Requests"};
    case 500:
      return {"InternalError", "Internal Server Error"};
    case 502:
      return {"BadGateway", "Bad Gateway"};
    case 503:
      return {"ServiceUnavailable", "Service Unavailable"};
    case 504:
      return {"GatewayTimeout", "Gateway Timeout"};
    default:
      return {{}, {}};
  }
}

std::string RequestIdOf(const HttpResponse& response) {
  if (const std::string* id = FindHeader(response.headers, "x-amzn-RequestId")) return *id;
  if (const std::string* id = FindHeader(response.headers, "x-amz-request-id")) return *id;
  return {};
}

std::string Attempts(int count) {
  return count == 1 ? "1 attempt" : fmt::format("{} attempts", count);
}

}  // namespace

void ParseJsonError(const HttpResponse& response, std::string& code, std::string& message) {
  code.clear();
  message.clear();
  nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    auto type = doc.find("__type");
    if (type != doc.end() && type->is_string()) code = ShortErrorCode(type->get<std::string>());
    for (const char* key : {"Message", "message"}) {
      auto it = doc.find(key);
      if (it != doc.end() && it->is_string()) {
        message = it->get<std::string>();
        break;
      }
    }
  } else {
    message = BodySnippet(response.body);
  }
  if (code.empty()) {
    if (const std::string* type = FindHeader(response.headers, "x-amzn-ErrorType"))
      code = ShortErrorCode(*type);
  }
  if (code.empty()) code = std::to_string(response.status);
}

void ParseXmlError(const HttpResponse& response, std::string& code, std::string& message) {
  code.clear();
  message.clear();
  // S3: <Error><Code/><Message/></Error>; query protocol (STS): <ErrorResponse><Error>...</Error>.
  std::optional<std::string_view> error = common::FindXmlElement(response.body, "Error");
  if (error) {
    code = common::XmlElementText(*error, "Code").value_or("");
    message = common::XmlElementText(*error, "Message").value_or("");
  }
  if (code.empty()) {
    auto [name, reason] = StatusCodeName(response.status);
    code = name.empty() ? std::to_string(response.status) : std::string(name);
    if (message.empty()) {
      message = !error && !response.body.empty() ? BodySnippet(response.body) : std::string(reason);
    }
  }
  if (const std::string* region = FindHeader(response.headers, "x-amz-bucket-region")) {
    if (response.status == 301 || response.status == 400 || response.status == 403) {
      message += fmt::format("{}(bucket region is {})", message.empty() ? "" : " ", *region);
    }
  }
}

struct ServiceClient::TransportCache {
  std::mutex mutex;
  /// One transport per calling thread. A thread id reused after its thread ended takes over the
  /// ended thread's transport, which is safe since that thread can no longer use it.
  std::unordered_map<std::thread::id, std::unique_ptr<HttpTransport>> transports;
};

ServiceClient::ServiceClient(ServiceEndpoint endpoint,
                             std::shared_ptr<CredentialsProvider> credentials,
                             HttpTransportFactory transports, std::shared_ptr<RetryPolicy> retry,
                             common::Clock& clock, ErrorParser error_parser,
                             const common::CancellationToken* cancel)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      transports_(std::move(transports)),
      retry_(retry ? std::move(retry) : std::make_shared<RetryPolicy>()),
      clock_(clock),
      error_parser_(error_parser ? std::move(error_parser) : ErrorParser(ParseJsonError)),
      cancel_(cancel),
      signer_(endpoint_.region, endpoint_.service),
      transport_cache_(std::make_unique<TransportCache>()) {
  if (!credentials_) throw common::InternalError("ServiceClient needs a credentials provider");
  if (!transports_) throw common::InternalError("ServiceClient needs a transport factory");
}

ServiceClient::~ServiceClient() = default;

std::shared_ptr<ServiceClient> ServiceClient::WithBaseUrl(Url base_url) const {
  ServiceEndpoint endpoint = endpoint_;
  endpoint.base_url = std::move(base_url);
  return std::make_shared<ServiceClient>(std::move(endpoint), credentials_, transports_, retry_,
                                         clock_, error_parser_, cancel_);
}

std::shared_ptr<ServiceClient> ServiceClient::WithoutCancellation() const {
  return std::make_shared<ServiceClient>(endpoint_, credentials_, transports_, retry_, clock_,
                                         error_parser_, nullptr);
}

HttpTransport& ServiceClient::ThreadTransport() {
  std::lock_guard<std::mutex> lock(transport_cache_->mutex);
  std::unique_ptr<HttpTransport>& transport =
      transport_cache_->transports[std::this_thread::get_id()];
  if (!transport) {
    transport = transports_();
    if (!transport) throw common::InternalError("the HTTP transport factory returned no transport");
  }
  return *transport;
}

HttpResponse ServiceClient::Send(std::string_view operation, HttpRequest request,
                                 const BodyCallback& on_body) {
  // Resolve the request's path and query against the base URL.
  {
    Url url = endpoint_.base_url;
    std::string path = request.url.path.empty() ? "/" : request.url.path;
    if (path.front() != '/') path.insert(path.begin(), '/');
    if (!url.path.empty() && url.path != "/") {
      std::string base = url.path;
      if (base.back() == '/') base.pop_back();
      path = path == "/" ? base + "/" : base + path;
    }
    url.path = std::move(path);
    url.query = std::move(request.url.query);
    request.url = std::move(url);
  }

  HttpTransport& transport = ThreadTransport();
  // Bytes already handed to the caller cannot be taken back: a transfer that fails after some
  // were delivered is not retried (the caller resumes, e.g. with a Range request).
  uint64_t delivered = 0;
  BodyCallback counting;
  if (on_body) {
    counting = [&delivered, &on_body](std::string_view chunk) {
      delivered += chunk.size();
      return on_body(chunk);
    };
  }

  // One retry loop, decided by the policy: until success, a non-retryable error or the call's
  // deadline (RetryOptions::max_retry_time, counted from now). Each attempt first waits for the
  // service's adaptive send rate (once something was throttled).
  SendRateLimiter* limiter = retry_->Limiter(endpoint_.service);
  const common::SystemTimePoint started = clock_.Now();
  std::optional<FailureClass> retried;
  for (int attempt = 1;; ++attempt) {
    if (cancel_ != nullptr && cancel_->IsCancelled()) {
      throw common::CancelledError(fmt::format("{} {} cancelled", endpoint_.service, operation));
    }
    if (limiter != nullptr) retry_->stats().RecordRateWait(limiter->Acquire(clock_, cancel_));
    HttpRequest attempt_request = request;
    Credentials credentials = credentials_->GetCredentials();
    signer_.Sign(attempt_request, credentials, clock_.Now());

    FailureClass failure = FailureClass::kNone;
    std::optional<HttpResponse> response;
    std::string transport_failure;
    try {
      response = transport.Send(attempt_request, counting);
    } catch (const TransportError& error) {
      failure = error.reason() == TransportError::Reason::kTimeout ? FailureClass::kTimeout
                                                                   : FailureClass::kTransient;
      transport_failure = error.what();
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - started);

    std::optional<std::chrono::milliseconds> delay;
    std::string code;
    if (response) {
      if (response->status >= 200 && response->status < 300) {
        if (limiter != nullptr) limiter->OnResponse(false, clock_.Now());
        retry_->OnSuccess(retried);
        return std::move(*response);
      }
      std::string message;
      error_parser_(*response, code, message);
      failure = ClassifyAwsError(response->status, code);
      if (failure == FailureClass::kThrottling) retry_->stats().RecordThrottle();
      if (limiter != nullptr) {
        limiter->OnResponse(failure == FailureClass::kThrottling, clock_.Now());
      }
      if (failure != FailureClass::kNonRetryable && failure != FailureClass::kNone) {
        delay = retry_->OnFailure(attempt, failure, elapsed);
      }
      if (!delay) {
        throw AwsError(AwsError::KindFor(response->status, code), endpoint_.service,
                       std::string(operation), response->status, code, message,
                       RequestIdOf(*response));
      }
    } else {
      code = failure == FailureClass::kTimeout ? "Timeout" : "ConnectionError";
      if (delivered == 0) delay = retry_->OnFailure(attempt, failure, elapsed);
      if (!delay) {
        std::string partial =
            delivered == 0 ? std::string()
                           : fmt::format(" (after {} body bytes had been received)", delivered);
        throw common::TransientError(fmt::format("{} {} failed after {}: {}{}", endpoint_.service,
                                                 operation, Attempts(attempt), transport_failure,
                                                 partial));
      }
    }
    retry_->RecordRetry(fmt::format("{} {}", endpoint_.service, operation), code, attempt, *delay);
    retried = failure;
    if (clock_.SleepFor(*delay, cancel_)) {
      throw common::CancelledError(
          fmt::format("{} {} cancelled while waiting to retry", endpoint_.service, operation));
    }
  }
}

}  // namespace ac::aws
