#include "emulator/faults.h"

namespace ac::emulator {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

double FaultInjector::Draw(uint64_t seed, uint64_t request, uint64_t index) {
  const uint64_t bits = SplitMix64(SplitMix64(seed) ^ SplitMix64(request * 4 + index));
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

FaultDecision FaultInjector::Next() {
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  FaultDecision d;
  d.throttle = options_.throttle_rate > 0 && Draw(options_.seed, n, 0) < options_.throttle_rate;
  d.error =
      !d.throttle && options_.error_rate > 0 && Draw(options_.seed, n, 1) < options_.error_rate;
  d.drop = options_.drop_rate > 0 && Draw(options_.seed, n, 2) < options_.drop_rate;
  return d;
}

}  // namespace ac::emulator
