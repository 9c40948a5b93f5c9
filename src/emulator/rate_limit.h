#pragma once

// Rate-based throttling as AWS does it: every API action has its own token bucket, refilled
// continuously at `rate` tokens a second up to `burst` tokens and starting full; a request that
// finds its bucket empty is throttled and takes nothing. The clock is injectable (tests).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/token_bucket.h"

namespace ac::emulator {

struct RateLimitOptions {
  double rate = 0;    ///< tokens (requests) a second per action; 0 = no rate limit
  int64_t burst = 0;  ///< bucket capacity; 0 = max(1, rate) (rounded down)
};

/// A token bucket per action name (thread-safe). Disabled (everything passes) when rate is 0.
class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit RateLimiter(RateLimitOptions options, Clock clock = std::chrono::steady_clock::now);

  bool enabled() const { return rate_ > 0; }
  double rate() const { return rate_; }
  double burst() const { return capacity_; }

  /// Takes a token from `action`'s bucket; false when it is empty (a throttle, nothing taken).
  bool TryAcquire(std::string_view action);
  /// Requests throttled so far, by action (actions never throttled are absent).
  std::map<std::string, uint64_t> Throttled() const;

 private:
  struct Action {
    common::TokenBucket bucket;
    uint64_t throttled = 0;
  };

  double rate_;
  double capacity_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, Action, std::less<>> actions_;
};

}  // namespace ac::emulator
