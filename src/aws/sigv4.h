#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/http.h"
#include "common/crypto.h"

namespace ac::aws {

/// How a service wants its requests canonicalised.
struct SigningRules {
  /// Non-S3 services normalise the path (remove `.`/`..`/empty segments) and URI-encode each
  /// segment again; S3 uses the path exactly as sent.
  bool normalize_path = true;
  bool double_encode_path = true;
  /// Add and sign `x-amz-content-sha256` (S3 always; with `unsigned_payload` it is UNSIGNED-PAYLOAD).
  bool content_sha256_header = false;
  bool unsigned_payload = false;
  /// Sign the session token (`x-amz-security-token`) — true for every service this project uses.
  bool sign_session_token = true;

  static SigningRules ForService(std::string_view service);  ///< S3 rules for "s3", else default
};

/// Intermediate values, exposed for tests and for the emulator's verifier.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  ///< "host;x-amz-date"
  std::string signature;       ///< lowercase hex
  std::string authorization;   ///< full Authorization header value
};

/// `YYYYMMDDTHHMMSSZ` for `time`.
std::string FormatAmzDate(std::chrono::system_clock::time_point time);

/// Canonical URI per the rules: path normalised/double-encoded (non-S3) or used as is (S3).
std::string CanonicalUri(std::string_view encoded_path, const SigningRules& rules);
/// Canonical query string: each key/value decoded then re-encoded, sorted by key then value.
std::string CanonicalQuery(std::string_view raw_query);
/// Canonical header value: trimmed, inner runs of spaces squeezed, obs-fold lines joined.
std::string CanonicalHeaderValue(std::string_view value);

/// Builds canonical request, string to sign and signature for an already-complete request (all
/// headers that are to be signed present, including x-amz-date; never user-agent/expect/etc).
/// `payload_hash` is the hex SHA-256 of the body or "UNSIGNED-PAYLOAD".
SigningResult ComputeSignature(const HttpRequest& request, std::string_view payload_hash,
                               std::string_view access_key_id, std::string_view secret_access_key,
                               std::string_view region, std::string_view service,
                               std::string_view amz_date, const SigningRules& rules);

/// Signs requests in place: adds Host, X-Amz-Date, X-Amz-Security-Token (session credentials),
/// x-amz-content-sha256 (S3) and Authorization. Caches the derived signing key per
/// (date, region, service, access key) so repeated requests skip four HMACs.
class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service);
  SigV4Signer(std::string region, std::string service, SigningRules rules);

  void Sign(HttpRequest& request, const Credentials& credentials,
            std::chrono::system_clock::time_point now);

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  common::Sha256Digest SigningKey(const Credentials& credentials, std::string_view date);

  std::string region_;
  std::string service_;
  SigningRules rules_;
  std::mutex mutex_;
  std::string cached_key_id_;  ///< "<date>/<access key id>" of the cached key
  common::Sha256Digest cached_key_{};
};

/// Derives the SigV4 signing key: HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
common::Sha256Digest DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service);

}  // namespace ac::aws
