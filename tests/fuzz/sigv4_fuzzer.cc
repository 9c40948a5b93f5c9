// SigV4 canonicalisation (aws/sigv4.h) of arbitrary requests, and URL parsing (aws::Url).
//
// Checks: URL parsing either refuses with a ConfigError or gives a URL whose text parses back to
// the same URL; signing never fails, and the verifier's computation (ComputeSignatureForHeaders
// over the SignedHeaders the signer chose, as athena-local verifies) finds the same signature; an
// Authorization header the signer wrote parses back to its parts.
//
// Input: byte 0 = bit 0 S3 rules (path as is, x-amz-content-sha256); then lines: method, URL (as
// a configuration would give it), raw path, raw query, headers as `name:value` up to an empty
// line, then the body.

#include <chrono>
#include <string>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/crypto.h"
#include "common/error.h"
#include "fuzz_input.h"
#include "fuzz_target.h"

namespace {

using ac::aws::HttpRequest;
using ac::aws::SigningRules;
using ac::aws::Url;

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// The same URL; an explicit default port (`:443` of https) is the same as none.
bool SameUrl(const Url& a, const Url& b) {
  const auto port = [](const Url& u) {
    return u.port != 0 ? u.port : (u.scheme == "https" ? 443 : 80);
  };
  return a.scheme == b.scheme && a.host == b.host && port(a) == port(b) && a.path == b.path &&
         a.query == b.query && a.HostHeader() == b.HostHeader();
}

}  // namespace

AC_FUZZ_TARGET(sigv4) {
  ac::fuzz::Input input(data, size);
  const bool s3 = (input.Byte() & 1) != 0;
  HttpRequest request;
  request.method = std::string(input.Line());
  const std::string_view url_text = input.Line();
  const std::string_view path = input.Line();
  const std::string_view query = input.Line();

  try {
    const Url url = Url::Parse(url_text, "endpoint");
    const std::string text = url.ToString();
    const Url again = Url::Parse(text, "endpoint");
    AC_FUZZ_CHECK(SameUrl(url, again));
    AC_FUZZ_CHECK(again.ToString() == text);
    AC_FUZZ_CHECK(!url.HostHeader().empty());
    request.url = url;
  } catch (const ac::common::ConfigError&) {
    request.url.scheme = "https";
    request.url.host = "athena.us-east-1.amazonaws.com";
  }
  // The raw path and query as the request carries them (a service client joins them unparsed).
  if (!path.empty()) request.url.path = std::string(path);
  if (!query.empty()) request.url.query = std::string(query);

  while (!input.empty()) {
    const std::string_view line = input.Line();
    if (line.empty()) break;
    const size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    if (name.empty() || colon == std::string_view::npos) continue;
    bool token = true;
    for (const char c : name) token = token && IsTokenChar(c);
    if (!token) continue;  // not a header name any HTTP peer would send
    request.headers.emplace_back(std::string(name), std::string(line.substr(colon + 1)));
  }
  request.body = std::string(input.rest());

  const SigningRules rules = SigningRules::ForService(s3 ? "s3" : "athena");
  (void)ac::aws::CanonicalUri(request.url.path, rules);
  (void)ac::aws::CanonicalQuery(request.url.query);
  for (const auto& header : request.headers) (void)ac::aws::CanonicalHeaderValue(header.second);

  ac::aws::Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = ac::common::Secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  if (size % 2) credentials.session_token = ac::common::Secret("session-token");
  ac::aws::SigV4Signer signer("us-east-1", s3 ? "s3" : "athena", rules);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  const ac::aws::SigningResult signed_request = signer.Sign(request, credentials, now);

  const std::string* amz_date = ac::aws::FindHeader(request.headers, "x-amz-date");
  AC_FUZZ_CHECK(amz_date != nullptr);
  const std::string* content_hash = ac::aws::FindHeader(request.headers, "x-amz-content-sha256");
  const std::string payload_hash =
      s3 && content_hash != nullptr ? *content_hash : ac::common::Sha256Hex(request.body);
  const ac::aws::SigningResult verified = ac::aws::ComputeSignatureForHeaders(
      request, payload_hash, signed_request.signed_headers, credentials.access_key_id,
      credentials.secret_access_key.Reveal(), "us-east-1", s3 ? "s3" : "athena", *amz_date, rules);
  AC_FUZZ_CHECK(verified.canonical_request == signed_request.canonical_request);
  AC_FUZZ_CHECK(verified.signature == signed_request.signature);

  const std::string* authorization = ac::aws::FindHeader(request.headers, "authorization");
  AC_FUZZ_CHECK(authorization != nullptr);
  const auto parsed = ac::aws::ParseAuthorization(*authorization);
  AC_FUZZ_CHECK(parsed.has_value());
  AC_FUZZ_CHECK(parsed->signature == signed_request.signature);
  AC_FUZZ_CHECK(parsed->signed_headers == signed_request.signed_headers);
  for (const auto& header : request.headers) (void)ac::aws::ParseAuthorization(header.second);
  return 0;
}
