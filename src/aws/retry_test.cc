#include "aws/retry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "common/error.h"

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
  EXPECT_FALSE(policy.OnFailure(1, FailureClass::kThrottling).has_value());

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

  ASSERT_TRUE(policy.OnFailure(1, FailureClass::kThrottling));
  ASSERT_TRUE(policy.OnFailure(2, FailureClass::kTransient));
  EXPECT_EQ(policy.available_tokens(), 490);
  policy.OnSuccess(FailureClass::kTransient);  // the last retry's cost
  EXPECT_EQ(policy.available_tokens(), 495);
  policy.OnSuccess(std::nullopt);  // success without retry: +1
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
  EXPECT_TRUE(policy.OnFailure(1, FailureClass::kTransient, 2).has_value());
  EXPECT_FALSE(policy.OnFailure(2, FailureClass::kTransient, 2).has_value());
  EXPECT_TRUE(policy.OnFailure(7, FailureClass::kTransient, 10).has_value());
  EXPECT_FALSE(policy.OnFailure(1, FailureClass::kNonRetryable, 10).has_value());
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

}  // namespace
}  // namespace ac::aws
