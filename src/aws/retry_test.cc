#include "aws/retry.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/token_bucket.h"

namespace ac::aws {
namespace {

using std::chrono::milliseconds;

RetryOptions Seeded(uint64_t seed = 42) {
  RetryOptions options;
  options.seed = seed;
  return options;
}

TEST(RetryPolicyTest, NonRetryableAndSuccessAreNeverRetried) {
  RetryPolicy policy(Seeded());
  EXPECT_FALSE(policy.OnFailure(1, FailureClass::kNonRetryable).has_value());
  EXPECT_FALSE(policy.OnFailure(1, FailureClass::kNone).has_value());
  EXPECT_EQ(policy.available_tokens(), 500);
}

TEST(RetryPolicyTest, BackoffIsFullJitterWithinTheExponentialCeiling) {
  RetryOptions options = Seeded(7);
  options.max_attempts = 100;
  options.quota_tokens = 1'000'000;
  RetryPolicy policy(options);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const int64_t ceiling = std::min<int64_t>(100LL << (attempt - 1), 20'000);
    int64_t largest = 0;
    for (int i = 0; i < 200; ++i) {
      const auto delay = policy.OnFailure(attempt, FailureClass::kTransient);
      ASSERT_TRUE(delay.has_value());
      EXPECT_GE(delay->count(), 0);
      EXPECT_LT(delay->count(), ceiling) << "attempt " << attempt;
      largest = std::max<int64_t>(largest, delay->count());
    }
    // Full jitter spreads over the whole range: 200 draws reach past half the ceiling.
    EXPECT_GT(largest, ceiling / 2) << "attempt " << attempt;
  }
}

TEST(RetryPolicyTest, ThrottlingUsesItsOwnBaseAndTheCapHolds) {
  RetryOptions options = Seeded(9);
  options.max_attempts = 100;
  options.quota_tokens = 1'000'000;
  options.max_delay = milliseconds(3'000);
  options.adaptive = false;  // standard mode: the throttling base from the first retry
  RetryPolicy policy(options);
  int64_t largest_first = 0;
  for (int i = 0; i < 500; ++i) {
    const auto first = policy.OnFailure(1, FailureClass::kThrottling);
    ASSERT_TRUE(first.has_value());
    EXPECT_LT(first->count(), 500);  // throttle_base_delay
    largest_first = std::max<int64_t>(largest_first, first->count());
    const auto late = policy.OnFailure(60, FailureClass::kThrottling);  // 500 ms x 2^59: capped
    ASSERT_TRUE(late.has_value());
    EXPECT_LT(late->count(), 3'000);
  }
  EXPECT_GT(largest_first, 100);  // beyond the transient base: the throttling base is used
}

TEST(RetryPolicyTest, InAdaptiveModeThrottlingBacksOffLikeATransientFailure) {
  RetryOptions options = Seeded(11);
  options.max_attempts = 100;
  RetryPolicy policy(options);  // adaptive by default: the send rate paces throttling
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const int64_t ceiling = 100LL << (attempt - 1);  // base_delay, not throttle_base_delay
    int64_t largest = 0;
    for (int i = 0; i < 300; ++i) {
      const auto delay = policy.OnFailure(attempt, FailureClass::kThrottling);
      ASSERT_TRUE(delay.has_value());
      EXPECT_LT(delay->count(), ceiling) << "attempt " << attempt;
      largest = std::max<int64_t>(largest, delay->count());
    }
    EXPECT_GT(largest, ceiling / 2) << "attempt " << attempt;
  }
  EXPECT_EQ(policy.available_tokens(), 500);  // still free of quota tokens
}

TEST(RetryPolicyTest, AttemptsLimitCountsTheFirstAttempt) {
  RetryOptions options = Seeded();
  options.max_attempts = 3;
  RetryPolicy policy(options);
  EXPECT_TRUE(policy.OnFailure(1, FailureClass::kTransient).has_value());
  EXPECT_TRUE(policy.OnFailure(2, FailureClass::kTransient).has_value());
  EXPECT_FALSE(policy.OnFailure(3, FailureClass::kTransient).has_value());
  EXPECT_EQ(policy.available_tokens(), 500 - 2 * 5);

  options.max_attempts = 1;  // no retries at all
  RetryPolicy single(options);
  EXPECT_FALSE(single.OnFailure(1, FailureClass::kThrottling).has_value());
}

TEST(RetryPolicyTest, QuotaExhaustionStopsRetries) {
  RetryOptions options = Seeded();
  options.max_attempts = 1000;
  RetryPolicy policy(options);
  int retries = 0;
  while (policy.OnFailure(2, FailureClass::kTransient).has_value()) ++retries;
  EXPECT_EQ(retries, 100);  // 500 tokens / 5
  EXPECT_EQ(policy.available_tokens(), 0);
  // Throttling takes no tokens: it is still retried with the bucket empty.
  EXPECT_TRUE(policy.OnFailure(1, FailureClass::kThrottling).has_value());

  // Timeouts cost 10: with 9 tokens left there is no timeout retry, but a transient one.
  RetryPolicy partial(options);
  while (partial.available_tokens() > 9) ASSERT_TRUE(partial.OnFailure(1, FailureClass::kTimeout));
  EXPECT_EQ(partial.available_tokens(), 0);
  for (int i = 0; i < 9; ++i) partial.OnSuccess(std::nullopt);
  EXPECT_EQ(partial.available_tokens(), 9);
  EXPECT_FALSE(partial.OnFailure(1, FailureClass::kTimeout).has_value());
  EXPECT_EQ(partial.available_tokens(), 9);
  EXPECT_TRUE(partial.OnFailure(1, FailureClass::kTransient).has_value());
  EXPECT_EQ(partial.available_tokens(), 4);
}

TEST(RetryPolicyTest, SuccessRefundsAndNeverExceedsTheQuota) {
  RetryPolicy policy(Seeded());
  policy.OnSuccess(std::nullopt);
  EXPECT_EQ(policy.available_tokens(), 500);  // capped

  ASSERT_TRUE(policy.OnFailure(1, FailureClass::kTimeout));
  EXPECT_EQ(policy.available_tokens(), 490);
  policy.OnSuccess(FailureClass::kTimeout);  // refunds what the retry took
  EXPECT_EQ(policy.available_tokens(), 500);

  ASSERT_TRUE(policy.OnFailure(1, FailureClass::kTransient));
  ASSERT_TRUE(policy.OnFailure(2, FailureClass::kTransient));
  EXPECT_EQ(policy.available_tokens(), 490);
  policy.OnSuccess(FailureClass::kTransient);  // the last retry's cost
  EXPECT_EQ(policy.available_tokens(), 495);
  policy.OnSuccess(std::nullopt);  // success without retry: +1
  EXPECT_EQ(policy.available_tokens(), 496);
  ASSERT_TRUE(policy.OnFailure(1, FailureClass::kThrottling));  // free
  EXPECT_EQ(policy.available_tokens(), 496);
  policy.OnSuccess(FailureClass::kThrottling);  // took nothing, refunds nothing
  EXPECT_EQ(policy.available_tokens(), 496);
}

TEST(RetryPolicyTest, DeterministicWithASeed) {
  auto draw = [](uint64_t seed) {
    RetryPolicy policy(Seeded(seed));
    std::vector<int64_t> delays;
    for (int attempt = 1; attempt <= 4; ++attempt) {
      delays.push_back(policy.OnFailure(attempt, FailureClass::kTransient)->count());
      delays.push_back(policy.OnFailure(attempt, FailureClass::kThrottling)->count());
    }
    return delays;
  };
  EXPECT_EQ(draw(1234), draw(1234));
  EXPECT_NE(draw(1234), draw(4321));
}

TEST(RetryPolicyTest, ThreadSafeTokenAccounting) {
  RetryOptions options = Seeded();
  options.max_attempts = 10;
  options.quota_tokens = 100'000;
  RetryPolicy policy(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(policy.OnFailure(1, FailureClass::kTransient).has_value());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(policy.available_tokens(), 100'000 - 4 * 1000 * 5);
}

TEST(RetryPolicyTest, AnOperationMayHaveItsOwnAttemptLimit) {
  RetryOptions options = Seeded();
  options.max_attempts = 5;
  RetryPolicy policy(options);
  const milliseconds zero(0);
  EXPECT_TRUE(policy.OnFailure(1, FailureClass::kTransient, zero, 2).has_value());
  EXPECT_FALSE(policy.OnFailure(2, FailureClass::kTransient, zero, 2).has_value());
  EXPECT_TRUE(policy.OnFailure(7, FailureClass::kTransient, zero, 10).has_value());
  EXPECT_FALSE(policy.OnFailure(1, FailureClass::kNonRetryable, zero, 10).has_value());
  EXPECT_FALSE(policy.OnFailure(5, FailureClass::kTransient, zero, 0).has_value());  // policy's 5
}

TEST(RetryAttemptsTest, SleepsThePolicysBackoffUpToTheLimitAndRefundsOnSuccess) {
  RetryOptions options = Seeded();
  options.max_attempts = 3;
  RetryPolicy policy(options);
  common::FakeClock clock;
  RetryAttempts attempts(policy, clock, nullptr, "S3 GetObject of s3://b/k");
  EXPECT_EQ(attempts.attempt(), 1);
  EXPECT_TRUE(attempts.Retry(FailureClass::kTransient));
  EXPECT_EQ(attempts.attempt(), 2);
  EXPECT_TRUE(attempts.Retry(FailureClass::kTransient));
  EXPECT_EQ(attempts.attempt(), 3);
  EXPECT_FALSE(attempts.Retry(FailureClass::kTransient));  // the third was the last
  EXPECT_EQ(attempts.attempt(), 3);
  ASSERT_EQ(clock.sleeps().size(), 2u);
  EXPECT_LT(clock.sleeps()[0].count(), 100);
  EXPECT_LT(clock.sleeps()[1].count(), 200);
  EXPECT_EQ(policy.available_tokens(), 490);
  attempts.Succeeded();
  EXPECT_EQ(policy.available_tokens(), 495);

  RetryAttempts fault_free(policy, clock, nullptr, "x");
  fault_free.Succeeded();  // nothing retried: nothing refunded here
  EXPECT_EQ(policy.available_tokens(), 495);
}

TEST(RetryAttemptsTest, TheOperationsOwnLimitAndCancellation) {
  RetryPolicy policy(Seeded());
  common::FakeClock clock;
  RetryAttempts once(policy, clock, nullptr, "resubmitting the query", 1);
  EXPECT_FALSE(once.Retry(FailureClass::kTransient));
  EXPECT_TRUE(clock.sleeps().empty());

  common::CancellationToken cancel;
  cancel.Cancel();
  RetryAttempts cancelled(policy, clock, &cancel, "S3 GetObject of s3://b/k");
  try {
    cancelled.Retry(FailureClass::kTransient);
    FAIL() << "no throw";
  } catch (const common::CancelledError& e) {
    EXPECT_STREQ(e.what(), "S3 GetObject of s3://b/k cancelled while waiting to retry");
  }
}

TEST(RetryPolicyTest, QuotaWaitsBackOffWithoutTokensUntilTheMaxWaitIsUsedUp) {
  RetryOptions options = Seeded(11);
  options.max_quota_wait = milliseconds(60'000);
  options.max_delay = milliseconds(20'000);
  RetryPolicy policy(options);
  int64_t largest_late = 0;
  for (int i = 0; i < 200; ++i) {
    const auto first = policy.OnQuotaWait(1, milliseconds(0));
    ASSERT_TRUE(first.has_value());
    EXPECT_GE(first->count(), 0);
    EXPECT_LT(first->count(), 500);                             // throttle_base_delay
    const auto late = policy.OnQuotaWait(40, milliseconds(0));  // capped at max_delay
    ASSERT_TRUE(late.has_value());
    EXPECT_LT(late->count(), 20'000);
    largest_late = std::max<int64_t>(largest_late, late->count());
    // The last wait is clipped to what is left of max_quota_wait.
    const auto clipped = policy.OnQuotaWait(40, milliseconds(59'990));
    ASSERT_TRUE(clipped.has_value());
    EXPECT_LE(clipped->count(), 10);
  }
  EXPECT_GT(largest_late, 10'000);  // full jitter under the cap
  EXPECT_FALSE(policy.OnQuotaWait(3, milliseconds(60'000)).has_value());
  EXPECT_FALSE(policy.OnQuotaWait(3, milliseconds(90'000)).has_value());
  EXPECT_EQ(policy.available_tokens(), 500);  // waiting for capacity costs no retry tokens
}

TEST(RetryAttemptsTest, QuotaWaitsCountTheClockFromTheFirstAndKeepTheAttempt) {
  RetryOptions options = Seeded(3);
  options.max_quota_wait = milliseconds(30'000);
  RetryPolicy policy(options);
  common::FakeClock clock;
  RetryAttempts attempts(policy, clock, nullptr, "submitting the Athena query");
  EXPECT_EQ(attempts.quota_waited().count(), 0);
  ASSERT_TRUE(attempts.WaitForQuota());
  EXPECT_EQ(attempts.attempt(), 1);  // the same attempt goes again
  ASSERT_EQ(clock.sleeps().size(), 1u);
  EXPECT_EQ(attempts.quota_waited(), clock.sleeps()[0]);
  // Time spent elsewhere (the requests' own retries) counts too.
  clock.Advance(milliseconds(10'000));
  int waits = 1;
  while (attempts.WaitForQuota()) ++waits;
  EXPECT_GT(waits, 2);
  EXPECT_EQ(attempts.quota_waited().count(), 30'000);  // exactly the limit: the last wait clipped
  EXPECT_EQ(attempts.attempt(), 1);
  EXPECT_EQ(policy.available_tokens(), 500);
  EXPECT_FALSE(attempts.WaitForQuota());  // stays used up

  common::CancellationToken cancel;
  cancel.Cancel();
  RetryAttempts cancelled(policy, clock, &cancel, "submitting the Athena query");
  try {
    cancelled.WaitForQuota();
    FAIL() << "no throw";
  } catch (const common::CancelledError& e) {
    EXPECT_STREQ(e.what(), "submitting the Athena query cancelled while waiting for capacity");
  }
}

TEST(RetryPolicyTest, ByDefaultACallRetriesUntilItsDeadlineNotAFixedAttemptCount) {
  RetryOptions options = Seeded(5);
  options.max_retry_time = milliseconds(60'000);
  RetryPolicy policy(options);
  EXPECT_EQ(RetryOptions{}.max_attempts, 0);
  EXPECT_EQ(RetryOptions{}.max_retry_time, milliseconds(5 * 60 * 1000));
  // Attempt 50 is still retried while the deadline is not reached ...
  EXPECT_TRUE(policy.OnFailure(50, FailureClass::kThrottling, milliseconds(1'000)).has_value());
  // ... the last backoff is clipped to what is left of it ...
  for (int i = 0; i < 50; ++i) {
    const auto last = policy.OnFailure(20, FailureClass::kThrottling, milliseconds(59'990));
    ASSERT_TRUE(last.has_value());
    EXPECT_LE(last->count(), 10);
  }
  // ... and once it is reached there is no retry, whatever the class.
  EXPECT_FALSE(policy.OnFailure(2, FailureClass::kThrottling, milliseconds(60'000)).has_value());
  EXPECT_FALSE(policy.OnFailure(2, FailureClass::kTransient, milliseconds(61'000)).has_value());
}

TEST(RetryPolicyTest, AThrottlingStormDoesNotDrainTheQuota) {
  RetryPolicy policy(Seeded());
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(policy.OnFailure(1 + i % 8, FailureClass::kThrottling).has_value());
  }
  EXPECT_EQ(policy.available_tokens(), 500);
  // The quota still guards against an endpoint that is down: 100 transient retries, then none.
  int retries = 0;
  while (policy.OnFailure(1, FailureClass::kTransient).has_value()) ++retries;
  EXPECT_EQ(retries, 100);
}

TEST(RetryAttemptsTest, RetriesUntilTheDeadlineCountedFromConstruction) {
  RetryOptions options = Seeded(8);
  options.max_retry_time = milliseconds(30'000);
  RetryPolicy policy(options);
  common::FakeClock clock;
  RetryAttempts attempts(policy, clock, nullptr, "S3 GetObject of s3://b/k");
  clock.Advance(milliseconds(5'000));  // the first attempt itself took time
  int retries = 0;
  while (attempts.Retry(FailureClass::kTransient, "BodyBroken")) ++retries;
  EXPECT_GT(retries, 5);
  int64_t slept = 0;
  for (auto sleep : clock.sleeps()) slept += sleep.count();
  EXPECT_EQ(slept, 25'000);  // exactly the rest of the deadline
  const RetryStats::Snapshot stats = policy.stats().Take();
  EXPECT_EQ(stats.retries, retries);
  EXPECT_EQ(stats.by_code.at("BodyBroken"), retries);
  EXPECT_EQ(stats.by_operation.at("S3 GetObject of s3://b/k"), retries);
  EXPECT_EQ(stats.backoff_waited.count(), 25'000);
}

TEST(RetryStatsTest, CountsByCodeAndOperationAndSummarizes) {
  RetryStats stats;
  EXPECT_EQ(RetryStats::SummaryLine(stats.Take()), "Retries: 0");
  for (int i = 0; i < 30; ++i)
    stats.RecordRetry("athena GetQueryResults", "ThrottlingException", milliseconds(300));
  for (int i = 0; i < 7; ++i)
    stats.RecordRetry("athena StartQueryExecution", "InternalServerException", milliseconds(100));
  stats.RecordRateWait(milliseconds(2'600));
  stats.RecordRateWait(milliseconds(0));
  const RetryStats::Snapshot s = stats.Take();
  EXPECT_EQ(s.retries, 37);
  EXPECT_EQ(s.by_operation.at("athena GetQueryResults"), 30);
  EXPECT_EQ(s.by_operation.at("athena StartQueryExecution"), 7);
  EXPECT_EQ(s.backoff_waited.count(), 9'700);
  EXPECT_EQ(s.waited().count(), 12'300);
  EXPECT_EQ(RetryStats::SummaryLine(s),
            "Retries: 37 (ThrottlingException 30, InternalServerException 7) waited 12.3 s "
            "(send rate 2.6 s)");
}

/// A service's per-account rate quota: whether it throttles a request arriving at `now`.
bool Throttles(common::TokenBucket& quota, common::SystemTimePoint now) {
  return !quota.TryTake(now.time_since_epoch());
}

struct Simulated {
  int responses = 0;
  int throttled = 0;
  int late_responses = 0;  ///< in the last quarter of the run
  int late_throttled = 0;
  milliseconds waited{0};
};

/// A client sending one request at a time, one `round_trip` each, as fast as `limiter` lets it,
/// for `duration` of `clock`; `throttles` answers each request.
Simulated Simulate(SendRateLimiter& limiter, common::FakeClock& clock, milliseconds round_trip,
                   milliseconds duration,
                   const std::function<bool(common::SystemTimePoint)>& throttles) {
  Simulated result;
  const auto start = clock.Now();
  while (clock.Now() - start < duration) {
    result.waited += limiter.Acquire(clock, nullptr);
    clock.Advance(round_trip);
    const bool throttled = throttles(clock.Now());
    limiter.OnResponse(throttled, clock.Now());
    ++result.responses;
    result.throttled += throttled ? 1 : 0;
    if (clock.Now() - start >= duration * 3 / 4) {
      ++result.late_responses;
      result.late_throttled += throttled ? 1 : 0;
    }
  }
  return result;
}

TEST(SendRateLimiterTest, AQuietClientIsNeverLimited) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "athena");
  // 2 requests/s, every third throttled: below kEngageRate the calls' own backoff is enough.
  int n = 0;
  const Simulated run = Simulate(limiter, clock, milliseconds(500), milliseconds(60'000),
                                 [&n](common::SystemTimePoint) { return ++n % 3 == 0; });
  EXPECT_EQ(run.throttled, run.responses / 3);
  EXPECT_EQ(limiter.mode(), SendRateLimiter::Mode::kOff);
  EXPECT_EQ(run.waited.count(), 0);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST(SendRateLimiterTest, UnderARateQuotaTheSendRateSettlesNearTheQuota) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "athena");
  common::TokenBucket quota(10, 10, clock.Now().time_since_epoch());  // 10 requests/s, burst 10
  // The client could send 100 requests/s: without a limit 90% of its requests would be throttled.
  const Simulated run =
      Simulate(limiter, clock, milliseconds(10), milliseconds(60'000),
               [&quota](common::SystemTimePoint now) { return Throttles(quota, now); });
  EXPECT_EQ(limiter.mode(), SendRateLimiter::Mode::kAdapting);
  EXPECT_TRUE(limiter.enabled());
  // Over the last 15 s: at most 1 request in 4 throttled, and the quota used, not starved.
  EXPECT_LT(run.late_throttled * 4, run.late_responses);
  const double late_goodput = (run.late_responses - run.late_throttled) / 15.0;
  EXPECT_GT(late_goodput, 6);
  EXPECT_LE(late_goodput, 10.5);
  EXPECT_GT(run.waited.count(), 30'000);  // most of the minute was spent pacing, not hammering
}

TEST(SendRateLimiterTest, ThrottlingThatIgnoresTheRateStandsTheLimiterDown) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "athena");
  // Every fifth answer throttled whatever the rate (a sick service, other clients of the account,
  // athena-local's random faults): slowing down would only cost time.
  int n = 0;
  const Simulated run = Simulate(limiter, clock, milliseconds(20), milliseconds(60'000),
                                 [&n](common::SystemTimePoint) { return ++n % 5 == 0; });
  EXPECT_EQ(limiter.mode(), SendRateLimiter::Mode::kStoodDown);
  EXPECT_FALSE(limiter.enabled());
  EXPECT_NEAR(limiter.ambient_throttle_share(), 0.2, 0.05);
  // The probe costs a couple of seconds of the minute; an AIMD limiter reacting to every
  // throttle would have sent at its floor for most of it.
  EXPECT_LT(run.waited.count(), 5'000);
  EXPECT_GT(run.responses, 2'600);  // of the 3,000 an unlimited client sends in 60 s

  // A clearly higher share (throttling that may now follow the rate) probes again.
  n = 0;
  Simulate(limiter, clock, milliseconds(20), milliseconds(1'000),
           [&n](common::SystemTimePoint) { return ++n % 4 != 0; });
  EXPECT_EQ(limiter.mode(), SendRateLimiter::Mode::kProbing);
}

TEST(SendRateLimiterTest, AProbeFooledByChanceIsCorrectedByTheNextOne) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "athena");
  const auto start = clock.Now();
  // Every fifth answer throttled whatever the rate, but by chance every second one during the
  // probe's first round: the probe sees throttling fall with the rate and adapts.
  int n = 0;
  auto throttles = [&](common::SystemTimePoint now) {
    ++n;
    const auto t = now - start;
    if (t < std::chrono::seconds(2)) return false;
    if (t < milliseconds(3'200)) return n % 2 == 0;
    return n % 5 == 0;
  };
  Simulate(limiter, clock, milliseconds(20), milliseconds(5'500), throttles);
  ASSERT_EQ(limiter.mode(), SendRateLimiter::Mode::kAdapting);
  // CUBIC then lowers the rate at each round; once it has halved, a new probe finds that the
  // throttling does not follow the rate and the limiter stands down.
  const Simulated rest =
      Simulate(limiter, clock, milliseconds(20), milliseconds(55'500), throttles);
  EXPECT_EQ(limiter.mode(), SendRateLimiter::Mode::kStoodDown);
  EXPECT_NEAR(limiter.ambient_throttle_share(), 0.2, 0.05);
  EXPECT_LT(rest.waited.count(), 10'000);
}

TEST(SendRateLimiterTest, AdaptingDecreasesOncePerRoundAndRecovers) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "s3");
  common::TokenBucket quota(20, 20, clock.Now().time_since_epoch());
  // Until the probe has found that the throttling follows the rate.
  const auto start = clock.Now();
  while (limiter.mode() != SendRateLimiter::Mode::kAdapting &&
         clock.Now() - start < std::chrono::seconds(10)) {
    Simulate(limiter, clock, milliseconds(10), milliseconds(10),
             [&quota](common::SystemTimePoint now) { return Throttles(quota, now); });
  }
  ASSERT_EQ(limiter.mode(), SendRateLimiter::Mode::kAdapting);
  // A burst of throttling answers (requests sent before the decrease) lowers the rate once.
  clock.Advance(milliseconds(static_cast<int64_t>(SendRateLimiter::kDecreaseSeconds * 1000)));
  limiter.OnResponse(true, clock.Now());
  const double lowered = limiter.fill_rate();
  for (int i = 0; i < 10; ++i) {
    clock.Advance(milliseconds(5));
    limiter.OnResponse(true, clock.Now());
  }
  EXPECT_DOUBLE_EQ(limiter.fill_rate(), lowered);
  // Successes let it grow back (CUBIC), up to 2 x the measured rate.
  const auto recovering = clock.Now();
  while (clock.Now() - recovering < std::chrono::seconds(30)) {
    limiter.Acquire(clock, nullptr);
    clock.Advance(milliseconds(10));
    limiter.OnResponse(false, clock.Now());
  }
  EXPECT_GT(limiter.fill_rate(), lowered);
  EXPECT_LE(limiter.fill_rate(), 2 * limiter.measured_rate() + 1e-9);
}

TEST(SendRateLimiterTest, ConcurrentRequestsQueueAtTheFillRate) {
  common::FakeClock clock;
  SendRateLimiter limiter(0.5, "s3");
  // 20 requests/s, then a throttle: probing at 0.7 x the measured rate.
  for (int i = 0; i < 60; ++i) {
    clock.Advance(milliseconds(50));
    limiter.OnResponse(false, clock.Now());
  }
  limiter.OnResponse(true, clock.Now());
  ASSERT_EQ(limiter.mode(), SendRateLimiter::Mode::kProbing);
  const double rate = limiter.fill_rate();
  ASSERT_NEAR(rate, 0.7 * 20, 1.5);
  // Ten requests asking at the same instant are spaced 1/rate apart (tokens taken into debt).
  std::vector<int64_t> waits;
  const auto now = clock.Now();
  for (int i = 0; i < 10; ++i) {
    clock.Set(now);
    waits.push_back(limiter.Acquire(clock, nullptr).count());
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_NEAR(static_cast<double>(waits[i]), 1000.0 * (i + 1) / rate, 1.0) << i;
  }

  common::CancellationToken cancel;
  cancel.Cancel();
  EXPECT_THROW(limiter.Acquire(clock, &cancel), common::CancelledError);
}

TEST(RetryPolicyTest, OneSendRateLimiterPerServiceAndNoneInStandardMode) {
  RetryPolicy adaptive(Seeded());
  ASSERT_NE(adaptive.Limiter("athena"), nullptr);
  EXPECT_EQ(adaptive.Limiter("athena"), adaptive.Limiter("athena"));
  EXPECT_NE(adaptive.Limiter("athena"), adaptive.Limiter("s3"));
  RetryOptions options = Seeded();
  options.adaptive = false;
  RetryPolicy standard(options);
  EXPECT_EQ(standard.Limiter("athena"), nullptr);
}

}  // namespace
}  // namespace ac::aws
