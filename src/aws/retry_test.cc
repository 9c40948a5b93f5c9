#include "aws/retry.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace ac::aws {
namespace {

using std::chrono::milliseconds;

struct ClassificationCase {
  int status;
  const char* code;
  FailureClass expected;
};

TEST(ClassifyAwsErrorTest, Table) {
  const ClassificationCase cases[] = {
      // success
      {200, "", FailureClass::kNone},
      {206, "", FailureClass::kNone},
      // transient codes, whatever the status
      {400, "RequestTimeout", FailureClass::kTransient},
      {400, "RequestTimeoutException", FailureClass::kTransient},
      {400, "PriorRequestNotComplete", FailureClass::kTransient},
      // transient statuses
      {500, "", FailureClass::kTransient},
      {500, "InternalServerException", FailureClass::kTransient},
      {502, "", FailureClass::kTransient},
      {503, "ServiceUnavailable", FailureClass::kTransient},
      {504, "", FailureClass::kTransient},
      {0, "", FailureClass::kTransient},  // no response at all
      // throttling codes
      {400, "Throttling", FailureClass::kThrottling},
      {400, "ThrottlingException", FailureClass::kThrottling},
      {400, "ThrottledException", FailureClass::kThrottling},
      {400, "RequestThrottledException", FailureClass::kThrottling},
      {400, "TooManyRequestsException", FailureClass::kThrottling},
      {400, "ProvisionedThroughputExceededException", FailureClass::kThrottling},
      {400, "TransactionInProgressException", FailureClass::kThrottling},
      {400, "RequestLimitExceeded", FailureClass::kThrottling},
      {509, "BandwidthLimitExceeded", FailureClass::kThrottling},
      {400, "LimitExceededException", FailureClass::kThrottling},
      {400, "RequestThrottled", FailureClass::kThrottling},
      {503, "SlowDown", FailureClass::kThrottling},  // the code wins over the 503
      {400, "EC2ThrottledException", FailureClass::kThrottling},
      {429, "", FailureClass::kThrottling},
      {429, "Whatever", FailureClass::kThrottling},
      // namespaced codes (JSON protocols)
      {400, "com.amazonaws.athena#ThrottlingException", FailureClass::kThrottling},
      {400, "ThrottlingException:http://internal.amazon.com/", FailureClass::kThrottling},
      // everything else
      {400, "InvalidRequestException", FailureClass::kNonRetryable},
      {400, "MetadataException", FailureClass::kNonRetryable},
      {403, "AccessDenied", FailureClass::kNonRetryable},
      {403, "SignatureDoesNotMatch", FailureClass::kNonRetryable},
      {404, "NoSuchKey", FailureClass::kNonRetryable},
      {400, "", FailureClass::kNonRetryable},
      {501, "NotImplemented", FailureClass::kNonRetryable},
      {509, "", FailureClass::kNonRetryable},
      {301, "PermanentRedirect", FailureClass::kNonRetryable},
      {200, "ThrottlingException", FailureClass::kThrottling},  // S3 200-with-error body
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyAwsError(c.status, c.code), c.expected) << c.status << " " << c.code;
  }
}

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

}  // namespace
}  // namespace ac::aws
