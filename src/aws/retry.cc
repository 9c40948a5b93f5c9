// AWS "standard" retry mode (botocore retries/standard.py + quota.py; spec athena-wire.md §6).
//
// * Classification: the error code decides first (a throttling code arrives with HTTP 400 or 503),
//   then the status: 429 throttling; 500/502/503/504 transient; everything else non-retryable.
//   No status at all (0: the request never got a response) is transient.
// * Backoff: full jitter, delay = rand[0,1) x min(base x 2^(attempt-1), max_delay), with base =
//   throttle_base_delay for throttling and base_delay otherwise.
// * Quota: a bucket of quota_tokens per client. A retry costs retry_cost (timeout_retry_cost for a
//   timeout); an empty bucket means no retry. A success without retries refunds 1 token; a success
//   after retries refunds the cost of the last retry. The bucket never exceeds quota_tokens.

#include "aws/retry.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace ac::aws {
namespace {

constexpr std::array<std::string_view, 3> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"};

constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
    "PriorRequestNotComplete"};  // listed in both by botocore; the transient check wins

template <size_t N>
bool Contains(const std::array<std::string_view, N>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

/// "aws.protocoltests#ThrottlingException" and "ThrottlingException:http://..." name the same code.
std::string_view BareCode(std::string_view code) {
  if (const size_t hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (const size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return code;
}

}  // namespace

FailureClass ClassifyAwsError(int http_status, std::string_view code) {
  code = BareCode(code);
  if (!code.empty()) {
    if (Contains(kTransientCodes, code)) return FailureClass::kTransient;
    if (Contains(kThrottlingCodes, code)) return FailureClass::kThrottling;
  }
  if (http_status >= 200 && http_status < 300 && code.empty()) return FailureClass::kNone;
  if (http_status == 0) return FailureClass::kTransient;
  if (http_status == 429) return FailureClass::kThrottling;
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
    return FailureClass::kTransient;
  }
  return FailureClass::kNonRetryable;
}

RetryPolicy::RetryPolicy(RetryOptions options)
    : options_(options),
      tokens_(options.quota_tokens),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(int attempt, FailureClass failure) {
  if (failure == FailureClass::kNone || failure == FailureClass::kNonRetryable) return std::nullopt;
  if (attempt < 1 || attempt >= options_.max_attempts) return std::nullopt;
  const int cost = failure == FailureClass::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;

  const auto base = failure == FailureClass::kThrottling ? options_.throttle_base_delay : options_.base_delay;
  const double max_ms = static_cast<double>(std::max<int64_t>(options_.max_delay.count(), 0));
  // 2^(attempt-1) overflows nothing as a double; the cap keeps the product finite and bounded.
  const double ceiling_ms =
      std::min(static_cast<double>(std::max<int64_t>(base.count(), 0)) * std::ldexp(1.0, std::min(attempt - 1, 1000)),
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
    refund = *retried_class == FailureClass::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::min(options_.quota_tokens, tokens_ + refund);
}

int RetryPolicy::available_tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_;
}

}  // namespace ac::aws
