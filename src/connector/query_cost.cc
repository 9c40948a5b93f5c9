#include "connector/query_cost.h"

#include <fmt/format.h>

namespace ac::connector {
namespace {

constexpr int64_t kMegabyte = int64_t{1} << 20;
constexpr int64_t kMinimumBilledBytes = 10 * kMegabyte;
constexpr double kTerabyte = 1099511627776.0;  // 2^40

}  // namespace

int64_t BilledBytes(int64_t scanned_bytes) {
  const int64_t whole_megabytes = (std::max<int64_t>(scanned_bytes, 0) + kMegabyte - 1) / kMegabyte;
  return std::max(kMinimumBilledBytes, whole_megabytes * kMegabyte);
}

void QueryCost::Add(int64_t scanned, bool reused) {
  ++queries;
  if (reused) return;
  scanned_bytes += std::max<int64_t>(scanned, 0);
  billed_bytes += BilledBytes(scanned);
}

double QueryCost::Usd() const {
  return static_cast<double>(billed_bytes) / kTerabyte * usd_per_tb;
}

std::string QueryCost::Describe() const {
  return fmt::format("{} quer{}, {} scanned, {} billed, ${:.4f} at ${:.2f}/TB", queries,
                     queries == 1 ? "y" : "ies", FormatBytes(scanned_bytes),
                     FormatBytes(billed_bytes), Usd(), usd_per_tb);
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace ac::connector
