#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace ac::common {

/// A secret value (secret access key, session token). Printing or formatting it shows `***`;
/// only Reveal() gives the value, and only code that signs or sends it calls Reveal().
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret& other) const = default;

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

 private:
  std::string value_;
};

}  // namespace ac::common

template <>
struct fmt::formatter<ac::common::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const ac::common::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format("***", ctx);
  }
};
