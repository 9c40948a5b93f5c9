#pragma once
// Loop detection for paginated APIs: a server that hands out a token it already gave (the same
// one again, or a cycle) would otherwise keep a listing going forever.

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/error.h"

namespace ac::common {

/// The tokens of one listing. Keeps a 64-bit hash per token (a listing of millions of pages stays
/// small); two different tokens sharing a hash is far less likely than any real failure.
class PageTokens {
 public:
  /// `what` names the listing in the error, e.g. "Athena GetQueryResults of <id>".
  explicit PageTokens(std::string what) : what_(std::move(what)) {}

  /// Records the token of the next page ("" = no more pages, always accepted). Throws
  /// common::ProtocolError when `token` was already handed out in this listing.
  void Next(std::string_view token) {
    if (token.empty()) return;
    ++pages_;
    if (!seen_.insert(std::hash<std::string_view>{}(token)).second) {
      throw ProtocolError(fmt::format(
          "{} returned a NextToken it had already returned (after {} pages): the pagination "
          "loops",
          what_, pages_));
    }
  }

 private:
  std::string what_;
  std::unordered_set<uint64_t> seen_;
  int64_t pages_ = 0;
};

}  // namespace ac::common
