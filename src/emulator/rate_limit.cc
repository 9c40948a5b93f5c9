#include "emulator/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace ac::emulator {
namespace {

// Refills are computed in floating point: a token due exactly now must not be missed by a
// rounding error (rate 3 after 1/3 s gives 0.999...).
constexpr double kTokenEpsilon = 1e-9;

}  // namespace

void TokenBucket::Refill(TimePoint now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + seconds * rate_);
  last_ = now;
}

bool TokenBucket::TryTake(TimePoint now) {
  Refill(now);
  if (tokens_ + kTokenEpsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

double TokenBucket::Tokens(TimePoint now) {
  Refill(now);
  return tokens_;
}

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
    it = actions_.emplace(std::string(action), Action{TokenBucket(rate_, capacity_, now), 0}).first;
  }
  if (it->second.bucket.TryTake(now)) return true;
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
