#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace ac::aws {

/// How the retry policy sees one failed attempt.
enum class FailureClass {
  kNone,          ///< success
  kTransient,     ///< connection failure, 500/502/503/504, RequestTimeout ...
  kTimeout,       ///< connect/read timeout (costs more retry tokens)
  kThrottling,    ///< ThrottlingException, TooManyRequestsException, SlowDown, 429 ...
  kNonRetryable,  ///< everything else (AccessDenied, InvalidRequestException, signature errors)
};

/// Classifies an AWS error code and HTTP status (code may be empty).
FailureClass ClassifyAwsError(int http_status, std::string_view code);

struct RetryOptions {
  int max_attempts = 5;                                ///< total attempts, including the first
  std::chrono::milliseconds base_delay{100};           ///< backoff base for transient errors
  std::chrono::milliseconds throttle_base_delay{500};  ///< backoff base for throttling
  std::chrono::milliseconds max_delay{20'000};         ///< cap of one backoff
  int quota_tokens = 500;                              ///< retry budget per client
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  uint64_t seed = 0;                                   ///< 0: random seed
};

/// AWS "standard" retry mode: full-jitter exponential backoff with a cap, and a per-client retry
/// quota (token bucket) so a sick endpoint is not hammered. Thread-safe; one per service client.
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  /// Decides whether attempt number `attempt` (1-based) that failed with `failure` may be retried;
  /// when yes returns the delay to sleep and takes tokens from the quota.
  std::optional<std::chrono::milliseconds> OnFailure(int attempt, FailureClass failure);
  /// Records a success; `retried_class` is the class of the last retried failure, if any.
  void OnSuccess(std::optional<FailureClass> retried_class);

  int available_tokens() const;
  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  mutable std::mutex mutex_;
  int tokens_;
  std::mt19937_64 rng_;
};

}  // namespace ac::aws
