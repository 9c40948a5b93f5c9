// AWS "standard" retry mode (botocore retries/standard.py + quota.py; spec athena-wire.md §6).
//
// * Classification: ClassifyAwsError (aws_error.cc), the one place AWS error codes are read.
// * Backoff: full jitter, delay = rand[0,1) x min(base x 2^(attempt-1), max_delay), with base =
//   throttle_base_delay for throttling and base_delay otherwise.
// * Quota: a bucket of quota_tokens per client. A retry costs retry_cost (timeout_retry_cost for a
//   timeout); an empty bucket means no retry. A success without retries refunds 1 token; a success
//   after retries refunds the cost of the last retry. The bucket never exceeds quota_tokens.
// * Quota waits (above the requests, e.g. StartQueryExecution while Athena's active-query quota is
//   full): the throttling backoff without attempt limit or tokens, bounded by max_quota_wait.

#include "aws/retry.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace ac::aws {

RetryPolicy::RetryPolicy(RetryOptions options)
    : options_(options),
      tokens_(options.quota_tokens),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(int attempt, FailureClass failure) {
  return OnFailure(attempt, failure, options_.max_attempts);
}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(int attempt, FailureClass failure,
                                                                int max_attempts) {
  if (failure == FailureClass::kNone || failure == FailureClass::kNonRetryable) return std::nullopt;
  if (attempt < 1 || attempt >= max_attempts) return std::nullopt;
  const int cost =
      failure == FailureClass::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;

  const auto base =
      failure == FailureClass::kThrottling ? options_.throttle_base_delay : options_.base_delay;
  const double max_ms = static_cast<double>(std::max<int64_t>(options_.max_delay.count(), 0));
  // 2^(attempt-1) overflows nothing as a double; the cap keeps the product finite and bounded.
  const double ceiling_ms = std::min(static_cast<double>(std::max<int64_t>(base.count(), 0)) *
                                         std::ldexp(1.0, std::min(attempt - 1, 1000)),
                                     max_ms);

  std::lock_guard<std::mutex> lock(mutex_);
  if (tokens_ < cost) return std::nullopt;
  tokens_ -= cost;
  double unit = std::generate_canonical<double, 53>(rng_);
  if (unit >= 1.0) unit = std::nextafter(1.0, 0.0);  // LWG 2524: keep it in [0, 1)
  return std::chrono::milliseconds(static_cast<int64_t>(std::floor(unit * ceiling_ms)));
}

void RetryPolicy::OnSuccess(std::optional<FailureClass> retried_class) {
  int refund = 1;
  if (retried_class.has_value()) {
    refund = *retried_class == FailureClass::kTimeout ? options_.timeout_retry_cost
                                                      : options_.retry_cost;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::min(options_.quota_tokens, tokens_ + refund);
}

std::optional<std::chrono::milliseconds> RetryPolicy::OnQuotaWait(
    int wait, std::chrono::milliseconds waited) {
  const auto left = options_.max_quota_wait - waited;
  if (wait < 1 || left <= std::chrono::milliseconds::zero()) return std::nullopt;
  const double max_ms = static_cast<double>(std::max<int64_t>(options_.max_delay.count(), 0));
  const double ceiling_ms =
      std::min(static_cast<double>(std::max<int64_t>(options_.throttle_base_delay.count(), 0)) *
                   std::ldexp(1.0, std::min(wait - 1, 1000)),
               max_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  double unit = std::generate_canonical<double, 53>(rng_);
  if (unit >= 1.0) unit = std::nextafter(1.0, 0.0);  // LWG 2524: keep it in [0, 1)
  const std::chrono::milliseconds delay(static_cast<int64_t>(std::floor(unit * ceiling_ms)));
  return std::min(delay, left);
}

int RetryPolicy::available_tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_;
}

RetryAttempts::RetryAttempts(RetryPolicy& policy, common::Clock& clock,
                             const common::CancellationToken* cancel, std::string what,
                             int max_attempts)
    : policy_(policy),
      clock_(clock),
      cancel_(cancel),
      what_(std::move(what)),
      max_attempts_(max_attempts > 0 ? max_attempts : policy.options().max_attempts) {}

bool RetryAttempts::Retry(FailureClass failure) {
  const std::optional<std::chrono::milliseconds> delay =
      policy_.OnFailure(attempt_, failure, max_attempts_);
  if (!delay) return false;
  retried_ = failure;
  if (clock_.SleepFor(*delay, cancel_)) {
    throw common::CancelledError(what_ + " cancelled while waiting to retry");
  }
  ++attempt_;
  return true;
}

void RetryAttempts::Succeeded() {
  if (retried_) policy_.OnSuccess(retried_);
}

bool RetryAttempts::WaitForQuota() {
  if (!quota_wait_started_) quota_wait_started_ = clock_.Now();
  const std::optional<std::chrono::milliseconds> delay =
      policy_.OnQuotaWait(quota_waits_ + 1, quota_waited());
  if (!delay) return false;
  ++quota_waits_;
  if (clock_.SleepFor(*delay, cancel_)) {
    throw common::CancelledError(what_ + " cancelled while waiting for capacity");
  }
  return true;
}

std::chrono::milliseconds RetryAttempts::quota_waited() const {
  if (!quota_wait_started_) return std::chrono::milliseconds::zero();
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - *quota_wait_started_);
}

}  // namespace ac::aws
