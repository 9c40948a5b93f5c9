#include "common/sql_quote.h"

namespace ac::common {
namespace {

std::string Quote(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (const char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}

}  // namespace

std::string QuoteLiteral(std::string_view text) {
  return Quote(text, '\'');
}

std::string QuoteIdentifier(std::string_view name) {
  return Quote(name, '"');
}

std::string QuoteDdlIdentifier(std::string_view name) {
  return Quote(name, '`');
}

}  // namespace ac::common
