// AWS retry modes in one policy (botocore retries/standard.py, quota.py, adaptive.py,
// throttling.py, bucket.py; spec athena-wire.md §6).
//
// * Classification: ClassifyAwsError (aws_error.cc), the one place AWS error codes are read.
// * Backoff: full jitter, delay = rand[0,1) x min(base x 2^(attempt-1), max_delay), with base =
//   throttle_base_delay for throttling in standard mode and base_delay otherwise (in adaptive mode
//   the send rate paces a service that throttles for the rate; a call's own backoff only keeps it
//   from spinning).
// * Bound: a per-call deadline (max_retry_time from the first attempt; the last backoff is clipped
//   to it) instead of a fixed attempt count; max_attempts only where a caller sets one (STS,
//   query resubmissions: query_max_attempts).
// * Quota: a bucket of quota_tokens per policy. A retry of a transient failure costs retry_cost
//   (timeout_retry_cost for a timeout); an empty bucket means no retry. A throttling retry costs
//   nothing (the adaptive send rate and the backoff pace those; a throttling storm must not use up
//   the budget that guards against an endpoint that is down). A success without retries refunds
//   1 token; a success after retries refunds the cost of the last retry. The bucket never exceeds
//   quota_tokens.
// * Adaptive send rate (SendRateLimiter, one per service): off until a throttling answer while
//   the client sends at least 5 requests/s; then a probe at two lowered rates tells whether the
//   throttling follows the send rate. If it does, CUBIC (one decrease per round of answers); if it
//   does not, no limit (see retry.h).
// * Quota waits (above the requests, e.g. StartQueryExecution while Athena's active-query quota is
//   full): the throttling backoff without attempt limit or tokens, bounded by max_quota_wait.

#include "aws/retry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"

namespace ac::aws {
namespace {

constexpr double kCubicScale = 0.4;
constexpr double kCubicBeta = 0.7;
constexpr double kRateBucketSeconds = 0.5;
constexpr double kRateSmoothing = 0.8;

double Seconds(common::SystemTimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(std::max(seconds, 0.0) * 1000)));
}

/// min(base x 2^(n-1), max) in ms; 2^(n-1) overflows nothing as a double and the cap keeps the
/// product finite.
double BackoffCeiling(std::chrono::milliseconds base, int n, std::chrono::milliseconds max) {
  const double max_ms = static_cast<double>(std::max<int64_t>(max.count(), 0));
  return std::min(static_cast<double>(std::max<int64_t>(base.count(), 0)) *
                      std::ldexp(1.0, std::clamp(n - 1, 0, 1000)),
                  max_ms);
}

}  // namespace

// ---- RetryStats

void RetryStats::RecordRetry(std::string_view operation, std::string_view code,
                             std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++totals_.retries;
  ++totals_.by_code[std::string(code)];
  ++totals_.by_operation[std::string(operation)];
  totals_.backoff_waited += delay;
}

void RetryStats::RecordRateWait(std::chrono::milliseconds waited) {
  if (waited <= std::chrono::milliseconds::zero()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  totals_.rate_waited += waited;
}

void RetryStats::RecordThrottle() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++totals_.throttled;
}

RetryStats::Snapshot RetryStats::Take() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return totals_;
}

std::string RetryStats::SummaryLine(const Snapshot& s) {
  std::string line = fmt::format("Retries: {}", s.retries);
  if (!s.by_code.empty()) {
    std::vector<std::pair<std::string, int64_t>> codes(s.by_code.begin(), s.by_code.end());
    std::stable_sort(codes.begin(), codes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    line += " (";
    for (size_t i = 0; i < codes.size(); ++i) {
      line += fmt::format("{}{} {}", i == 0 ? "" : ", ", codes[i].first, codes[i].second);
    }
    line += ")";
  }
  if (s.retries > 0 || s.waited() > std::chrono::milliseconds::zero()) {
    line += fmt::format(" waited {:.1f} s", static_cast<double>(s.waited().count()) / 1000);
    if (s.rate_waited > std::chrono::milliseconds::zero()) {
      line +=
          fmt::format(" (send rate {:.1f} s)", static_cast<double>(s.rate_waited.count()) / 1000);
    }
  }
  return line;
}

// ---- SendRateLimiter

SendRateLimiter::SendRateLimiter(double min_rate, std::string service)
    : min_rate_(min_rate > 0 ? min_rate : 0.5),
      service_(service.empty() ? std::string("service") : std::move(service)) {}

double SendRateLimiter::MeasureLocked(double now) {
  const double bucket = std::floor(now / kRateBucketSeconds) * kRateBucketSeconds;
  if (bucket_start_ < 0) bucket_start_ = bucket;
  ++bucket_count_;
  if (bucket > bucket_start_) {
    const double current = static_cast<double>(bucket_count_) / (bucket - bucket_start_);
    measured_ = current * kRateSmoothing + measured_ * (1 - kRateSmoothing);
    bucket_count_ = 0;
    bucket_start_ = bucket;
  }
  return measured_;
}

void SendRateLimiter::Refill(double now) {
  if (now > last_refill_) {
    capacity_ = std::min(max_capacity_, capacity_ + (now - last_refill_) * fill_rate_);
  }
  last_refill_ = std::max(last_refill_, now);
}

void SendRateLimiter::SetRate(double rate, double now) {
  Refill(now);
  fill_rate_ = std::max(rate, min_rate_);
  max_capacity_ = std::max(fill_rate_, 1.0);
  capacity_ = std::min(capacity_, max_capacity_);
}

double SendRateLimiter::RecentRate() const {
  if (recent_count_ < 2) return 0;
  const int newest = (recent_next_ + kRoundResponses - 1) % kRoundResponses;
  const int oldest = recent_count_ < kRoundResponses ? 0 : recent_next_;
  const double span = recent_at_[newest] - recent_at_[oldest];
  return span > 0 ? (recent_count_ - 1) / span : 0;
}

void SendRateLimiter::StartProbe(double rate, double now) {
  mode_ = Mode::kProbing;
  SetRate(rate, now);
  // No burst inside a round: its actual rate must be the rate it probes.
  last_refill_ = now;
  capacity_ = std::min(capacity_, 0.0);
  round_ = Round{now, 0, 0};
}

void SendRateLimiter::Adapt(double now) {
  mode_ = Mode::kAdapting;
  adapt_rate_ = fill_rate_;
  adapt_at_ = now;
  // Each verdict that holds waits twice as long for its re-check.
  recheck_seconds_ =
      recheck_seconds_ <= 0 ? kRecheckSeconds : std::min(2 * recheck_seconds_, kMaxRecheckSeconds);
  // CUBIC from the rate reached: Wmax such that the curve starts at the current rate.
  w_max_ = fill_rate_ / kCubicBeta;
  k_ = std::cbrt(w_max_ * (1 - kCubicBeta) / kCubicScale);
  last_decrease_ = now;
  responses_since_decrease_ = 0;
}

void SendRateLimiter::StandDown(double share) {
  mode_ = Mode::kStoodDown;
  ambient_share_ = share;
  block_responses_ = 0;
  block_throttled_ = 0;
}

std::string SendRateLimiter::CloseRound(double now) {
  const Round round = round_;
  const double duration = std::max(now - round.start, 1e-3);
  const double rate = round.responses / duration;
  const double share =
      round.responses > 0 ? static_cast<double>(round.throttled) / round.responses : 0;
  if (round.responses < kMinRoundResponses) {
    StandDown(share);
    return fmt::format(
        "{}: throttled while sending {:.1f} requests/s, too few for the rate to be the cause; no "
        "client-side send rate (calls back off on their own)",
        service_, rate);
  }
  if (round.throttled == 0 && round.responses >= kRoundResponses) {
    Adapt(now);
    return fmt::format(
        "{}: throttling stopped at {:.1f} requests/s; the send rate adapts from there", service_,
        fill_rate_);
  }
  if (round_number_ == 1) {
    first_round_rate_ = rate;
    first_round_responses_ = round.responses;
    first_round_throttled_ = round.throttled;
    round_number_ = 2;
    StartProbe(kCubicBeta * rate, now);
    return {};
  }
  // Second round: under a rate quota the succeeding share grows by the rate ratio (about 1/0.7),
  // and near the quota the throttled share falls to (next to) nothing; under throttling that
  // ignores the rate both stay where they were.
  const double first_share =
      static_cast<double>(first_round_throttled_) / std::max(first_round_responses_, 1);
  const double combined = static_cast<double>(first_round_throttled_ + round.throttled) /
                          (first_round_responses_ + round.responses);
  if (rate > 0.85 * first_round_rate_) {
    StandDown(combined);
    return fmt::format(
        "{}: a lower send rate limit did not lower the actual rate ({:.1f} -> {:.1f} requests/s); "
        "no client-side send rate",
        service_, first_round_rate_, rate);
  }
  const double expected_gain = first_round_rate_ / rate;
  if (share <= 0.4 * first_share ||
      (1 - share) >= (1 - first_share) * (1 + 0.5 * (expected_gain - 1))) {
    Adapt(now);
    return fmt::format(
        "{}: throttling follows the send rate ({:.0f}% of answers at {:.1f} requests/s, {:.0f}% at "
        "{:.1f}); the send rate adapts",
        service_, 100 * first_share, first_round_rate_, 100 * share, rate);
  }
  StandDown(combined);
  return fmt::format(
      "{}: throttling does not follow the send rate ({:.0f}% of answers at {:.1f} requests/s, "
      "{:.0f}% at {:.1f}); no client-side send rate, calls back off on their own",
      service_, 100 * first_share, first_round_rate_, 100 * share, rate);
}

std::chrono::milliseconds SendRateLimiter::Acquire(common::Clock& clock,
                                                   const common::CancellationToken* cancel) {
  double wait_seconds = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (mode_ != Mode::kProbing && mode_ != Mode::kAdapting) {
      return std::chrono::milliseconds::zero();
    }
    Refill(Seconds(clock.Now()));
    // Take the token now, into debt if need be: requests waiting at the same time queue up, each
    // one token interval after the previous.
    capacity_ -= 1;
    if (capacity_ < 0) wait_seconds = -capacity_ / fill_rate_;
  }
  if (wait_seconds <= 0) return std::chrono::milliseconds::zero();
  const std::chrono::milliseconds wait = Millis(wait_seconds);
  if (clock.SleepFor(wait, cancel)) {
    throw common::CancelledError("cancelled while waiting for the client-side send rate");
  }
  return wait;
}

void SendRateLimiter::OnResponse(bool throttled, common::SystemTimePoint at) {
  const double now = Seconds(at);
  std::string change;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const double measured = MeasureLocked(now);
    recent_count_ = std::min(recent_count_ + 1, kRoundResponses);
    recent_at_[recent_next_] = now;
    recent_next_ = (recent_next_ + 1) % kRoundResponses;
    switch (mode_) {
      case Mode::kOff:
      case Mode::kStoodDown: {
        // A client with fewer than kRoundResponses answers from the service so far is not what
        // its rate quota counts; neither is one sending below kEngageRate.
        const double sending = RecentRate();
        bool engage = throttled && recent_count_ >= kRoundResponses && sending >= kEngageRate;
        if (mode_ == Mode::kStoodDown) {
          // Stood down: judged per block of kRoundResponses answers (sliding windows would give
          // chance many more tries), probing again only when a block's throttled share is
          // clearly above the one the last probe found.
          ++block_responses_;
          if (throttled) ++block_throttled_;
          engage = false;
          if (block_responses_ >= kRoundResponses) {
            const double share = static_cast<double>(block_throttled_) / block_responses_;
            engage = share >= ambient_share_ + kReengageMargin && sending >= kEngageRate;
            block_responses_ = 0;
            block_throttled_ = 0;
          }
        }
        if (!engage) break;
        round_number_ = 1;
        recheck_seconds_ = 0;
        capacity_ = 0;  // no debt left from an earlier probe
        StartProbe(kCubicBeta * sending, now);
        change = fmt::format(
            "{}: throttled at {:.1f} requests/s; probing whether a lower send rate helps", service_,
            sending);
        break;
      }
      case Mode::kProbing:
        ++round_.responses;
        if (throttled) ++round_.throttled;
        if ((round_.responses >= kRoundResponses && now - round_.start >= kRoundMinSeconds) ||
            now - round_.start >= kRoundSeconds) {
          change = CloseRound(now);
        }
        break;
      case Mode::kAdapting: {
        ++responses_since_decrease_;
        // A probe can be fooled by a run of chance: a new probe checks its verdict once the rate
        // has halved since, or after recheck_seconds_.
        if (fill_rate_ <= 0.5 * adapt_rate_ || now - adapt_at_ >= recheck_seconds_) {
          change = fmt::format(
              "{}: throttling was found to follow the send rate at {:.1f} requests/s, now "
              "{:.1f}; "
              "probing again",
              service_, adapt_rate_, fill_rate_);
          round_number_ = 1;
          StartProbe(fill_rate_, now);
          break;
        }
        double rate = 0;
        if (throttled) {
          // One decrease per round: the answers to requests sent before the last decrease say
          // nothing about the rate since.
          if (responses_since_decrease_ < kDecreaseResponses &&
              now - last_decrease_ < kDecreaseSeconds) {
            break;
          }
          const double current = std::min(measured, fill_rate_);
          w_max_ = current;
          k_ = std::cbrt(w_max_ * (1 - kCubicBeta) / kCubicScale);
          last_decrease_ = now;
          responses_since_decrease_ = 0;
          rate = current * kCubicBeta;
        } else {
          const double t = now - last_decrease_ - k_;
          rate = kCubicScale * t * t * t + w_max_;
        }
        SetRate(std::min(rate, 2 * measured), now);
        break;
      }
    }
  }
  if (!change.empty()) spdlog::info("{}", change);
}

SendRateLimiter::Mode SendRateLimiter::mode() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mode_;
}

bool SendRateLimiter::enabled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mode_ == Mode::kProbing || mode_ == Mode::kAdapting;
}

double SendRateLimiter::fill_rate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fill_rate_;
}

double SendRateLimiter::measured_rate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return measured_;
}

double SendRateLimiter::ambient_throttle_share() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ambient_share_;
}

// ---- RetryPolicy

RetryPolicy::RetryPolicy(RetryOptions options, std::shared_ptr<RetryStats> stats)
    : options_(options),
      stats_(stats ? std::move(stats) : std::make_shared<RetryStats>()),
      tokens_(options.quota_tokens),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {}

std::chrono::milliseconds RetryPolicy::Jitter(double ceiling_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  double unit = std::generate_canonical<double, 53>(rng_);
  if (unit >= 1.0) unit = std::nextafter(1.0, 0.0);  // LWG 2524: keep it in [0, 1)
  return std::chrono::milliseconds(static_cast<int64_t>(std::floor(unit * ceiling_ms)));
}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(int attempt, FailureClass failure,
                                                                std::chrono::milliseconds elapsed) {
  return OnFailure(attempt, failure, elapsed, options_.max_attempts);
}

std::optional<std::chrono::milliseconds> RetryPolicy::OnFailure(int attempt, FailureClass failure,
                                                                std::chrono::milliseconds elapsed,
                                                                int max_attempts) {
  if (failure == FailureClass::kNone || failure == FailureClass::kNonRetryable) return std::nullopt;
  if (max_attempts <= 0) max_attempts = options_.max_attempts;
  if (attempt < 1 || (max_attempts > 0 && attempt >= max_attempts)) return std::nullopt;
  const std::chrono::milliseconds left = options_.max_retry_time - elapsed;
  if (left <= std::chrono::milliseconds::zero()) return std::nullopt;

  const bool throttling = failure == FailureClass::kThrottling;
  const int cost = throttling                          ? 0
                   : failure == FailureClass::kTimeout ? options_.timeout_retry_cost
                                                       : options_.retry_cost;
  // In adaptive mode the send rate, not the backoff, paces a service that throttles for the rate:
  // a throttled call backs off like a transient failure, only so that it does not spin. In
  // standard mode the larger throttling base is the only brake.
  const double ceiling_ms = BackoffCeiling(
      throttling && !options_.adaptive ? options_.throttle_base_delay : options_.base_delay,
      attempt, options_.max_delay);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (tokens_ < cost) return std::nullopt;
    tokens_ -= cost;
  }
  return std::min(Jitter(ceiling_ms), left);
}

void RetryPolicy::OnSuccess(std::optional<FailureClass> retried_class) {
  int refund = 1;
  if (retried_class.has_value()) {
    refund = *retried_class == FailureClass::kThrottling ? 0
             : *retried_class == FailureClass::kTimeout  ? options_.timeout_retry_cost
                                                         : options_.retry_cost;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_ = std::min(options_.quota_tokens, tokens_ + refund);
}

std::optional<std::chrono::milliseconds> RetryPolicy::OnQuotaWait(
    int wait, std::chrono::milliseconds waited) {
  const auto left = options_.max_quota_wait - waited;
  if (wait < 1 || left <= std::chrono::milliseconds::zero()) return std::nullopt;
  const double ceiling_ms = BackoffCeiling(options_.throttle_base_delay, wait, options_.max_delay);
  return std::min(Jitter(ceiling_ms), left);
}

SendRateLimiter* RetryPolicy::Limiter(std::string_view service) {
  if (!options_.adaptive) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = limiters_.find(service);
  if (it == limiters_.end()) {
    it = limiters_
             .emplace(std::string(service), std::make_unique<SendRateLimiter>(
                                                options_.min_send_rate, std::string(service)))
             .first;
  }
  return it->second.get();
}

void RetryPolicy::RecordRetry(std::string_view operation, std::string_view code, int attempt,
                              std::chrono::milliseconds delay) {
  stats_->RecordRetry(operation, code, delay);
  spdlog::debug("Retrying {} after {} (attempt {} failed; next in {} ms)", operation, code, attempt,
                delay.count());
}

int RetryPolicy::available_tokens() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tokens_;
}

// ---- RetryAttempts

RetryAttempts::RetryAttempts(RetryPolicy& policy, common::Clock& clock,
                             const common::CancellationToken* cancel, std::string what,
                             int max_attempts)
    : policy_(policy),
      clock_(clock),
      cancel_(cancel),
      what_(std::move(what)),
      max_attempts_(max_attempts),
      started_(clock.Now()) {}

bool RetryAttempts::Retry(FailureClass failure, std::string_view code) {
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - started_);
  const std::optional<std::chrono::milliseconds> delay =
      policy_.OnFailure(attempt_, failure, elapsed, max_attempts_);
  if (!delay) return false;
  policy_.RecordRetry(what_, code, attempt_, *delay);
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

bool RetryAttempts::WaitForQuota(std::string_view code) {
  if (!quota_wait_started_) quota_wait_started_ = clock_.Now();
  const std::optional<std::chrono::milliseconds> delay =
      policy_.OnQuotaWait(quota_waits_ + 1, quota_waited());
  if (!delay) return false;
  ++quota_waits_;
  policy_.RecordRetry(what_, code, attempt_, *delay);
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
