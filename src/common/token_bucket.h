#pragma once

// A token bucket as AWS's per-account API rate quotas work: `capacity` tokens, refilled
// continuously at `rate` a second and full at first; a request that finds fewer than one token is
// refused and takes nothing. Times are any clock's time_since_epoch() (the bucket only compares
// them), so a steady clock and a test's fake clock both drive it. Not thread-safe.

#include <chrono>

namespace ac::common {

class TokenBucket {
 public:
  TokenBucket(double rate, double capacity, std::chrono::nanoseconds now)
      : rate_(rate), capacity_(capacity), tokens_(capacity), last_(now) {}

  /// Takes one token at `now`; false (nothing taken) when fewer than one is left.
  bool TryTake(std::chrono::nanoseconds now);
  /// The tokens left at `now` (refilled, capped at the capacity).
  double Tokens(std::chrono::nanoseconds now);

 private:
  void Refill(std::chrono::nanoseconds now);

  double rate_;
  double capacity_;
  double tokens_;
  std::chrono::nanoseconds last_;
};

}  // namespace ac::common
