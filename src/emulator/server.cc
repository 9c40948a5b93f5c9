#include "emulator/server.h"

#include <fcntl.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "athena_text/value_format.h"
#include "common/encoding.h"

namespace ac::emulator {

using athena_text::AppendUuid;
namespace {

constexpr size_t kStreamChunkBytes = 64 << 10;

std::string NewRequestId(bool s3) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (s3) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string id(16, '0');
    uint64_t v = rng();
    for (char& c : id) {
      c = kHex[v & 0xF];
      v >>= 4;
    }
    return id;
  }
  std::string id;
  uint64_t high = (rng() & ~uint64_t{0xF000}) | uint64_t{0x4000};
  uint64_t low = (rng() & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  AppendUuid(id, high, low);
  return id;
}

bool IsIpv4(std::string_view host) {
  in_addr addr{};
  return inet_pton(AF_INET, std::string(host).c_str(), &addr) == 1;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view part = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string k(part.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    std::replace(k.begin(), k.end(), '+', ' ');
    std::replace(v.begin(), v.end(), '+', ' ');
    out.emplace_back(common::UriDecode(k).value_or(k), common::UriDecode(v).value_or(v));
  }
  return out;
}

// A body source streamed by the httplib content provider (bandwidth cap and drops applied).
struct BodySource {
  std::string text;
  int fd = -1;
  uint64_t file_offset = 0;
  uint64_t length = 0;
  double bandwidth_mbps = 0;
  bool drop = false;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string buffer;
  ~BodySource() {
    if (fd >= 0) ::close(fd);
  }
};

void SetBody(httplib::Response& res, const std::string& content_type,
             std::shared_ptr<BodySource> src) {
  if (src->length == 0) {
    res.set_content("", content_type);
    return;
  }
  res.set_content_provider(
      src->length, content_type, [src](size_t offset, size_t length, httplib::DataSink& sink) {
        size_t n = std::min(length, kStreamChunkBytes);
        if (src->drop) {
          const uint64_t drop_at = src->length / 2;
          if (offset >= drop_at) return false;
          n = std::min<size_t>(n, drop_at - offset);
          if (n == 0) return false;
        }
        const char* data = nullptr;
        if (src->fd >= 0) {
          src->buffer.resize(n);
          size_t got = 0;
          while (got < n) {
            const ssize_t r = ::pread(src->fd, src->buffer.data() + got, n - got,
                                      static_cast<off_t>(src->file_offset + offset + got));
            if (r <= 0) return false;
            got += static_cast<size_t>(r);
          }
          data = src->buffer.data();
        } else {
          data = src->text.data() + offset;
        }
        if (src->bandwidth_mbps > 0) {
          const double seconds =
              static_cast<double>(offset + n) * 8.0 / (src->bandwidth_mbps * 1e6);
          const auto due =
              src->start + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
          std::this_thread::sleep_until(due);
        }
        return sink.write(data, n);
      });
}

// The request as SigV4 verification and the APIs see it.
IncomingRequest IncomingRequestOf(const httplib::Request& req) {
  IncomingRequest incoming;
  incoming.method = req.method;
  incoming.target = req.target;
  for (const auto& [k, v] : req.headers) {
    // httplib adds these to the request it parsed; they were not sent by the client
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
      continue;
    incoming.headers.emplace_back(k, v);
  }
  incoming.body = req.body;
  return incoming;
}

S3Reply S3InternalError(std::string_view request_id) {
  return S3ErrorReply(500, "InternalError", "We encountered an internal error. Please try again.",
                      request_id);
}

// A body from text.
std::shared_ptr<BodySource> TextBody(std::string text) {
  auto source = std::make_shared<BodySource>();
  source->text = std::move(text);
  source->length = source->text.size();
  return source;
}

// The body of an S3 reply: its text, or its file range paced to `bandwidth_mbps` (a file gone by
// now turns `reply` into 404 NoSuchKey, whose text is paced alike).
std::shared_ptr<BodySource> S3Body(S3Reply& reply, std::string_view request_id,
                                   double bandwidth_mbps) {
  if (!reply.stream_file) return TextBody(std::move(reply.body));
  std::shared_ptr<BodySource> source;
  const int fd = ::open(reply.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    reply = S3ErrorReply(404, "NoSuchKey", "The specified key does not exist.", request_id);
    source = TextBody(reply.body);
  } else {
    source = std::make_shared<BodySource>();
    source->fd = fd;
    source->file_offset = reply.file_offset;
    source->length = reply.file_length;
  }
  source->bandwidth_mbps = bandwidth_mbps;
  return source;
}

// Sends an S3 reply: its headers, then its body (a HEAD reply: Content-Length, no body).
void SendS3Reply(const std::string& method, S3Reply reply, std::string_view request_id, bool drop,
                 double bandwidth_mbps, httplib::Response& res) {
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  const std::shared_ptr<BodySource> source = S3Body(reply, request_id, bandwidth_mbps);
  source->drop = drop;
  res.status = reply.status;
  const std::string& content_type = reply.content_type;
  if (method != "HEAD") {
    SetBody(res, content_type.empty() ? "application/octet-stream" : content_type, source);
    return;
  }
  // HEAD: headers only (errors carry no body either).
  res.set_header("Content-Length", std::to_string(res.status < 300 ? source->length : 0));
  if (!content_type.empty()) res.set_header("Content-Type", content_type);
}

}  // namespace

ApiReply AthenaAuthErrorReply(const AuthResult& auth) {
  switch (auth.failure) {
    case AuthFailure::kMissing:
      return AthenaErrorReply(400, "MissingAuthenticationTokenException",
                              "Missing Authentication Token");
    case AuthFailure::kMalformed:
      return AthenaErrorReply(400, "IncompleteSignatureException", auth.message);
    case AuthFailure::kUnknownKey:
      return AthenaErrorReply(400, "UnrecognizedClientException",
                              "The security token included in the request is invalid.");
    default:
      return AthenaErrorReply(400, "InvalidSignatureException", auth.message);
  }
}

S3Reply S3AuthErrorReply(const AuthResult& auth, std::string_view request_id,
                         const std::string& region) {
  using common::XmlEscape;
  switch (auth.failure) {
    case AuthFailure::kMissing:
      return S3ErrorReply(403, "AccessDenied", "Access Denied", request_id);
    case AuthFailure::kMalformed:
    case AuthFailure::kWrongService:
      return S3ErrorReply(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; " + auth.message, request_id);
    case AuthFailure::kWrongRegion: {
      S3Reply reply = S3ErrorReply(400, "AuthorizationHeaderMalformed",
                                   "The authorization header is malformed; the region '" +
                                       auth.region + "' is wrong; expecting '" + region + "'",
                                   request_id, {{"Region", XmlEscape(region)}});
      reply.headers.emplace_back("x-amz-bucket-region", region);
      return reply;
    }
    case AuthFailure::kUnknownKey:
      return S3ErrorReply(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.",
                          request_id, {{"AWSAccessKeyId", XmlEscape(auth.access_key_id)}});
    case AuthFailure::kSkewed:
      return S3ErrorReply(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too "
                          "large.",
                          request_id,
                          {{"RequestTime", XmlEscape(auth.request_time)},
                           {"ServerTime", XmlEscape(auth.server_time)},
                           {"MaxAllowedSkewMilliseconds", "900000"}});
    case AuthFailure::kExpired:
      return S3ErrorReply(403, "AccessDenied", "Request has expired", request_id,
                          {{"ServerTime", XmlEscape(auth.server_time)}});
    case AuthFailure::kPayloadMismatch:
      return S3ErrorReply(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was "
                          "computed.",
                          request_id);
    case AuthFailure::kBadSignature:
    case AuthFailure::kNone:
      break;
  }
  return S3ErrorReply(
      403, "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your "
      "key and signing method.",
      request_id,
      {{"AWSAccessKeyId", XmlEscape(auth.access_key_id)},
       {"StringToSign", XmlEscape(auth.string_to_sign)},
       {"SignatureProvided", XmlEscape(auth.signature_provided)},
       {"CanonicalRequest", XmlEscape(auth.canonical_request)}});
}

std::string AthenaErrorCode(const ApiReply& reply) {
  if (reply.status < 400) return "";
  const std::string& body = reply.body;
  const size_t p = body.find("\"__type\":\"");
  if (p == std::string::npos) return "";
  return body.substr(p + 10, body.find('"', p + 10) - p - 10);
}

namespace {

// RouteRequest but the action.
Route RouteOf(std::string_view method, std::string_view target, std::string_view host,
              const std::string* amz_target) {
  Route route;
  if (amz_target != nullptr) {
    route.kind = Route::Kind::kAthena;
    constexpr std::string_view kPrefix = "AmazonAthena.";
    if (amz_target->compare(0, kPrefix.size(), kPrefix) == 0) {
      route.operation = amz_target->substr(kPrefix.size());
    } else {
      route.target_prefix_error = *amz_target;
    }
    (void)method;
    return route;
  }
  route.kind = Route::Kind::kS3;
  std::string_view path = target.substr(0, target.find('?'));
  // Virtual-hosted style?
  std::string_view h = host;
  if (!h.empty() && h.front() == '[') {
    h = std::string_view();  // IPv6 literal: path-style
  } else {
    h = h.substr(0, h.rfind(':') == std::string_view::npos ? h.size() : h.rfind(':'));
  }
  std::string vhost_bucket;
  if (!h.empty() && !IsIpv4(h)) {
    size_t s3 = h.find(".s3.");
    if (s3 == std::string_view::npos) s3 = h.find(".s3-");
    if (s3 != std::string_view::npos && s3 > 0) {
      vhost_bucket = std::string(h.substr(0, s3));
    } else if (h.size() > 10 && h.substr(h.size() - 10) == ".localhost" &&
               h.substr(0, h.size() - 10) != "s3" && h.substr(0, h.size() - 10) != "athena") {
      vhost_bucket = std::string(h.substr(0, h.size() - 10));
    }
  }
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!vhost_bucket.empty()) {
    route.bucket = vhost_bucket;
    auto key = common::UriDecode(path);
    if (!key) route.bad_path = true;
    route.key = key.value_or("");
    return route;
  }
  const size_t slash = path.find('/');
  auto bucket = common::UriDecode(path.substr(0, slash));
  auto key = slash == std::string_view::npos ? std::optional<std::string>("")
                                             : common::UriDecode(path.substr(slash + 1));
  if (!bucket || !key) route.bad_path = true;
  route.bucket = bucket.value_or("");
  route.key = key.value_or("");
  return route;
}

}  // namespace

std::string S3OperationName(std::string_view method, std::string_view bucket, std::string_view key,
                            std::string_view query) {
  if (bucket.empty()) {
    if (method == "GET") return "ListBuckets";
  } else if (key.empty()) {
    if (method == "PUT") return "CreateBucket";
    if (method == "HEAD") return "HeadBucket";
    if (method == "DELETE") return "DeleteBucket";
    if (method == "GET") {
      const auto params = ParseQueryString(query);
      const auto param = [&](std::string_view name) {
        return std::find_if(params.begin(), params.end(),
                            [&](const auto& p) { return p.first == name; });
      };
      if (param("location") != params.end()) return "GetBucketLocation";
      const auto list_type = param("list-type");
      return list_type != params.end() && list_type->second == "2" ? "ListObjectsV2"
                                                                   : "ListObjects";
    }
  } else {
    if (method == "GET") return "GetObject";
    if (method == "HEAD") return "HeadObject";
    if (method == "PUT") return "PutObject";
    if (method == "DELETE") return "DeleteObject";
  }
  return "S3." + std::string(method);
}

Route RouteRequest(std::string_view method, std::string_view target, std::string_view host,
                   const std::string* amz_target) {
  Route route = RouteOf(method, target, host, amz_target);
  if (route.kind == Route::Kind::kAthena) {
    route.action = route.operation;
  } else {
    const size_t q = target.find('?');
    route.action = S3OperationName(method, route.bucket, route.key,
                                   q == std::string_view::npos ? "" : target.substr(q + 1));
  }
  return route;
}

Server::Server(Engine& engine, ServerOptions options)
    : options_(std::move(options)),
      athena_(engine),
      s3_(engine.buckets()),
      verifier_(options_.credentials, options_.region),
      faults_(options_.faults),
      rate_limiter_(options_.rate_limit),
      http_(std::make_unique<httplib::Server>()) {
  const int threads = options_.http_threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_keep_alive_max_count(100000);
  http_->set_keep_alive_timeout(30);
  http_->set_read_timeout(60, 0);
  http_->set_write_timeout(300, 0);
  http_->set_payload_max_length(size_t{5} << 30);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  http_->Get(".*", handler);
  http_->Post(".*", handler);
  http_->Put(".*", handler);
  http_->Delete(".*", handler);
  http_->Options(".*", handler);
  http_->Patch(".*", handler);
}

Server::~Server() = default;

int Server::Bind() {
  int port = options_.port;
  if (port == 0) {
    port = http_->bind_to_any_port(options_.host);
  } else if (!http_->bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port));
  }
  return port;
}

void Server::Listen() {
  http_->listen_after_bind();
}

void Server::Stop() {
  http_->stop();
}

FaultStats Server::Stats() const {
  FaultStats stats;
  stats.requests = requests_.load();
  stats.random_throttles = random_throttles_.load();
  stats.rate_throttles = rate_throttles_.load();
  stats.rate_throttles_by_action = rate_limiter_.Throttled();
  stats.errors = errors_.load();
  stats.drops = drops_.load();
  return stats;
}

std::string FormatFaultStats(const FaultStats& stats) {
  std::string rate;
  for (const auto& [action, n] : stats.rate_throttles_by_action) {
    rate += (rate.empty() ? ": " : ", ") + action + " " + std::to_string(n);
  }
  return std::to_string(stats.requests) + " requests; throttled " +
         std::to_string(stats.random_throttles + stats.rate_throttles) + " (rate " +
         std::to_string(stats.rate_throttles) + rate + "; random " +
         std::to_string(stats.random_throttles) + "); errors " + std::to_string(stats.errors) +
         "; dropped " + std::to_string(stats.drops);
}

void Server::Handle(const httplib::Request& req, httplib::Response& res) {
  const auto t0 = std::chrono::steady_clock::now();
  // httplib would otherwise apply Range itself; S3 handles it.
  const_cast<httplib::Request&>(req).ranges.clear();

  const std::string amz_target_value = req.get_header_value("X-Amz-Target");
  const bool has_target = req.has_header("X-Amz-Target");
  const Route route = RouteRequest(req.method, req.target, req.get_header_value("Host"),
                                   has_target ? &amz_target_value : nullptr);
  const bool s3 = route.kind == Route::Kind::kS3;
  const std::string request_id = NewRequestId(s3);
  const std::string label = s3 ? req.target.substr(0, req.target.find('?')) : route.operation;
  const IncomingRequest incoming = IncomingRequestOf(req);
  RequestFaults faults{faults_.Next(), ThrottleCause::kNone};
  requests_.fetch_add(1, std::memory_order_relaxed);

  const std::string error_code = s3 ? ServeS3(route, incoming, faults, request_id, label, res)
                                    : ServeAthena(route, incoming, faults, request_id, label, res);
  if (faults.drawn.drop) drops_.fetch_add(1, std::memory_order_relaxed);

  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  if (spdlog::should_log(spdlog::level::debug)) {
    const char* throttled = faults.throttled == ThrottleCause::kRate     ? " (rate limit)"
                            : faults.throttled == ThrottleCause::kRandom ? " (random throttle)"
                                                                         : "";
    // A ranged GET names its range (tests count the bytes a reader asked for).
    const std::string range = s3 && req.has_header("Range") ? req.get_header_value("Range") : "";
    spdlog::debug("{} {} {} {}{}{}ms{}{}{}", req.method, s3 ? "s3" : "athena", label, res.status,
                  error_code.empty() ? " " : " " + error_code + " ", ms, throttled,
                  faults.drawn.drop ? " (dropped)" : "", range.empty() ? "" : " range=" + range);
  }
}

std::string Server::ServeAthena(const Route& route, const IncomingRequest& incoming,
                                RequestFaults& faults, const std::string& request_id,
                                const std::string& label, httplib::Response& res) {
  ApiReply reply;
  std::string error_code;
  try {
    reply = ReplyToAthena(route, incoming, faults);
    error_code = AthenaErrorCode(reply);
    res.set_header("x-amzn-RequestId", request_id);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", incoming.method, label, e.what());
    reply = AthenaErrorReply(500, "InternalServerException", e.what());
  }
  DelayResponse();
  res.status = reply.status;
  const std::shared_ptr<BodySource> source = TextBody(std::move(reply.body));
  source->drop = faults.drawn.drop;
  SetBody(res, reply.content_type, source);
  return error_code;
}

std::string Server::ServeS3(const Route& route, const IncomingRequest& incoming,
                            RequestFaults& faults, const std::string& request_id,
                            const std::string& label, httplib::Response& res) {
  S3Reply reply;
  std::string error_code;
  try {
    reply = ReplyToS3(route, incoming, faults, request_id);
    error_code = reply.error_code;
    res.set_header("x-amz-request-id", request_id);
    res.set_header("x-amz-id-2", common::Base64Encode(request_id + "athena-local"));
    res.set_header("Server", "AmazonS3");
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", incoming.method, label, e.what());
    reply = S3InternalError(request_id);
  }
  DelayResponse();
  SendS3Reply(incoming.method, std::move(reply), request_id, faults.drawn.drop,
              options_.faults.bandwidth_mbps, res);
  return error_code;
}

bool Server::Throttled(const Route& route, RequestFaults& faults) {
  if (faults.drawn.throttle) {
    faults.throttled = ThrottleCause::kRandom;
    random_throttles_.fetch_add(1, std::memory_order_relaxed);
  } else if (!rate_limiter_.TryAcquire(route.action)) {
    faults.throttled = ThrottleCause::kRate;
    rate_throttles_.fetch_add(1, std::memory_order_relaxed);
  }
  return faults.throttled != ThrottleCause::kNone;
}

ApiReply Server::ReplyToAthena(const Route& route, const IncomingRequest& incoming,
                               RequestFaults& faults) {
  const AuthResult auth = verifier_.Verify(incoming, "athena");
  if (!auth.ok()) return AthenaAuthErrorReply(auth);
  if (!route.target_prefix_error.empty()) {
    return AthenaErrorReply(400, "com.amazon.coral.service#UnknownOperationException", "");
  }
  if (Throttled(route, faults)) {
    return AthenaErrorReply(400, "ThrottlingException", "Rate exceeded");
  }
  if (faults.drawn.error) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return AthenaErrorReply(500, "InternalServerException", "Internal service error");
  }
  return athena_.Handle(route.operation, incoming.body);
}

S3Reply Server::ReplyToS3(const Route& route, const IncomingRequest& incoming,
                          RequestFaults& faults, const std::string& request_id) {
  const AuthResult auth = verifier_.Verify(incoming, "s3");
  if (!auth.ok()) return S3AuthErrorReply(auth, request_id, options_.region);
  if (route.bad_path) {
    return S3ErrorReply(400, "InvalidURI", "Couldn't parse the specified URI.", request_id);
  }
  if (Throttled(route, faults)) {
    return S3ErrorReply(503, "SlowDown", "Please reduce your request rate.", request_id);
  }
  if (faults.drawn.error) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return S3InternalError(request_id);
  }
  S3Request r;
  r.method = incoming.method;
  r.bucket = route.bucket;
  r.key = route.key;
  const size_t q = incoming.target.find('?');
  if (q != std::string::npos) r.query = ParseQueryString(incoming.target.substr(q + 1));
  r.headers = incoming.headers;
  r.body = incoming.body;
  r.request_id = request_id;
  return s3_.Handle(r);
}

void Server::DelayResponse() const {
  if (options_.faults.latency_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.faults.latency_ms));
  }
}

}  // namespace ac::emulator
