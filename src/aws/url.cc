// URL parsing and header-list helpers (src/aws/http.h). The curl transport lives elsewhere.

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "common/error.h"
#include "common/strings.h"

namespace ac::aws {
namespace {

using common::AsciiLower;
using common::EqualsIgnoreCase;

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// Characters RFC 3986 allows unescaped in a path (`pchar` plus '/'), or in a query (plus '?').
bool AllowedInPathOrQuery(char c, bool query) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':  // sub-delims
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
      return true;
    case '?':
      return query;
    default:
      return false;
  }
}

/// Keeps an already-encoded path or query as is, but percent-encodes bytes that may not appear
/// raw in a URL (space, non-ASCII, quotes ...) and a '%' that does not start a valid escape.
std::string EncodeLoose(std::string_view text, bool query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && IsHexDigit(text[i + 1]) && IsHexDigit(text[i + 2])) {
      out.push_back(c);
    } else if (c != '%' && AllowedInPathOrQuery(c, query)) {
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

uint16_t DefaultPort(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

[[noreturn]] void ThrowBadUrl(std::string_view what, std::string_view text, std::string_view why) {
  std::string message = "invalid ";
  message.append(what);
  // A URL with user info may carry a password: never echo it.
  if (text.find('@') == std::string_view::npos && text.size() <= 200) {
    message.append(" '").append(text).append("'");
  }
  message.append(": ").append(why);
  throw common::ConfigError(message);
}

}  // namespace

const std::string* FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

void SetHeader(HttpHeaders& headers, std::string_view name, std::string value) {
  auto it = std::find_if(headers.begin(), headers.end(),
                         [&](const auto& header) { return EqualsIgnoreCase(header.first, name); });
  if (it == headers.end()) {
    headers.emplace_back(std::string(name), std::move(value));
    return;
  }
  it->second = std::move(value);
  // Drop later duplicates so the header has exactly the one value.
  const auto first = it - headers.begin();
  headers.erase(
      std::remove_if(headers.begin() + first + 1, headers.end(),
                     [&](const auto& header) { return EqualsIgnoreCase(header.first, name); }),
      headers.end());
}

Url Url::Parse(std::string_view text, std::string_view what) {
  Url url;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    ThrowBadUrl(what, text, "expected http://host or https://host");
  }
  for (const char c : text.substr(0, scheme_end)) url.scheme.push_back(AsciiLower(c));
  if (url.scheme != "http" && url.scheme != "https") {
    ThrowBadUrl(what, text, "the scheme must be http or https");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) {
    ThrowBadUrl(what, text, "it contains whitespace");
  }
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    ThrowBadUrl(what, text, "a fragment ('#') is not allowed");
  }
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    ThrowBadUrl(what, text, "user information ('user@') is not allowed");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) ThrowBadUrl(what, text, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') ThrowBadUrl(what, text, "unexpected text after the IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
    if (host.empty() ||
        host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      ThrowBadUrl(what, text, "malformed IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    for (const char c : host) {
      if (!IsAlnum(c) && c != '-' && c != '.' && c != '_') {
        ThrowBadUrl(what, text, "the host name has an invalid character");
      }
    }
  }
  if (host.empty()) ThrowBadUrl(what, text, "the host is empty");
  for (const char c : host) url.host.push_back(AsciiLower(c));

  if (has_port) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        value == 0 || value > 65535) {
      ThrowBadUrl(what, text, "the port must be a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(value);
  }

  const size_t question = path_and_query.find('?');
  std::string_view path = path_and_query.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : path_and_query.substr(question + 1);
  url.path = path.empty() ? std::string("/") : EncodeLoose(path, /*query=*/false);
  url.query = EncodeLoose(query, /*query=*/true);
  return url;
}

std::string Url::HostHeader() const {
  std::string out;
  const bool ipv6 = host.find(':') != std::string::npos;
  if (ipv6) out.push_back('[');
  out += host;
  if (ipv6) out.push_back(']');
  if (port != 0 && port != DefaultPort(scheme)) {
    out.push_back(':');
    out += std::to_string(port);
  }
  return out;
}

std::string Url::ToString() const {
  std::string out = scheme;
  out += "://";
  out += HostHeader();
  if (path.empty() || path.front() != '/') out.push_back('/');
  out += path;
  if (!query.empty()) {
    out.push_back('?');
    out += query;
  }
  return out;
}

}  // namespace ac::aws
