#pragma once

// A service's per-account API rate quota for tests of the adaptive send rate: a token bucket of
// `rate` requests/s holding `burst` tokens, full at first; a request that finds it empty is
// throttled and takes nothing (as Athena's "Rate exceeded", spec athena-wire.md).

#include <algorithm>
#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace ac::aws::testing {

class QuotaBucket {
 public:
  QuotaBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  /// Whether a request arriving at `at` is throttled.
  bool Throttles(common::SystemTimePoint at) {
    const double now = std::chrono::duration<double>(at.time_since_epoch()).count();
    std::lock_guard<std::mutex> lock(mutex_);
    if (last_ > 0 && now > last_) tokens_ = std::min(burst_, tokens_ + (now - last_) * rate_);
    last_ = std::max(last_, now);
    if (tokens_ < 1) return true;
    tokens_ -= 1;
    return false;
  }

 private:
  std::mutex mutex_;
  double rate_;
  double burst_;
  double tokens_;
  double last_ = 0;
};

}  // namespace ac::aws::testing
