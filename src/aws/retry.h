#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "common/clock.h"

namespace ac::aws {

/// How the retry policy sees one failed attempt (ClassifyAwsError in aws_error.h tells it for an
/// AWS error response).
enum class FailureClass {
  kNone,          ///< success
  kTransient,     ///< connection failure, 500/502/503/504, RequestTimeout ...
  kTimeout,       ///< connect/read timeout (costs more retry tokens)
  kThrottling,    ///< ThrottlingException, TooManyRequestsException, SlowDown, 429 ...
  kNonRetryable,  ///< everything else (AccessDenied, InvalidRequestException, signature errors)
};

struct RetryOptions {
  int max_attempts = 5;                                ///< total attempts, including the first
  std::chrono::milliseconds base_delay{100};           ///< backoff base for transient errors
  std::chrono::milliseconds throttle_base_delay{500};  ///< backoff base for throttling
  std::chrono::milliseconds max_delay{20'000};         ///< cap of one backoff
  int quota_tokens = 500;                              ///< retry budget per client
  /// Longest a throttled operation waits above its requests for a service quota to free up
  /// (OnQuotaWait: Athena's active-query quota), counted from its first throttled answer.
  std::chrono::milliseconds max_quota_wait{15 * 60 * 1000};
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  uint64_t seed = 0;  ///< 0: random seed
};

/// AWS "standard" retry mode: full-jitter exponential backoff with a cap, and a per-client retry
/// quota (token bucket) so a sick endpoint is not hammered. Thread-safe; one per service client
/// (a sync shares one between its Athena and S3 clients). Every retry decision of this project
/// goes through it: ServiceClient's requests, and through RetryAttempts the loops above it.
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  /// Decides whether attempt number `attempt` (1-based) that failed with `failure` may be retried;
  /// when yes returns the delay to sleep and takes tokens from the quota.
  std::optional<std::chrono::milliseconds> OnFailure(int attempt, FailureClass failure);
  /// The same for an operation with an attempt limit of its own (query_max_attempts) instead of
  /// options().max_attempts.
  std::optional<std::chrono::milliseconds> OnFailure(int attempt, FailureClass failure,
                                                     int max_attempts);
  /// Records a success; `retried_class` is the class of the last retried failure, if any.
  void OnSuccess(std::optional<FailureClass> retried_class);
  /// An operation throttled by a service quota even after its requests' own retries (Athena's
  /// active-query quota: StartQueryExecution answers TooManyRequestsException until a running
  /// query ends) waits for capacity: the delay before its `wait`-th (1-based) renewed try when it
  /// has been waiting for `waited` — the throttling backoff (full jitter below
  /// min(throttle_base_delay x 2^(wait-1), max_delay)), clipped to what is left of max_quota_wait
  /// — or nullopt once max_quota_wait is used up. No attempt limit and no tokens: the backoff
  /// itself paces these tries, and a wait for capacity must not drain the budget the other
  /// requests of the sync (the other tables) retry transient failures with.
  std::optional<std::chrono::milliseconds> OnQuotaWait(int wait, std::chrono::milliseconds waited);

  int available_tokens() const;
  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  mutable std::mutex mutex_;
  int tokens_;
  std::mt19937_64 rng_;
};

/// The attempts of one operation retried above ServiceClient, where a ServiceClient request
/// cannot retry by itself: a download whose body broke after some bytes (resumed from the first
/// missing byte), a query Athena failed as retryable (resubmitted). Each retry is decided by the
/// policy (attempt limit, backoff, quota); the backoff is slept on `clock`.
class RetryAttempts {
 public:
  /// `what` names the operation in the cancellation message; `max_attempts` 0 = the policy's.
  RetryAttempts(RetryPolicy& policy, common::Clock& clock, const common::CancellationToken* cancel,
                std::string what, int max_attempts = 0);

  /// 1-based number of the attempt under way.
  int attempt() const { return attempt_; }
  /// The attempt under way failed with `failure`: when the policy allows another, sleeps its
  /// backoff, moves to the next attempt and returns true; false otherwise. Throws
  /// common::CancelledError when cancelled while waiting.
  bool Retry(FailureClass failure);
  /// The operation succeeded: after retries, refunds the quota as the policy says (the requests
  /// themselves were counted by their ServiceClient).
  void Succeeded();
  /// The attempt under way was throttled by a service quota (its requests' own retries used up):
  /// while the policy's max_quota_wait, counted on the clock from the first such call, is not used
  /// up, sleeps the policy's quota backoff (OnQuotaWait) and returns true to try again — the same
  /// attempt, attempt() does not move. Returns false once the wait is over. Throws
  /// common::CancelledError when cancelled while waiting.
  bool WaitForQuota();
  /// How long this operation has waited for a quota so far (0 before the first WaitForQuota).
  std::chrono::milliseconds quota_waited() const;

 private:
  RetryPolicy& policy_;
  common::Clock& clock_;
  const common::CancellationToken* cancel_;
  std::string what_;
  int max_attempts_;
  int attempt_ = 1;
  std::optional<FailureClass> retried_;
  int quota_waits_ = 0;
  std::optional<common::SystemTimePoint> quota_wait_started_;
};

}  // namespace ac::aws
