#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ac::common {

/// A tiny, tolerant reader for the small XML documents AWS sends back (STS replies, S3 errors and
/// listings). It is not a validating parser: it finds elements by (local) tag name, ignoring
/// namespace prefixes, attributes, the XML declaration, comments and DOCTYPE, and decodes entities
/// and CDATA in text. Malformed input never throws: what cannot be found is simply absent.

/// The raw inner content (between start and end tag, not decoded) of the first element named
/// `tag` in `xml`, searching at any depth; an empty view for `<Tag/>`; nullopt when absent or
/// unterminated.
std::optional<std::string_view> FindXmlElement(std::string_view xml, std::string_view tag);

/// The raw inner contents of all elements named `tag`, in document order. Elements nested inside
/// a found element of the same name are not reported separately.
std::vector<std::string_view> FindXmlElements(std::string_view xml, std::string_view tag);

/// The decoded text of the first element named `tag` (entities and CDATA decoded; child markup, if
/// any, is dropped and only its text kept); nullopt when absent.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag);

/// Decodes character data: the five predefined entities, decimal/hex character references
/// (written as UTF-8) and CDATA sections; markup tags are removed, keeping their text. Unknown or
/// malformed references are kept literally.
std::string XmlDecodeText(std::string_view raw);

}  // namespace ac::common
