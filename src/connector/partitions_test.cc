#include "connector/partitions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace ac::connector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = PartitionKey::Kind;

PartitionKey Key(const std::string& type, Kind kind) {
  return PartitionKey{"dt", athena::ParseDeclaredType(type), kind};
}

TEST(PartitionsTest, ValuesOfOneKeyAreDistinctUnescapedAndSorted) {
  const std::vector<std::string> lines = {"dt=2026-12-02/region=eu", "dt=2026-12-01/region=us",
                                          "dt=2026-12-02/region=us", "DT=2026-12-03%2001/region=x",
                                          "dt=__HIVE_DEFAULT_PARTITION__/region=eu"};
  EXPECT_THAT(PartitionValuesOf(lines, "dt", Kind::kDate),
              ElementsAre("2026-12-01", "2026-12-02", "2026-12-03 01"));
  EXPECT_THAT(PartitionValuesOf(lines, "region", std::nullopt), ElementsAre("eu", "us", "x"));
  EXPECT_THAT(PartitionValuesOf({"n=10", "n=9", "n=-1"}, "n", Kind::kInteger),
              ElementsAre("-1", "9", "10"));
  EXPECT_THROW(PartitionValuesOf({"n=10", "n=x"}, "n", Kind::kInteger), common::ProtocolError);
}

TEST(PartitionsTest, DateLikeMeansAnIsoDateFirst) {
  EXPECT_TRUE(AllDateLike({"2026-12-01", "2026-12-01-13", "2026-02-28T10"}));
  EXPECT_FALSE(AllDateLike({"2026-12-01", "eu"}));
  EXPECT_FALSE(AllDateLike({"2026-02-30"}));  // no such day
  EXPECT_FALSE(AllDateLike({"20261201"}));
  EXPECT_FALSE(AllDateLike({}));
}

TEST(PartitionsTest, TheKeyIsTheConfiguredOneElseTheFirstAndMustBeDateLikeOrInteger) {
  TableConfig table;
  table.destination_table = "events";
  const std::vector<athena::Column> keys = {{"region", athena::ParseDeclaredType("string")},
                                            {"dt", athena::ParseDeclaredType("date")},
                                            {"hour", athena::ParseDeclaredType("int")}};
  std::string why;
  EXPECT_FALSE(ChoosePartitionKey(table, keys, {"eu"}, why));
  EXPECT_THAT(why, HasSubstr("'region' has values that are not ISO dates"));
  table.partition_column = "DT";
  auto key = ChoosePartitionKey(table, keys, {}, why);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->column, "dt");
  EXPECT_EQ(key->kind, Kind::kDate);
  table.partition_column = "hour";
  EXPECT_EQ(ChoosePartitionKey(table, keys, {}, why)->kind, Kind::kInteger);
  table.partition_column = "nope";
  EXPECT_THROW(ChoosePartitionKey(table, keys, {}, why), common::ConfigError);
  table.partition_column.clear();
  EXPECT_FALSE(ChoosePartitionKey(table, {}, {}, why));
  EXPECT_EQ(why, "the table is not partitioned");
  const std::vector<athena::Column> doubles = {{"x", athena::ParseDeclaredType("double")}};
  EXPECT_FALSE(ChoosePartitionKey(table, doubles, {}, why));
  EXPECT_THAT(why, HasSubstr("neither date-like nor an integer"));
}

TEST(PartitionsTest, LookbackIsDaysForDatesAndValuesForIntegers) {
  EXPECT_EQ(LookbackStart(Key("string", Kind::kDate), "2026-03-01", 2), "2026-02-27");
  EXPECT_EQ(LookbackStart(Key("string", Kind::kDate), "2026-12-01-13", 0), "2026-12-01");
  EXPECT_EQ(LookbackStart(Key("date", Kind::kDate), "2025-01-01", 1), "2024-12-31");
  EXPECT_EQ(LookbackStart(Key("int", Kind::kInteger), "100", 7), "93");
  EXPECT_THROW(LookbackStart(Key("string", Kind::kDate), "x' OR 1=1", 1), common::ConfigError);
}

TEST(PartitionsTest, RangesTakeAtMostPerQueryPartitionsAndTheLastIsOpen) {
  const std::vector<std::string> values = {"a1", "a2", "a3", "a4", "a5"};
  auto ranges = PlanPartitionRanges(Kind::kDate, values, "", "", 2);
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].through, "a2");
  EXPECT_EQ(ranges[1].after, "a2");
  EXPECT_EQ(ranges[1].through, "a4");
  EXPECT_EQ(ranges[2].after, "a4");
  EXPECT_EQ(ranges[2].through, "");
  EXPECT_EQ(CountInRange(Kind::kDate, values, ranges[2]), 1u);

  ranges = PlanPartitionRanges(Kind::kDate, values, "a3", "", 2);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].from, "a3");
  EXPECT_EQ(ranges[0].through, "a4");

  ranges = PlanPartitionRanges(Kind::kDate, values, "", "a5", 2);  // nothing listed past it
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].after, "a5");
  EXPECT_EQ(ranges[0].through, "");
  EXPECT_EQ(PlanPartitionRanges(Kind::kDate, {}, "", "", 2).size(), 1u);

  // A NULL partition (`__HIVE_DEFAULT_PARTITION__`): read by a first sync, in a range of its own.
  ranges = PlanPartitionRanges(Kind::kDate, values, "", "", 10, /*has_null=*/true);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_TRUE(ranges[0].nulls);
  EXPECT_EQ(CountInRange(Kind::kDate, values, ranges[0]), 0u);
  EXPECT_FALSE(ranges[1].nulls);
  EXPECT_EQ(PlanPartitionRanges(Kind::kDate, values, "a3", "", 10, true).size(), 1u);
}

TEST(PartitionsTest, ConditionsCarryTheBoundsAsTypedParameters) {
  std::vector<std::string> parameters;
  PartitionRange range;
  range.from = "2026-12-01";
  range.through = "2026-12-05";
  EXPECT_EQ(RangeCondition(Key("string", Kind::kDate), range, parameters),
            R"("dt" >= ? AND "dt" <= ?)");
  EXPECT_THAT(parameters, ElementsAre("'2026-12-01'", "'2026-12-05'"));
  parameters.clear();
  range = {};
  range.through = "2026-12-05";
  EXPECT_EQ(RangeCondition(Key("date", Kind::kDate), range, parameters), R"("dt" <= ?)");
  EXPECT_THAT(parameters, ElementsAre("DATE '2026-12-05'"));
  range = {};
  range.nulls = true;
  EXPECT_EQ(RangeCondition(Key("date", Kind::kDate), range, parameters), R"("dt" IS NULL)");
  parameters.clear();
  EXPECT_EQ(RangeCondition(Key("date", Kind::kDate), PartitionRange{}, parameters), "");
  range = {};
  range.after = "5 OR 1=1";
  EXPECT_THROW(RangeCondition(Key("bigint", Kind::kInteger), range, parameters),
               common::ConfigError);
}

}  // namespace
}  // namespace ac::connector
