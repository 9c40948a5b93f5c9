#pragma once

// SigV4 verification of incoming Athena and S3 requests (header-signed, and S3 presigned URLs),
// using the project's SigV4 primitives (aws/sigv4.h).

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ac::emulator {

/// What the verifier needs from an HTTP request.
struct IncomingRequest {
  std::string method;
  std::string target;  ///< raw request-target: path[?query], exactly as received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

enum class AuthFailure {
  kNone,
  kMissing,          ///< no Authorization header / presigned query
  kMalformed,        ///< unparsable Authorization / credential scope
  kUnknownKey,       ///< access key id not known
  kWrongRegion,      ///< credential scope region differs from the server's
  kWrongService,     ///< credential scope service differs from the endpoint's
  kSkewed,           ///< X-Amz-Date more than 15 minutes off
  kExpired,          ///< presigned URL past X-Amz-Expires
  kPayloadMismatch,  ///< x-amz-content-sha256 does not match the body (S3)
  kBadSignature,     ///< signature differs
};

struct AuthResult {
  AuthFailure failure = AuthFailure::kNone;
  std::string message;            ///< human-readable detail
  std::string access_key_id;      ///< as sent
  std::string request_time;       ///< X-Amz-Date as sent
  std::string server_time;        ///< YYYYMMDDTHHMMSSZ now
  std::string region;             ///< credential scope region as sent
  std::string string_to_sign;     ///< ours (SignatureDoesNotMatch details)
  std::string canonical_request;  ///< ours
  std::string signature_provided;
  bool ok() const { return failure == AuthFailure::kNone; }
};

class RequestVerifier {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  RequestVerifier(std::map<std::string, std::string> secrets_by_key_id, std::string region,
                  Clock clock = nullptr);

  /// `service` is "athena" or "s3" (the endpoint the request was routed to).
  AuthResult Verify(const IncomingRequest& request, std::string_view service) const;

  static constexpr std::chrono::minutes kMaxSkew{15};

 private:
  std::map<std::string, std::string> secrets_;
  std::string region_;
  Clock clock_;
};

/// Parses `YYYYMMDDTHHMMSSZ`; false when malformed.
bool ParseAmzDate(std::string_view text, std::chrono::system_clock::time_point* out);

}  // namespace ac::emulator
