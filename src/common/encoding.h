#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ac::common {

/// Lowercase hex of the bytes.
std::string HexEncode(std::string_view bytes);
/// Decodes hex (either case); nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);

/// RFC 3986 percent-encoding as AWS uses it: unreserved A-Za-z0-9-._~ kept, everything else %XX
/// (uppercase). With `keep_slash`, '/' is kept (paths).
std::string UriEncode(std::string_view text, bool keep_slash = false);
void AppendUriEncoded(std::string& out, std::string_view text, bool keep_slash = false);
/// Decodes %XX escapes ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> UriDecode(std::string_view text);

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

/// Escapes text for inclusion in XML character data or attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace ac::common
