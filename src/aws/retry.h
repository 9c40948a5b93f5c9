#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

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
  /// Total attempts of one call, including the first; 0 = no limit of its own: max_retry_time
  /// bounds the call. (An operation with a limit of its own, query_max_attempts, passes it.)
  int max_attempts = 0;
  /// Per-call deadline: no retry starts once a call has been retrying this long (counted from its
  /// first attempt, backoff and send-rate waits included); the last backoff is clipped to it.
  std::chrono::milliseconds max_retry_time{5 * 60 * 1000};
  std::chrono::milliseconds base_delay{100};  ///< backoff base for transient errors
  /// Backoff base for throttling in standard mode. In adaptive mode throttling backs off from
  /// base_delay like a transient failure: the send rate (SendRateLimiter) paces a service that
  /// throttles for the rate, and a call's own backoff only keeps it from spinning.
  std::chrono::milliseconds throttle_base_delay{500};
  std::chrono::milliseconds max_delay{20'000};  ///< cap of one backoff
  int quota_tokens = 500;  ///< retry budget per client (transient errors only; throttling is free)
  /// Longest a throttled operation waits above its requests for a service quota to free up
  /// (OnQuotaWait: Athena's active-query quota), counted from its first throttled answer.
  std::chrono::milliseconds max_quota_wait{15 * 60 * 1000};
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  /// Adaptive mode: a client-side send rate per service (SendRateLimiter), switched on by the
  /// first throttling answer. false = standard mode (no client-side rate limit).
  bool adaptive = true;
  double min_send_rate = 0.5;  ///< requests/s the adaptive limiter never goes below
  uint64_t seed = 0;           ///< 0: random seed
};

/// What the retries of a sync cost, for its summary: retries by operation and error code and the
/// time spent waiting (backoff, quota waits and the adaptive send rate). Thread-safe and cheap
/// (one short lock per retry or wait). May be shared by several policies (debug's summary).
class RetryStats {
 public:
  struct Snapshot {
    int64_t retries = 0;
    std::map<std::string, int64_t> by_code;       ///< retries per error code
    std::map<std::string, int64_t> by_operation;  ///< retries per operation
    std::chrono::milliseconds backoff_waited{0};  ///< slept between attempts (and quota waits)
    std::chrono::milliseconds rate_waited{0};     ///< waited for the adaptive send rate
    int64_t throttled = 0;                        ///< throttling answers seen
    std::chrono::milliseconds waited() const { return backoff_waited + rate_waited; }
  };

  void RecordRetry(std::string_view operation, std::string_view code,
                   std::chrono::milliseconds delay);
  void RecordRateWait(std::chrono::milliseconds waited);
  void RecordThrottle();
  Snapshot Take() const;
  /// "Retries: 37 (ThrottlingException 30, InternalServerException 7) waited 12.3 s", or
  /// "Retries: 0" when nothing was retried. Codes by count, most first.
  static std::string SummaryLine(const Snapshot& snapshot);

 private:
  mutable std::mutex mutex_;
  Snapshot totals_;
};

/// The client-side send rate of AWS SDKs' adaptive retry mode (botocore retries/adaptive.py,
/// throttling.py, bucket.py; spec athena-wire.md §6), made to tell apart throttling that follows
/// the send rate (an API rate quota: slowing down helps) from throttling that does not (other
/// clients of the account, a sick service, athena-local's random faults: slowing down only costs
/// time). Thread-safe: every request of a sync to one service shares one.
///
/// * kOff: no limit. A throttling answer while this client sends at least kEngageRate requests/s
///   (over its last kRoundResponses answers; none before it has had that many) starts a probe;
///   below that the client is too quiet for its rate to be the cause, and the calls' own backoff
///   handles it.
/// * kProbing: two rounds (kRoundResponses answers and kRoundMinSeconds, or kRoundSeconds, each)
///   with the rate held, first at 0.7 x that rate, then at 0.7 x the first round's rate. If the
///   share of answers that succeed grows as the rate falls (under a rate quota it grows by the rate
///   ratio; under rate-independent throttling it stays put), or the throttled share falls to 40%
///   of what it was or less, or throttling stops over a whole round: kAdapting. If it does not, or
///   the client sent too little to tell (fewer than kMinRoundResponses in a round), or the lower
///   limit did not lower the actual rate: kStoodDown.
/// * kAdapting: CUBIC as botocore's: on throttling the rate drops to 0.7 x min(measured, current),
///   at most once per kDecreaseResponses answers or kDecreaseSeconds (as TCP reduces once per
///   window, not once per lost packet); on success it grows back, rate = 0.4 (t - K)^3 + Wmax,
///   K = cbrt(Wmax (1 - 0.7) / 0.4), t the time since the last decrease; capped at 2 x the
///   measured rate, never below min_send_rate. A probe can be fooled by a run of chance: once the
///   rate has halved since its verdict, or kRecheckSeconds after it (doubling with each verdict
///   that holds, up to kMaxRecheckSeconds), a new probe from the current rate checks it.
/// * kStoodDown: no limit; the throttled share seen while probing is remembered, and only a
///   clearly higher share (by kReengageMargin) in a block of kRoundResponses answers probes
///   again.
/// Waiting is done on the injected clock.
class SendRateLimiter {
 public:
  enum class Mode { kOff, kProbing, kAdapting, kStoodDown };

  /// Requests/s below which nothing engages: the smallest per-account rate quota of the Athena
  /// APIs is 5/s (the list APIs; StartQueryExecution 20/s, GetQueryResults 100/s: spec
  /// athena-wire.md), S3 allows thousands per prefix.
  static constexpr double kEngageRate = 5;
  /// Answers per probing round, at least (40: a 20% throttled share is then known to +-6%, so
  /// that chance rarely passes for the effect of the rate).
  static constexpr int kRoundResponses = 40;
  static constexpr double kRoundMinSeconds = 1;    ///< shortest probing round
  static constexpr double kRoundSeconds = 5;       ///< longest probing round
  static constexpr int kMinRoundResponses = 10;    ///< fewer in a round: too quiet to tell
  static constexpr int kDecreaseResponses = 20;    ///< kAdapting: at most one decrease per these
  static constexpr double kDecreaseSeconds = 2;    ///< answers, or this long
  static constexpr double kReengageMargin = 0.25;  ///< throttled share above the remembered one
  static constexpr double kRecheckSeconds = 5;     ///< first re-check of a verdict
  static constexpr double kMaxRecheckSeconds = 300;

  /// `service` names the limiter in its log lines ("athena", "s3").
  explicit SendRateLimiter(double min_rate = 0.5, std::string service = {});

  /// Takes a send token, sleeping on `clock` until there is one; returns how long it waited.
  /// Throws common::CancelledError when cancelled while waiting.
  std::chrono::milliseconds Acquire(common::Clock& clock, const common::CancellationToken* cancel);
  /// A response arrived at `now` (throttling or not; transport failures are not responses).
  void OnResponse(bool throttled, common::SystemTimePoint now);

  Mode mode() const;
  bool enabled() const;          ///< requests wait for tokens (kProbing or kAdapting)
  double fill_rate() const;      ///< requests/s while enabled
  double measured_rate() const;  ///< smoothed send rate (0.5 s buckets, smoothing 0.8)
  /// The throttled share of answers the last probe saw (what kStoodDown tolerates).
  double ambient_throttle_share() const;

 private:
  struct Round {
    double start = 0;
    int responses = 0;
    int throttled = 0;
  };

  void Refill(double now);
  void SetRate(double rate, double now);
  double MeasureLocked(double now);
  void StartProbe(double rate, double now);
  /// Ends the probing round under way; returns the log line of a change of mode, if any.
  std::string CloseRound(double now);
  void Adapt(double now);
  void StandDown(double share);
  /// Answers per second over the last kRoundResponses answers (0 before there are two): the
  /// current send rate, which the smoothed measured rate follows only with a lag.
  double RecentRate() const;

  const double min_rate_;
  const std::string service_;
  mutable std::mutex mutex_;
  Mode mode_ = Mode::kOff;
  double fill_rate_ = 0;
  double max_capacity_ = 1;
  double capacity_ = 0;  ///< may go below 0: tokens promised to requests still waiting
  double last_refill_ = 0;
  // CUBIC
  double w_max_ = 0;
  double k_ = 0;
  double last_decrease_ = 0;
  int responses_since_decrease_ = 0;
  double adapt_rate_ = 0;       ///< the rate of the last probe's verdict
  double adapt_at_ = 0;         ///< when it was given
  double recheck_seconds_ = 0;  ///< when a new probe checks it, unless the rate halves first
  // probing
  int round_number_ = 0;
  Round round_;
  double first_round_rate_ = 0;
  int first_round_responses_ = 0;
  int first_round_throttled_ = 0;
  double ambient_share_ = 0;
  int block_responses_ = 0;  ///< kStoodDown: answers of the block under way
  int block_throttled_ = 0;
  // when the last kRoundResponses answers arrived
  int recent_count_ = 0;
  std::array<double, kRoundResponses> recent_at_{};
  int recent_next_ = 0;
  // measured send rate
  double measured_ = 0;
  double bucket_start_ = -1;
  int64_t bucket_count_ = 0;
};

/// AWS retry modes in one policy: "standard" (full-jitter exponential backoff with a cap, a
/// per-client retry quota so a sick endpoint is not hammered) plus "adaptive" (a client-side send
/// rate per service that throttling lowers, SendRateLimiter). A call retries until it succeeds, a
/// non-retryable error, its deadline (max_retry_time) or an attempt limit of its own; throttling
/// takes no quota tokens (the send rate and the backoff pace it), so a throttling storm cannot
/// drain the budget that guards against an endpoint that is down. Thread-safe; one per sync,
/// shared by its Athena and S3 clients and all its tables. Every retry decision of this project
/// goes through it: ServiceClient's requests, and through RetryAttempts the loops above it.
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {}, std::shared_ptr<RetryStats> stats = nullptr);

  /// Decides whether attempt number `attempt` (1-based) that failed with `failure`, `elapsed`
  /// after the call's first attempt started, may be retried; when yes returns the delay to sleep
  /// (clipped to the call's deadline) and takes tokens from the quota (not for throttling).
  std::optional<std::chrono::milliseconds> OnFailure(
      int attempt, FailureClass failure,
      std::chrono::milliseconds elapsed = std::chrono::milliseconds::zero());
  /// The same for an operation with an attempt limit of its own (query_max_attempts; 0 = the
  /// policy's) instead of options().max_attempts.
  std::optional<std::chrono::milliseconds> OnFailure(int attempt, FailureClass failure,
                                                     std::chrono::milliseconds elapsed,
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

  /// The adaptive send rate of `service` ("athena", "s3", ...), shared by every client of the
  /// service using this policy; nullptr in standard mode (options().adaptive false).
  SendRateLimiter* Limiter(std::string_view service);
  /// Counts a retry (and its delay) in stats() and logs it at debug level.
  void RecordRetry(std::string_view operation, std::string_view code, int attempt,
                   std::chrono::milliseconds delay);
  RetryStats& stats() { return *stats_; }

  int available_tokens() const;
  const RetryOptions& options() const { return options_; }

 private:
  std::chrono::milliseconds Jitter(double ceiling_ms);

  RetryOptions options_;
  std::shared_ptr<RetryStats> stats_;
  mutable std::mutex mutex_;
  int tokens_;
  std::mt19937_64 rng_;
  std::map<std::string, std::unique_ptr<SendRateLimiter>, std::less<>> limiters_;
};

/// The attempts of one operation retried above ServiceClient, where a ServiceClient request
/// cannot retry by itself: a download whose body broke after some bytes (resumed from the first
/// missing byte), a query Athena failed as retryable (resubmitted). Each retry is decided by the
/// policy (attempt limit, deadline counted from construction, backoff, quota); the backoff is
/// slept on `clock`, and counted in the policy's stats.
class RetryAttempts {
 public:
  /// `what` names the operation in the cancellation message; `max_attempts` 0 = the policy's.
  RetryAttempts(RetryPolicy& policy, common::Clock& clock, const common::CancellationToken* cancel,
                std::string what, int max_attempts = 0);

  /// 1-based number of the attempt under way.
  int attempt() const { return attempt_; }
  /// The attempt under way failed with `failure` (`code` names it in the stats and the log):
  /// when the policy allows another, sleeps its backoff, moves to the next attempt and returns
  /// true; false otherwise. Throws common::CancelledError when cancelled while waiting.
  bool Retry(FailureClass failure, std::string_view code = "Transient");
  /// The operation succeeded: after retries, refunds the quota as the policy says (the requests
  /// themselves were counted by their ServiceClient).
  void Succeeded();
  /// The attempt under way was throttled by a service quota (its requests' own retries used up):
  /// while the policy's max_quota_wait, counted on the clock from the first such call, is not used
  /// up, sleeps the policy's quota backoff (OnQuotaWait) and returns true to try again — the same
  /// attempt, attempt() does not move. Returns false once the wait is over. Throws
  /// common::CancelledError when cancelled while waiting. `code` names the refusal in the stats.
  bool WaitForQuota(std::string_view code = "TooManyRequestsException");
  /// How long this operation has waited for a quota so far (0 before the first WaitForQuota).
  std::chrono::milliseconds quota_waited() const;

 private:
  RetryPolicy& policy_;
  common::Clock& clock_;
  const common::CancellationToken* cancel_;
  std::string what_;
  int max_attempts_;
  common::SystemTimePoint started_;
  int attempt_ = 1;
  std::optional<FailureClass> retried_;
  int quota_waits_ = 0;
  std::optional<common::SystemTimePoint> quota_wait_started_;
};

}  // namespace ac::aws
