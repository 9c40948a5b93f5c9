#include "common/civil_date.h"

#include <gtest/gtest.h>

namespace ac::common {
namespace {

TEST(CivilDateTest, KnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  const CivilDate leap = CivilFromDays(19782);
  EXPECT_EQ(leap.year, 2024);
  EXPECT_EQ(leap.month, 2u);
  EXPECT_EQ(leap.day, 29u);
  const CivilDate before_year_one = CivilFromDays(DaysFromCivil(-1, 12, 31));
  EXPECT_EQ(before_year_one.year, -1);
  EXPECT_EQ(before_year_one.month, 12u);
  EXPECT_EQ(before_year_one.day, 31u);
  EXPECT_EQ(WeekdayFromDays(0), 4u);  // Thursday
  EXPECT_EQ(WeekdayFromDays(-1), 3u);
}

TEST(CivilDateTest, CivilFromDaysInvertsDaysFromCivilAcrossEras) {
  // Every day from -1000-01-01 to 12000-12-31: consecutive, valid dates that map back.
  int64_t days = DaysFromCivil(-1000, 1, 1);
  CivilDate previous = CivilFromDays(days - 1);
  for (; days <= DaysFromCivil(12000, 12, 31); ++days) {
    const CivilDate date = CivilFromDays(days);
    ASSERT_GE(date.month, 1u);
    ASSERT_LE(date.month, 12u);
    ASSERT_GE(date.day, 1u);
    ASSERT_LE(date.day, DaysInMonth(date.year, date.month)) << days;
    ASSERT_EQ(DaysFromCivil(date.year, date.month, date.day), days);
    const bool next_day =
        date.year == previous.year && date.month == previous.month && date.day == previous.day + 1;
    const bool next_month =
        date.day == 1 &&
        ((date.year == previous.year && date.month == previous.month + 1) ||
         (date.year == previous.year + 1 && date.month == 1 && previous.month == 12));
    ASSERT_TRUE(next_day || next_month) << days;
    previous = date;
  }
}

}  // namespace
}  // namespace ac::common
