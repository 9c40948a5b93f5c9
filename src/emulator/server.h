#pragma once

// The athena-local HTTP endpoint: one cpp-httplib server answering both the Athena JSON API
// (POST / with X-Amz-Target) and S3 (path-style /<bucket>/<key> or virtual-hosted
// <bucket>.s3.<host>), with SigV4 verification, fault injection, per-action rate limits and
// per-request debug logs.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "emulator/athena_api.h"
#include "emulator/engine.h"
#include "emulator/faults.h"
#include "emulator/rate_limit.h"
#include "emulator/request_auth.h"
#include "emulator/s3_api.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ac::emulator {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string region = "us-east-1";
  std::map<std::string, std::string> credentials{{"test", "test"}};
  FaultOptions faults;
  RateLimitOptions rate_limit;
  int http_threads = 64;
};

/// Where a request goes.
struct Route {
  enum class Kind { kAthena, kS3 };
  Kind kind = Kind::kS3;
  std::string operation;  ///< Athena: the part after "AmazonAthena." (may name an unknown op)
  /// The API action, whose token bucket --rate-limit draws from: the Athena operation, or the S3
  /// one (S3OperationName).
  std::string action;
  std::string target_prefix_error;  ///< X-Amz-Target that is not AmazonAthena.*
  std::string bucket;               ///< S3 (decoded)
  std::string key;                  ///< S3 (decoded)
  bool bad_path = false;            ///< undecodable path
};

/// Routes by X-Amz-Target (Athena) else S3: virtual-hosted when the Host is
/// `<bucket>.s3.<rest>`, `<bucket>.s3-<rest>` or `<bucket>.localhost`, else path-style.
Route RouteRequest(std::string_view method, std::string_view target, std::string_view host,
                   const std::string* amz_target);

/// The S3 API action of a request to `bucket` / `key` (empty = bucket- or service-level):
/// ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, ListObjectsV2,
/// ListObjects, GetObject, HeadObject, PutObject, DeleteObject; "S3.<METHOD>" for anything else.
std::string S3OperationName(std::string_view method, std::string_view bucket, std::string_view key,
                            std::string_view query);

/// Why a request was answered with a throttling error.
enum class ThrottleCause { kNone, kRandom, kRate };

/// The faults of one request: those drawn for it, and the throttle it got (if any).
struct RequestFaults {
  FaultDecision drawn;
  ThrottleCause throttled = ThrottleCause::kNone;
};

/// What the server injected so far (athena-local logs it when it stops).
struct FaultStats {
  uint64_t requests = 0;
  uint64_t random_throttles = 0;  ///< --throttle-rate
  uint64_t rate_throttles = 0;    ///< --rate-limit (an empty token bucket)
  std::map<std::string, uint64_t> rate_throttles_by_action;
  uint64_t errors = 0;  ///< --error-rate (HTTP 500s answered)
  uint64_t drops = 0;   ///< --drop-rate draws (a response without a body has nothing to cut)
};
/// One line: "N requests; throttled T (rate R: GetObject 3, ...; random Q); errors E; dropped D".
std::string FormatFaultStats(const FaultStats& stats);

/// The Athena error reply to a request that failed SigV4 verification.
ApiReply AthenaAuthErrorReply(const AuthResult& auth);
/// The S3 error reply to a request that failed SigV4 verification; `region` is the server's.
S3Reply S3AuthErrorReply(const AuthResult& auth, std::string_view request_id,
                         const std::string& region);
/// The `__type` of an Athena error reply (for the request log); empty for a success.
std::string AthenaErrorCode(const ApiReply& reply);

class Server {
 public:
  Server(Engine& engine, ServerOptions options);
  ~Server();

  /// Binds the listening socket; returns the port. Throws std::runtime_error on failure.
  int Bind();
  /// Serves until Stop() (blocking).
  void Listen();
  void Stop();
  /// The faults injected so far.
  FaultStats Stats() const;

 private:
  /// Routes a request (Athena or S3), answers it and logs it.
  void Handle(const httplib::Request& req, httplib::Response& res);
  /// Answer a routed request (500 when the API throws), after --latency-ms; return the error
  /// code for the request log.
  std::string ServeAthena(const Route& route, const IncomingRequest& incoming,
                          RequestFaults& faults, const std::string& request_id,
                          const std::string& label, httplib::Response& res);
  std::string ServeS3(const Route& route, const IncomingRequest& incoming, RequestFaults& faults,
                      const std::string& request_id, const std::string& label,
                      httplib::Response& res);
  /// SigV4, the route's own errors, throttling (random, then the rate limit) and the injected
  /// error in that order, then the operation.
  ApiReply ReplyToAthena(const Route& route, const IncomingRequest& incoming,
                         RequestFaults& faults);
  S3Reply ReplyToS3(const Route& route, const IncomingRequest& incoming, RequestFaults& faults,
                    const std::string& request_id);
  /// The throttling step of both APIs: the random throttle drawn for the request, else a token
  /// from the action's bucket (none taken when throttled). Records the cause in `faults`.
  bool Throttled(const Route& route, RequestFaults& faults);
  /// Sleeps --latency-ms.
  void DelayResponse() const;

  ServerOptions options_;
  AthenaApi athena_;
  S3Api s3_;
  RequestVerifier verifier_;
  FaultInjector faults_;
  RateLimiter rate_limiter_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> random_throttles_{0};
  std::atomic<uint64_t> rate_throttles_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> drops_{0};
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace ac::emulator
