#include "common/xml.h"

#include <cstdint>

namespace ac::common {
namespace {

enum class TokenKind { kOpen, kSelfClosing, kClose, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view local_name;  ///< tag name without namespace prefix
  size_t begin = 0;             ///< offset of '<'
  size_t end = 0;               ///< offset just past '>'
};

bool IsNameEnd(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>';
}

std::string_view LocalName(std::string_view name) {
  size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

/// Offset just past `terminator` searched from `from`, or npos.
size_t SkipPast(std::string_view xml, size_t from, std::string_view terminator) {
  size_t found = xml.find(terminator, from);
  return found == std::string_view::npos ? std::string_view::npos : found + terminator.size();
}

/// Offset just past the '>' closing a tag that starts at `from`, honouring quoted attribute
/// values; npos when unterminated.
size_t SkipTag(std::string_view xml, size_t from) {
  char quote = 0;
  for (size_t i = from; i < xml.size(); ++i) {
    char c = xml[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

/// The next start/end tag at or after `pos`, skipping comments, CDATA, declarations and
/// processing instructions.
Token NextTag(std::string_view xml, size_t pos) {
  Token token;
  while (pos < xml.size()) {
    size_t lt = xml.find('<', pos);
    if (lt == std::string_view::npos) return token;
    std::string_view rest = xml.substr(lt);
    size_t next;
    if (rest.starts_with("<!--")) {
      next = SkipPast(xml, lt + 4, "-->");
    } else if (rest.starts_with("<![CDATA[")) {
      next = SkipPast(xml, lt + 9, "]]>");
    } else if (rest.starts_with("<!") || rest.starts_with("<?")) {
      next = SkipTag(xml, lt + 2);
    } else {
      bool closing = rest.size() > 1 && rest[1] == '/';
      size_t name_begin = lt + (closing ? 2 : 1);
      size_t name_end = name_begin;
      while (name_end < xml.size() && !IsNameEnd(xml[name_end])) ++name_end;
      size_t end = SkipTag(xml, name_end);
      if (end == std::string_view::npos) return token;
      if (name_end == name_begin) {  // "< " or "<>": not a tag, keep scanning
        pos = end;
        continue;
      }
      token.local_name = LocalName(xml.substr(name_begin, name_end - name_begin));
      token.begin = lt;
      token.end = end;
      if (closing) {
        token.kind = TokenKind::kClose;
      } else if (end >= 2 && xml[end - 2] == '/') {
        token.kind = TokenKind::kSelfClosing;
      } else {
        token.kind = TokenKind::kOpen;
      }
      return token;
    }
    if (next == std::string_view::npos) return token;
    pos = next;
  }
  return token;
}

/// Finds the first element named `tag` at or after `pos`; on success sets `inner` and `after`
/// (the offset just past the element).
bool FindFrom(std::string_view xml, std::string_view tag, size_t pos, std::string_view& inner,
              size_t& after) {
  for (Token token = NextTag(xml, pos); token.kind != TokenKind::kEnd;
       token = NextTag(xml, token.end)) {
    if (token.local_name != tag || token.kind == TokenKind::kClose) continue;
    if (token.kind == TokenKind::kSelfClosing) {
      inner = xml.substr(token.end, 0);
      after = token.end;
      return true;
    }
    size_t inner_begin = token.end;
    int depth = 1;
    for (Token t = NextTag(xml, inner_begin); t.kind != TokenKind::kEnd; t = NextTag(xml, t.end)) {
      if (t.local_name != tag) continue;
      if (t.kind == TokenKind::kOpen) {
        ++depth;
      } else if (t.kind == TokenKind::kClose && --depth == 0) {
        inner = xml.substr(inner_begin, t.begin - inner_begin);
        after = t.end;
        return true;
      }
    }
    return false;  // unterminated
  }
  return false;
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

/// Decodes the reference `name` (between '&' and ';'); false when it is not a valid reference.
bool DecodeReference(std::string_view name, std::string& out) {
  if (name == "amp") {
    out.push_back('&');
  } else if (name == "lt") {
    out.push_back('<');
  } else if (name == "gt") {
    out.push_back('>');
  } else if (name == "quot") {
    out.push_back('"');
  } else if (name == "apos") {
    out.push_back('\'');
  } else if (name.size() >= 2 && name[0] == '#') {
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return false;
    uint32_t value = 0;
    for (char c : digits) {
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (hex && c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (hex && c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
      value = value * (hex ? 16 : 10) + digit;
    }
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
    AppendUtf8(out, value);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> FindXmlElement(std::string_view xml, std::string_view tag) {
  std::string_view inner;
  size_t after = 0;
  if (!FindFrom(xml, tag, 0, inner, after)) return std::nullopt;
  return inner;
}

std::vector<std::string_view> FindXmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> elements;
  std::string_view inner;
  size_t pos = 0;
  size_t after = 0;
  while (FindFrom(xml, tag, pos, inner, after)) {
    elements.push_back(inner);
    pos = after;
  }
  return elements;
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag) {
  std::optional<std::string_view> inner = FindXmlElement(xml, tag);
  if (!inner) return std::nullopt;
  return XmlDecodeText(*inner);
}

std::string XmlDecodeText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c == '<') {
      std::string_view rest = raw.substr(i);
      size_t next;
      if (rest.starts_with("<![CDATA[")) {
        size_t end = raw.find("]]>", i + 9);
        if (end == std::string_view::npos) {
          out.append(raw.substr(i + 9));
          break;
        }
        out.append(raw.substr(i + 9, end - (i + 9)));
        next = end + 3;
      } else if (rest.starts_with("<!--")) {
        next = SkipPast(raw, i + 4, "-->");
      } else {
        next = SkipTag(raw, i + 1);
      }
      if (next == std::string_view::npos) break;
      i = next;
    } else if (c == '&') {
      size_t semicolon = raw.find(';', i + 1);
      if (semicolon != std::string_view::npos && semicolon - i <= 12 &&
          DecodeReference(raw.substr(i + 1, semicolon - i - 1), out)) {
        i = semicolon + 1;
      } else {
        out.push_back('&');
        ++i;
      }
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace ac::common
