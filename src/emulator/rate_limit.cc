#include "emulator/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace ac::emulator {

RateLimiter::RateLimiter(RateLimitOptions options, Clock clock)
    : rate_(std::max(0.0, options.rate)),
      capacity_(options.burst > 0 ? static_cast<double>(options.burst)
                                  : std::max(1.0, std::floor(rate_))),
      clock_(std::move(clock)) {}

bool RateLimiter::TryAcquire(std::string_view action) {
  if (!enabled()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_();  // read under the lock: each bucket sees its time move forward
  auto it = actions_.find(action);
  if (it == actions_.end()) {
    it = actions_
             .emplace(std::string(action),
                      Action{common::TokenBucket(rate_, capacity_, now.time_since_epoch()), 0})
             .first;
  }
  if (it->second.bucket.TryTake(now.time_since_epoch())) return true;
  ++it->second.throttled;
  return false;
}

std::map<std::string, uint64_t> RateLimiter::Throttled() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [name, action] : actions_) {
    if (action.throttled > 0) out.emplace(name, action.throttled);
  }
  return out;
}

}  // namespace ac::emulator
