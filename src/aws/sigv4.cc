// AWS Signature Version 4 (AWS4-HMAC-SHA256), header signing.
//
// Canonical request:
//   <METHOD>\n<canonical uri>\n<canonical query>\n<name:value\n ...>\n<signed;headers>\n<payload
//   hash>
// String to sign:
//   AWS4-HMAC-SHA256\n<amz date>\n<date>/<region>/<service>/aws4_request\n<hex sha256(canonical
//   request)>
// Signature: hex HMAC(signing key, string to sign), the key derived by DeriveSigningKey.
//
// Canonical URI. The path arrives percent-encoded once (as on the wire).
//  * normalize_path: split at '/', drop empty and "." segments, ".." pops one; a trailing '/' of
//  the
//    original is kept unless the result is "/". A path ending in "/." or "/.." gets no trailing
//    slash
//    ("/a/." -> "/a"), as aws-c-auth and botocore do.
//  * double_encode_path (every service but S3): URI-encode the path AGAIN, byte by byte ('/' kept),
//    so "%20" becomes "%2520" and a raw space becomes "%20".
//  * otherwise (S3): the path is used as sent. Valid %XX escapes and unreserved bytes are kept (hex
//    digits uppercased); anything else (a raw space, raw UTF-8, '$' ...) is encoded once, so a raw
//    path and its properly encoded form sign the same.
// Canonical query: split at '&' (empty pieces ignored), each key/value at the first '=' (no '='
//    means an empty value), each decoded then strictly re-encoded, sorted by key then value (byte
//    order), joined as k=v with '&'. Never sort the joined "k=v" strings: "Param=" < "Param-3=".
// Canonical headers: names lowercased; values trimmed with inner whitespace runs (obs-fold line
//    breaks included) squeezed to one space; repeated names joined with ',' in request order;
//    sorted by name. Sign() never signs authorization, user-agent, expect, x-amzn-trace-id or the
//    hop-by-hop headers.

#include "aws/sigv4.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <functional>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/error.h"
#include "common/strings.h"

namespace ac::aws {
namespace {

using common::AsciiUpper;
using common::Trim;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

/// Headers that proxies or the HTTP stack may add, drop or rewrite: never signed.
constexpr std::array<std::string_view, 13> kUnsignedHeaders = {"authorization",
                                                               "user-agent",
                                                               "expect",
                                                               "x-amzn-trace-id",
                                                               "connection",
                                                               "keep-alive",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "proxy-connection",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade"};

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string LowerName(std::string_view name) {
  return common::Lower(Trim(name));
}

bool IsUnsignedHeader(std::string_view lower_name) {
  return std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lower_name) !=
         kUnsignedHeaders.end();
}

std::string DigestHex(const common::Sha256Digest& digest) {
  return common::HexEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string_view DigestView(const common::Sha256Digest& digest) {
  return std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
}

/// Removes "."/".." and empty segments; see the file comment for the trailing-slash rule.
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view segment = path.substr(pos, slash - pos);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    pos = slash + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out.push_back('/');
  return out;
}

/// The S3 rule: keep the path as sent, encoding only what may not appear raw (see file comment).
std::string EncodeOnce(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%' && i + 2 < path.size() && IsHexDigit(path[i + 1]) && IsHexDigit(path[i + 2])) {
      out.push_back('%');
      out.push_back(AsciiUpper(path[i + 1]));
      out.push_back(AsciiUpper(path[i + 2]));
      i += 2;
    } else if (IsUnreserved(c) || c == '/') {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
  return out;
}

struct CanonicalHeader {
  std::string name;   // lowercase
  std::string value;  // canonical, repeated values joined with ','
};

/// Groups, canonicalises and sorts the headers for which `include(lower_name)` is true.
template <typename Include>
std::vector<CanonicalHeader> CollectHeaders(const HttpHeaders& headers, Include include) {
  std::vector<CanonicalHeader> out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string lower = LowerName(name);
    if (!include(lower)) continue;
    out.push_back({std::move(lower), CanonicalHeaderValue(value)});
  }
  // Stable: repeated headers keep their request order before being joined.
  std::stable_sort(out.begin(), out.end(), [](const CanonicalHeader& a, const CanonicalHeader& b) {
    return a.name < b.name;
  });
  std::vector<CanonicalHeader> merged;
  merged.reserve(out.size());
  for (auto& header : out) {
    if (!merged.empty() && merged.back().name == header.name) {
      merged.back().value.push_back(',');
      merged.back().value += header.value;
    } else {
      merged.push_back(std::move(header));
    }
  }
  return merged;
}

SigningResult ComputeWithKey(const HttpRequest& request, std::string_view payload_hash,
                             const std::vector<CanonicalHeader>& headers,
                             std::string_view access_key_id, const common::Sha256Digest& key,
                             std::string_view region, std::string_view service,
                             std::string_view amz_date, const SigningRules& rules) {
  if (amz_date.size() < 8) {
    throw common::InternalError("SigV4: malformed X-Amz-Date '" + std::string(amz_date) + "'");
  }
  const std::string_view date = amz_date.substr(0, 8);
  SigningResult result;
  for (const auto& header : headers) {
    if (!result.signed_headers.empty()) result.signed_headers.push_back(';');
    result.signed_headers += header.name;
  }

  std::string& creq = result.canonical_request;
  creq.reserve(256 + request.url.path.size() + request.url.query.size());
  creq += request.method;
  creq.push_back('\n');
  creq += CanonicalUri(request.url.path, rules);
  creq.push_back('\n');
  creq += CanonicalQuery(request.url.query);
  creq.push_back('\n');
  for (const auto& header : headers) {
    creq += header.name;
    creq.push_back(':');
    creq += header.value;
    creq.push_back('\n');
  }
  creq.push_back('\n');
  creq += result.signed_headers;
  creq.push_back('\n');
  creq += payload_hash;

  std::string scope;
  scope.reserve(date.size() + region.size() + service.size() + 16);
  scope.append(date).append("/").append(region).append("/").append(service).append("/").append(
      kTerminator);

  std::string& sts = result.string_to_sign;
  sts.append(kAlgorithm).append("\n").append(amz_date).append("\n").append(scope).append("\n");
  sts += common::Sha256Hex(creq);

  result.signature = DigestHex(common::HmacSha256(DigestView(key), sts));

  std::string& auth = result.authorization;
  auth.append(kAlgorithm).append(" Credential=").append(access_key_id).append("/").append(scope);
  auth.append(", SignedHeaders=").append(result.signed_headers);
  auth.append(", Signature=").append(result.signature);
  return result;
}

void RemoveHeader(HttpHeaders& headers, std::string_view lower_name) {
  headers.erase(
      std::remove_if(headers.begin(), headers.end(),
                     [&](const auto& header) { return LowerName(header.first) == lower_name; }),
      headers.end());
}

}  // namespace

SigningRules SigningRules::ForService(std::string_view service) {
  SigningRules rules;
  if (service == "s3") {
    rules.normalize_path = false;
    rules.double_encode_path = false;
    rules.content_sha256_header = true;
  }
  return rules;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point time) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[72];  // room for any int, to keep -Wformat-truncation quiet
  std::snprintf(buffer, sizeof(buffer), "%04d%02d%02dT%02d%02d%02dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

std::string CanonicalUri(std::string_view encoded_path, const SigningRules& rules) {
  if (encoded_path.empty()) return "/";
  std::string path = rules.normalize_path ? NormalizePath(encoded_path) : std::string(encoded_path);
  if (rules.double_encode_path) return common::UriEncode(path, /*keep_slash=*/true);
  return EncodeOnce(path);
}

std::string CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    const std::string_view piece = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    const std::string_view key = piece.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    // Decode then re-encode; a malformed escape is taken literally (its '%' gets encoded).
    const auto decoded_key = common::UriDecode(key);
    const auto decoded_value = common::UriDecode(value);
    params.emplace_back(common::UriEncode(decoded_key ? *decoded_key : key),
                        common::UriEncode(decoded_value ? *decoded_value : value));
  }
  std::sort(params.begin(),
            params.end());  // by key, then value; std::string compares bytes unsigned
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += key;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  return common::CollapseSpaces(value);
}

common::Sha256Digest DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                                      std::string_view region, std::string_view service) {
  std::string seed = "AWS4";
  seed.append(secret_access_key);
  const common::Sha256Digest k_date = common::HmacSha256(seed, date);
  const common::Sha256Digest k_region = common::HmacSha256(DigestView(k_date), region);
  const common::Sha256Digest k_service = common::HmacSha256(DigestView(k_region), service);
  return common::HmacSha256(DigestView(k_service), kTerminator);
}

SigningResult ComputeSignature(const HttpRequest& request, std::string_view payload_hash,
                               std::string_view access_key_id, std::string_view secret_access_key,
                               std::string_view region, std::string_view service,
                               std::string_view amz_date, const SigningRules& rules) {
  const auto headers = CollectHeaders(
      request.headers, [](const std::string& name) { return !IsUnsignedHeader(name); });
  const auto key = DeriveSigningKey(secret_access_key, amz_date.substr(0, 8), region, service);
  return ComputeWithKey(request, payload_hash, headers, access_key_id, key, region, service,
                        amz_date, rules);
}

SigningResult ComputeSignatureForHeaders(const HttpRequest& request, std::string_view payload_hash,
                                         std::string_view signed_headers,
                                         std::string_view access_key_id,
                                         std::string_view secret_access_key,
                                         std::string_view region, std::string_view service,
                                         std::string_view amz_date, const SigningRules& rules) {
  std::vector<std::string> wanted;
  size_t pos = 0;
  while (pos <= signed_headers.size()) {
    size_t semi = signed_headers.find(';', pos);
    if (semi == std::string_view::npos) semi = signed_headers.size();
    std::string name = LowerName(signed_headers.substr(pos, semi - pos));
    if (!name.empty()) wanted.push_back(std::move(name));
    pos = semi + 1;
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

  auto headers = CollectHeaders(request.headers, [&](const std::string& name) {
    return std::binary_search(wanted.begin(), wanted.end(), name);
  });
  if (headers.size() != wanted.size()) {  // a listed header is missing: sign it as empty
    std::vector<CanonicalHeader> complete;
    complete.reserve(wanted.size());
    size_t next = 0;
    for (const auto& name : wanted) {
      if (next < headers.size() && headers[next].name == name) {
        complete.push_back(std::move(headers[next++]));
      } else {
        complete.push_back({name, std::string()});
      }
    }
    headers = std::move(complete);
  }
  const auto key = DeriveSigningKey(secret_access_key, amz_date.substr(0, 8), region, service);
  return ComputeWithKey(request, payload_hash, headers, access_key_id, key, region, service,
                        amz_date, rules);
}

std::optional<ParsedAuthorization> ParseAuthorization(std::string_view value) {
  value = Trim(value);
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  value.remove_prefix(kAlgorithm.size());
  if (value.empty() || !IsWhitespace(value.front())) return std::nullopt;

  std::optional<std::string_view> credential, signed_headers, signature;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view part = Trim(value.substr(pos, comma - pos));
    pos = comma + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = part.substr(0, eq);
    const std::string_view val = part.substr(eq + 1);
    if (key == "Credential") {
      credential = val;
    } else if (key == "SignedHeaders") {
      signed_headers = val;
    } else if (key == "Signature") {
      signature = val;
    } else {
      return std::nullopt;
    }
  }
  if (!credential || !signed_headers || !signature || signed_headers->empty() ||
      signature->empty()) {
    return std::nullopt;
  }
  // <key id>/<date>/<region>/<service>/aws4_request; the key id itself never holds '/'.
  std::array<std::string_view, 5> scope;
  std::string_view rest = *credential;
  for (size_t i = 0; i < scope.size(); ++i) {
    const size_t slash = rest.find('/');
    if (i + 1 < scope.size()) {
      if (slash == std::string_view::npos) return std::nullopt;
      scope[i] = rest.substr(0, slash);
      rest.remove_prefix(slash + 1);
    } else {
      if (slash != std::string_view::npos) return std::nullopt;
      scope[i] = rest;
    }
  }
  if (scope[4] != kTerminator || scope[0].empty() || scope[1].size() != 8 || scope[2].empty() ||
      scope[3].empty()) {
    return std::nullopt;
  }
  ParsedAuthorization parsed;
  parsed.access_key_id = std::string(scope[0]);
  parsed.date = std::string(scope[1]);
  parsed.region = std::string(scope[2]);
  parsed.service = std::string(scope[3]);
  parsed.signed_headers = std::string(*signed_headers);
  parsed.signature = std::string(*signature);
  return parsed;
}

SigV4Signer::SigV4Signer(std::string region, std::string service)
    : SigV4Signer(region, service, SigningRules::ForService(service)) {}

SigV4Signer::SigV4Signer(std::string region, std::string service, SigningRules rules)
    : region_(std::move(region)), service_(std::move(service)), rules_(rules) {}

uint64_t SigV4Signer::key_derivations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return key_derivations_;
}

common::Sha256Digest SigV4Signer::SigningKey(const Credentials& credentials,
                                             std::string_view date) {
  const std::string& secret = credentials.secret_access_key.Reveal();
  // The fingerprint keeps a key from being reused if a key id ever came with another secret.
  std::string id;
  id.reserve(date.size() + credentials.access_key_id.size() + 24);
  id.append(date).append("/").append(credentials.access_key_id).append("/");
  id += std::to_string(std::hash<std::string_view>{}(secret));
  std::lock_guard<std::mutex> lock(mutex_);
  if (id != cached_key_id_) {
    cached_key_ = DeriveSigningKey(secret, date, region_, service_);
    cached_key_id_ = std::move(id);
    ++key_derivations_;
  }
  return cached_key_;
}

SigningResult SigV4Signer::Sign(HttpRequest& request, const Credentials& credentials,
                                std::chrono::system_clock::time_point now) {
  const std::string amz_date = FormatAmzDate(now);
  SetHeader(request.headers, "Host", request.url.HostHeader());
  SetHeader(request.headers, "X-Amz-Date", amz_date);
  RemoveHeader(request.headers, "x-amz-security-token");
  const std::string& token = credentials.session_token.Reveal();
  if (!token.empty() && rules_.sign_session_token) {
    SetHeader(request.headers, "X-Amz-Security-Token", token);
  }
  const std::string payload_hash = rules_.unsigned_payload ? std::string(kUnsignedPayload)
                                   : request.body.empty()  ? std::string(common::kEmptySha256Hex)
                                                           : common::Sha256Hex(request.body);
  if (rules_.content_sha256_header) {
    SetHeader(request.headers, "x-amz-content-sha256", payload_hash);
  }
  const auto headers = CollectHeaders(
      request.headers, [](const std::string& name) { return !IsUnsignedHeader(name); });
  const auto key = SigningKey(credentials, std::string_view(amz_date).substr(0, 8));
  SigningResult result = ComputeWithKey(request, payload_hash, headers, credentials.access_key_id,
                                        key, region_, service_, amz_date, rules_);
  SetHeader(request.headers, "Authorization", result.authorization);
  if (!token.empty() && !rules_.sign_session_token) {
    SetHeader(request.headers, "X-Amz-Security-Token", token);
  }
  return result;
}

}  // namespace ac::aws
