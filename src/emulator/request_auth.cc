#include "emulator/request_auth.h"

#include <cctype>
#include <ctime>
#include <optional>

#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "common/strings.h"

namespace ac::emulator {
namespace {

using common::EqualsIgnoreCase;

const std::string* Header(const IncomingRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Raw query parameters (names and values URL-decoded).
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view part = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    const std::string_view k = part.substr(0, eq);
    const std::string_view v =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace_back(common::UriDecode(k).value_or(std::string(k)),
                     common::UriDecode(v).value_or(std::string(v)));
  }
  return out;
}

std::string FormatAmz(std::chrono::system_clock::time_point t) {
  return aws::FormatAmzDate(t);
}

}  // namespace

bool ParseAmzDate(std::string_view text, std::chrono::system_clock::time_point* out) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  auto num = [&](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return false;
  }
  *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

RequestVerifier::RequestVerifier(std::map<std::string, std::string> secrets_by_key_id,
                                 std::string region, Clock clock)
    : secrets_(std::move(secrets_by_key_id)), region_(std::move(region)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

AuthResult RequestVerifier::Verify(const IncomingRequest& request, std::string_view service) const {
  AuthResult result;
  const auto now = clock_();
  result.server_time = FormatAmz(now);
  const size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  const std::string query = qmark == std::string::npos ? "" : request.target.substr(qmark + 1);

  std::string access_key, date_scope, region, scope_service, signed_headers, signature, amz_date;
  std::string canonical_query = query;
  bool presigned = false;
  std::chrono::seconds expires{0};
  const std::string* authorization = Header(request, "authorization");
  if (authorization != nullptr) {
    auto parsed = aws::ParseAuthorization(*authorization);
    if (!parsed) {
      result.failure = AuthFailure::kMalformed;
      result.message =
          "Authorization header requires 'Credential', 'Signature' and "
          "'SignedHeaders' parameters (AWS4-HMAC-SHA256).";
      return result;
    }
    access_key = parsed->access_key_id;
    date_scope = parsed->date;
    region = parsed->region;
    scope_service = parsed->service;
    signed_headers = parsed->signed_headers;
    signature = parsed->signature;
    const std::string* date = Header(request, "x-amz-date");
    if (date == nullptr) {
      result.failure = AuthFailure::kMalformed;
      result.message = "AWS authentication requires a valid Date or x-amz-date header";
      return result;
    }
    amz_date = *date;
  } else {
    std::string algorithm, credential, expires_text;
    auto params = ParseQuery(query);
    for (const auto& [k, v] : params) {
      if (k == "X-Amz-Algorithm")
        algorithm = v;
      else if (k == "X-Amz-Credential")
        credential = v;
      else if (k == "X-Amz-Date")
        amz_date = v;
      else if (k == "X-Amz-Expires")
        expires_text = v;
      else if (k == "X-Amz-SignedHeaders")
        signed_headers = v;
      else if (k == "X-Amz-Signature")
        signature = v;
    }
    if (algorithm.empty() && signature.empty()) {
      result.failure = AuthFailure::kMissing;
      result.message = "Missing Authentication Token";
      return result;
    }
    presigned = true;
    auto parsed =
        aws::ParseAuthorization("AWS4-HMAC-SHA256 Credential=" + credential +
                                ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
    if (algorithm != "AWS4-HMAC-SHA256" || !parsed || amz_date.empty()) {
      result.failure = AuthFailure::kMalformed;
      result.message =
          "Query-string authentication version 4 requires the X-Amz-Algorithm, "
          "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
          "X-Amz-Expires parameters.";
      return result;
    }
    access_key = parsed->access_key_id;
    date_scope = parsed->date;
    region = parsed->region;
    scope_service = parsed->service;
    try {
      expires = std::chrono::seconds(std::stol(expires_text.empty() ? "0" : expires_text));
    } catch (const std::exception&) {
      expires = std::chrono::seconds(0);
    }
    // The signature itself is not part of the canonical query.
    canonical_query.clear();
    size_t pos = 0;
    while (pos <= query.size()) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      const std::string part = query.substr(pos, amp - pos);
      pos = amp + 1;
      if (part.empty() || part.rfind("X-Amz-Signature=", 0) == 0) continue;
      if (!canonical_query.empty()) canonical_query += '&';
      canonical_query += part;
    }
  }
  result.access_key_id = access_key;
  result.request_time = amz_date;
  result.region = region;
  result.signature_provided = signature;

  auto secret = secrets_.find(access_key);
  if (secret == secrets_.end()) {
    result.failure = AuthFailure::kUnknownKey;
    result.message = "The AWS Access Key Id you provided does not exist in our records.";
    return result;
  }
  std::chrono::system_clock::time_point request_time;
  if (!ParseAmzDate(amz_date, &request_time) || amz_date.substr(0, 8) != date_scope) {
    result.failure = AuthFailure::kMalformed;
    result.message =
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
        "date from HTTP: '" +
        date_scope + "' != '" + amz_date.substr(0, 8) + "'";
    return result;
  }
  if (presigned) {
    if (now > request_time + expires) {
      result.failure = AuthFailure::kExpired;
      result.message = "Request has expired";
      return result;
    }
    if (request_time - now > kMaxSkew) {
      result.failure = AuthFailure::kSkewed;
      result.message = "Request is not valid yet";
      return result;
    }
  } else if (now - request_time > kMaxSkew || request_time - now > kMaxSkew) {
    result.failure = AuthFailure::kSkewed;
    const std::string earliest = FormatAmz(now - kMaxSkew);
    const std::string latest = FormatAmz(now + kMaxSkew);
    if (request_time < now) {
      result.message = "Signature expired: " + amz_date + " is now earlier than " + earliest +
                       " (" + result.server_time + " - 15 min.)";
    } else {
      result.message = "Signature not yet current: " + amz_date + " is still later than " + latest +
                       " (" + result.server_time + " + 15 min.)";
    }
    return result;
  }
  if (scope_service != service) {
    result.failure = AuthFailure::kWrongService;
    result.message =
        "Credential should be scoped to correct service: '" + std::string(service) + "'. ";
    return result;
  }
  if (region != region_) {
    result.failure = AuthFailure::kWrongRegion;
    result.message = "Credential should be scoped to a valid region. the region '" + region +
                     "' is wrong; expecting '" + region_ + "'";
    return result;
  }

  std::string payload_hash;
  if (service == "s3") {
    if (presigned) {
      payload_hash = std::string(aws::kUnsignedPayload);
    } else if (const std::string* h = Header(request, "x-amz-content-sha256")) {
      payload_hash = *h;
      if (payload_hash != aws::kUnsignedPayload && payload_hash.rfind("STREAMING-", 0) != 0) {
        if (payload_hash != common::Sha256Hex(request.body)) {
          result.failure = AuthFailure::kPayloadMismatch;
          result.message =
              "The provided 'x-amz-content-sha256' header does not match what was "
              "computed.";
          return result;
        }
      }
    } else {
      payload_hash = common::Sha256Hex(request.body);
    }
  } else {
    payload_hash = common::Sha256Hex(request.body);
  }

  aws::HttpRequest canonical;
  canonical.method = request.method;
  canonical.url.scheme = "http";
  canonical.url.path = path.empty() ? "/" : path;
  canonical.url.query = canonical_query;
  if (const std::string* host = Header(request, "host")) canonical.url.host = *host;
  for (const auto& [k, v] : request.headers) canonical.headers.emplace_back(k, v);
  const aws::SigningRules rules = aws::SigningRules::ForService(service);
  const aws::SigningResult expected =
      aws::ComputeSignatureForHeaders(canonical, payload_hash, signed_headers, access_key,
                                      secret->second, region, scope_service, amz_date, rules);
  if (!ConstantTimeEquals(expected.signature, signature)) {
    result.failure = AuthFailure::kBadSignature;
    result.message =
        "The request signature we calculated does not match the signature you "
        "provided. Check your AWS Secret Access Key and signing method. Consult the "
        "service documentation for details.";
    result.string_to_sign = expected.string_to_sign;
    result.canonical_request = expected.canonical_request;
    return result;
  }
  return result;
}

}  // namespace ac::emulator
