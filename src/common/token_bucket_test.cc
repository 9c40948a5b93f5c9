#include "common/token_bucket.h"

#include <gtest/gtest.h>

namespace ac::common {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(TokenBucketTest, StartsFullRefillsAtTheRateAndCapsAtTheCapacity) {
  const nanoseconds t0 = seconds(1);
  TokenBucket bucket(4, 2, t0);
  EXPECT_DOUBLE_EQ(bucket.Tokens(t0), 2);
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0));  // refused: nothing taken
  EXPECT_DOUBLE_EQ(bucket.Tokens(t0), 0);
  EXPECT_DOUBLE_EQ(bucket.Tokens(t0 + milliseconds(125)), 0.5);
  EXPECT_DOUBLE_EQ(bucket.Tokens(t0 + seconds(10)), 2);
}

TEST(TokenBucketTest, ATokenDueNowIsNotLostToRounding) {
  const nanoseconds t0 = seconds(1);
  TokenBucket bucket(3, 1, t0);
  ASSERT_TRUE(bucket.TryTake(t0));
  EXPECT_TRUE(bucket.TryTake(t0 + nanoseconds(333'333'334)));  // 1/3 s: exactly one token
}

TEST(TokenBucketTest, AClockSteppingBackRefillsNothing) {
  const nanoseconds t0 = seconds(10);
  TokenBucket bucket(1, 1, t0);
  ASSERT_TRUE(bucket.TryTake(t0));
  EXPECT_FALSE(bucket.TryTake(t0 - seconds(5)));
  EXPECT_FALSE(bucket.TryTake(t0 + milliseconds(500)));
  EXPECT_TRUE(bucket.TryTake(t0 + seconds(1)));
}

}  // namespace
}  // namespace ac::common
