#include "connector/query_cost.h"

#include <gtest/gtest.h>

namespace ac::connector {
namespace {

constexpr int64_t kMb = int64_t{1} << 20;

TEST(QueryCostTest, BilledBytesAreWholeMegabytesAtLeastTen) {
  EXPECT_EQ(BilledBytes(0), 10 * kMb);
  EXPECT_EQ(BilledBytes(1), 10 * kMb);
  EXPECT_EQ(BilledBytes(10 * kMb), 10 * kMb);
  EXPECT_EQ(BilledBytes(10 * kMb + 1), 11 * kMb);
  EXPECT_EQ(BilledBytes(int64_t{5} << 40), int64_t{5} << 40);
}

TEST(QueryCostTest, ASyncAddsUpItsQueriesAndReusedResultsAreFree) {
  QueryCost cost;
  cost.Add(3 * kMb, false);          // billed 10 MB
  cost.Add(100 * kMb + 5, false);    // billed 101 MB
  cost.Add(int64_t{1} << 40, true);  // a reused result
  EXPECT_EQ(cost.queries, 3);
  EXPECT_EQ(cost.scanned_bytes, 103 * kMb + 5);
  EXPECT_EQ(cost.billed_bytes, 111 * kMb);
  EXPECT_NEAR(cost.Usd(), 111.0 / (1 << 20) * 5.0, 1e-12);
  EXPECT_EQ(cost.Describe(), "3 queries, 103.0 MB scanned, 111.0 MB billed, $0.0005 at $5.00/TB");
  QueryCost one;
  one.usd_per_tb = 6.25;
  one.Add(0, false);
  EXPECT_EQ(one.Describe(), "1 query, 0 B scanned, 10.0 MB billed, $0.0001 at $6.25/TB");
}

TEST(QueryCostTest, BytesReadInBinaryUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 30), "3.0 GB");
}

}  // namespace
}  // namespace ac::connector
