#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
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
  /// Add and sign `x-amz-content-sha256` (S3 always; with `unsigned_payload` it is
  /// UNSIGNED-PAYLOAD).
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

/// The payload hash of a body that is not hashed (S3 only).
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

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

/// Like ComputeSignature, but signs exactly the headers named in `signed_headers` (the
/// SignedHeaders list of a received Authorization header, e.g. "host;x-amz-date"; names are
/// lowercased, sorted and de-duplicated), whatever else the request carries. This is what a
/// server verifying an incoming request uses: pass the headers as received, the received
/// x-amz-content-sha256 (S3) or the body's hash as `payload_hash`, and compare `signature`.
/// A listed header that the request lacks is canonicalised with an empty value.
SigningResult ComputeSignatureForHeaders(const HttpRequest& request, std::string_view payload_hash,
                                         std::string_view signed_headers,
                                         std::string_view access_key_id,
                                         std::string_view secret_access_key,
                                         std::string_view region, std::string_view service,
                                         std::string_view amz_date, const SigningRules& rules);

/// The parts of an `AWS4-HMAC-SHA256 Credential=<key id>/<date>/<region>/<service>/aws4_request,
/// SignedHeaders=<names>, Signature=<hex>` header value.
struct ParsedAuthorization {
  std::string access_key_id;
  std::string date;  ///< YYYYMMDD of the credential scope
  std::string region;
  std::string service;
  std::string signed_headers;  ///< as sent, e.g. "host;x-amz-date"
  std::string signature;
};
/// Parses an Authorization header value; nullopt when it is not a well-formed SigV4 header.
std::optional<ParsedAuthorization> ParseAuthorization(std::string_view value);

/// Signs requests in place: adds Host, X-Amz-Date, X-Amz-Security-Token (session credentials),
/// x-amz-content-sha256 (S3) and Authorization. Caches the derived signing key per
/// (date, region, service, access key) so repeated requests skip four HMACs.
class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service);
  SigV4Signer(std::string region, std::string service, SigningRules rules);

  /// Returns the intermediate values (useful to log on SignatureDoesNotMatch). The session token
  /// is signed unless `rules.sign_session_token` is false (then added after signing); a stale
  /// X-Amz-Security-Token is removed when `credentials` have none.
  SigningResult Sign(HttpRequest& request, const Credentials& credentials,
                     std::chrono::system_clock::time_point now);

  /// How many times a signing key was derived (cache misses); for tests.
  uint64_t key_derivations() const;

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  common::Sha256Digest SigningKey(const Credentials& credentials, std::string_view date);

  std::string region_;
  std::string service_;
  SigningRules rules_;
  mutable std::mutex mutex_;
  std::string cached_key_id_;  ///< "<date>/<access key id>/<secret fingerprint>" of the cached key
  common::Sha256Digest cached_key_{};
  uint64_t key_derivations_ = 0;
};

/// Derives the SigV4 signing key: HMAC chain "AWS4"+secret -> date -> region -> service ->
/// "aws4_request".
common::Sha256Digest DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service);

}  // namespace ac::aws
