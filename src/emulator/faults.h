#pragma once

// Deterministic fault injection: every request draws its faults from a counter-based random
// sequence seeded by --fault-seed, so a given seed and request order reproduce the same faults.

#include <atomic>
#include <cstdint>

namespace ac::emulator {

struct FaultOptions {
  int64_t latency_ms = 0;     ///< added to every response
  double throttle_rate = 0;   ///< ThrottlingException (Athena) / SlowDown (S3)
  double error_rate = 0;      ///< HTTP 500 InternalServerException / InternalError
  double drop_rate = 0;       ///< connection closed mid-response
  double bandwidth_mbps = 0;  ///< per-connection cap for S3 bodies (megabits/s); 0 = none
  uint64_t seed = 0;
};

struct FaultDecision {
  bool throttle = false;
  bool error = false;
  bool drop = false;
};

class FaultInjector {
 public:
  explicit FaultInjector(FaultOptions options) : options_(options) {}

  /// The faults of the next request.
  FaultDecision Next();
  const FaultOptions& options() const { return options_; }

  /// Uniform [0, 1) draw `index` of request `request` for `seed` (exposed for tests).
  static double Draw(uint64_t seed, uint64_t request, uint64_t index);

 private:
  FaultOptions options_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace ac::emulator
