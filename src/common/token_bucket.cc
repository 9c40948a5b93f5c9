#include "common/token_bucket.h"

#include <algorithm>

namespace ac::common {
namespace {

// Refills are computed in floating point: a token due exactly now must not be missed by a
// rounding error (rate 3 after 1/3 s gives 0.999...).
constexpr double kTokenEpsilon = 1e-9;

}  // namespace

void TokenBucket::Refill(std::chrono::nanoseconds now) {
  if (now <= last_) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + seconds * rate_);
  last_ = now;
}

bool TokenBucket::TryTake(std::chrono::nanoseconds now) {
  Refill(now);
  if (tokens_ + kTokenEpsilon < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

double TokenBucket::Tokens(std::chrono::nanoseconds now) {
  Refill(now);
  return tokens_;
}

}  // namespace ac::common
