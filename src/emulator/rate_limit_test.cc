// The per-action token buckets of --rate-limit, on a fake clock (no sleeps).

#include "emulator/rate_limit.h"

#include <gtest/gtest.h>

namespace ac::emulator {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{seconds(1000)};
  RateLimiter::Clock clock = [this] { return now; };

  RateLimiter Limiter(double rate, int64_t burst = 0) {
    return RateLimiter(RateLimitOptions{.rate = rate, .burst = burst}, clock);
  }
  /// Requests of `action` let through by `limiter`, trying `attempts` at the current time.
  static int Passed(RateLimiter& limiter, std::string_view action, int attempts) {
    int passed = 0;
    for (int i = 0; i < attempts; ++i) passed += limiter.TryAcquire(action);
    return passed;
  }
};

TEST_F(RateLimiterTest, StartsFullAndLetsABurstThrough) {
  RateLimiter limiter = Limiter(10, 3);
  EXPECT_TRUE(limiter.enabled());
  EXPECT_EQ(limiter.burst(), 3);
  EXPECT_TRUE(limiter.TryAcquire("GetQueryExecution"));
  EXPECT_TRUE(limiter.TryAcquire("GetQueryExecution"));
  EXPECT_TRUE(limiter.TryAcquire("GetQueryExecution"));
  EXPECT_FALSE(limiter.TryAcquire("GetQueryExecution"));  // empty bucket: a throttle
  EXPECT_EQ(limiter.Throttled(), (std::map<std::string, uint64_t>{{"GetQueryExecution", 1}}));
}

TEST_F(RateLimiterTest, RefillsContinuouslyAtTheRateUpToTheBurst) {
  RateLimiter limiter = Limiter(10, 3);
  EXPECT_EQ(Passed(limiter, "GetObject", 3), 3);
  now += milliseconds(50);  // half a token
  EXPECT_FALSE(limiter.TryAcquire("GetObject"));
  now += milliseconds(50);  // one token
  EXPECT_TRUE(limiter.TryAcquire("GetObject"));
  EXPECT_FALSE(limiter.TryAcquire("GetObject"));
  now += milliseconds(250);  // two and a half
  EXPECT_EQ(Passed(limiter, "GetObject", 5), 2);
  now += seconds(60);  // capped at the burst, not 600 tokens
  EXPECT_EQ(Passed(limiter, "GetObject", 10), 3);
  // A steady 10/s is let through indefinitely.
  for (int i = 0; i < 100; ++i) {
    now += milliseconds(100);
    ASSERT_TRUE(limiter.TryAcquire("GetObject")) << i;
  }
}

TEST_F(RateLimiterTest, ATokenDueNowIsNotLostToRounding) {
  RateLimiter limiter = Limiter(3, 1);
  EXPECT_TRUE(limiter.TryAcquire("ListObjectsV2"));
  for (int i = 0; i < 30; ++i) {
    now += nanoseconds(333'333'334);  // 1/3 s, rounded up to the clock's tick
    ASSERT_TRUE(limiter.TryAcquire("ListObjectsV2")) << i;
    ASSERT_FALSE(limiter.TryAcquire("ListObjectsV2")) << i;
  }
}

TEST_F(RateLimiterTest, BurstDefaultsToTheRateAndAtLeastOne) {
  EXPECT_EQ(Limiter(5).burst(), 5);
  EXPECT_EQ(Limiter(2.5).burst(), 2);
  EXPECT_EQ(Limiter(0.5).burst(), 1);
  EXPECT_EQ(Limiter(5, 20).burst(), 20);
  RateLimiter limiter = Limiter(5);
  EXPECT_EQ(Passed(limiter, "HeadObject", 10), 5);
  RateLimiter slow = Limiter(0.5);  // one request every 2 s
  EXPECT_EQ(Passed(slow, "StartQueryExecution", 3), 1);
  now += milliseconds(1999);
  EXPECT_FALSE(slow.TryAcquire("StartQueryExecution"));
  now += milliseconds(1);
  EXPECT_TRUE(slow.TryAcquire("StartQueryExecution"));
}

TEST_F(RateLimiterTest, EveryActionHasItsOwnBucket) {
  RateLimiter limiter = Limiter(1, 2);
  EXPECT_EQ(Passed(limiter, "GetQueryResults", 5), 2);
  // An empty GetQueryResults bucket throttles nothing else.
  EXPECT_EQ(Passed(limiter, "GetQueryExecution", 5), 2);
  EXPECT_EQ(Passed(limiter, "GetObject", 1), 1);
  EXPECT_EQ(Passed(limiter, "PutObject", 2), 2);
  EXPECT_EQ(limiter.Throttled(),
            (std::map<std::string, uint64_t>{{"GetQueryExecution", 3}, {"GetQueryResults", 3}}));
  now += seconds(1);  // each refills by itself
  EXPECT_EQ(Passed(limiter, "GetQueryResults", 5), 1);
  EXPECT_EQ(Passed(limiter, "GetObject", 5), 2);
}

TEST_F(RateLimiterTest, ThrottledRequestsTakeNoToken) {
  RateLimiter limiter = Limiter(10, 1);
  EXPECT_TRUE(limiter.TryAcquire("GetQueryExecution"));
  // A client hammering the empty bucket: 900 throttles in 90 ms...
  for (int i = 0; i < 900; ++i) {
    if (i % 100 == 0) now += milliseconds(10);
    ASSERT_FALSE(limiter.TryAcquire("GetQueryExecution")) << i;
  }
  // ...and the token is there exactly 100 ms after the last one was taken, as if it had waited.
  now += milliseconds(10);
  EXPECT_TRUE(limiter.TryAcquire("GetQueryExecution"));
  EXPECT_FALSE(limiter.TryAcquire("GetQueryExecution"));
  EXPECT_EQ(limiter.Throttled().at("GetQueryExecution"), 901u);
}

TEST_F(RateLimiterTest, AClockSteppingBackRefillsNothing) {
  RateLimiter limiter = Limiter(10, 1);
  EXPECT_TRUE(limiter.TryAcquire("GetObject"));
  now -= seconds(5);
  EXPECT_FALSE(limiter.TryAcquire("GetObject"));
  now += seconds(5) + milliseconds(100);
  EXPECT_TRUE(limiter.TryAcquire("GetObject"));
}

TEST_F(RateLimiterTest, RateZeroIsOff) {
  RateLimiter limiter = Limiter(0);
  EXPECT_FALSE(limiter.enabled());
  EXPECT_EQ(Passed(limiter, "GetQueryResults", 10000), 10000);
  EXPECT_TRUE(limiter.Throttled().empty());
}

}  // namespace
}  // namespace ac::emulator
