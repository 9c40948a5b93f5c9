#include "common/time_zone.h"

#include <gtest/gtest.h>

#include <string>

#include "common/civil_date.h"
#include "common/embedded_tzdata.h"

namespace ac::common {
namespace {

constexpr int32_t kHour = 3600;

int64_t Local(int64_t year, unsigned month, unsigned day, int hour, int minute = 0) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

TEST(DateTimeTest, CivilDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29) * 86400, 1709164800);
  EXPECT_EQ(DaysFromCivil(1, 1, 1) * 86400, -62135596800);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31) * 86400, 253402214400);
  EXPECT_EQ(WeekdayFromDays(0), 4u);  // Thursday
  EXPECT_EQ(WeekdayFromDays(-1), 3u);
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(-4));
}

TEST(FixedOffsetTest, ParsesTrinoSpellings) {
  EXPECT_EQ(ParseFixedOffset("+05:30"), 5 * kHour + 30 * 60);
  EXPECT_EQ(ParseFixedOffset("-08:00"), -8 * kHour);
  EXPECT_EQ(ParseFixedOffset("+0530"), 5 * kHour + 30 * 60);
  EXPECT_EQ(ParseFixedOffset("-08"), -8 * kHour);
  EXPECT_EQ(ParseFixedOffset("+5"), 5 * kHour);
  EXPECT_EQ(ParseFixedOffset("UTC"), 0);
  EXPECT_EQ(ParseFixedOffset("Z"), 0);
  EXPECT_EQ(ParseFixedOffset("GMT"), 0);
  EXPECT_EQ(ParseFixedOffset("UTC+02:00"), 2 * kHour);
  EXPECT_EQ(ParseFixedOffset("GMT-3"), -3 * kHour);
  EXPECT_EQ(ParseFixedOffset("+18:00"), 18 * kHour);
  EXPECT_FALSE(ParseFixedOffset("+19:00"));
  EXPECT_FALSE(ParseFixedOffset("+05:60"));
  EXPECT_FALSE(ParseFixedOffset("+05:3"));
  EXPECT_FALSE(ParseFixedOffset("America/Los_Angeles"));
  EXPECT_FALSE(ParseFixedOffset(""));
  EXPECT_FALSE(ParseFixedOffset("+"));
  EXPECT_FALSE(ParseFixedOffset("UTCX"));
}

TEST(PosixRuleTest, NorthernAndSouthernHemisphere) {
  int32_t standard = 0;
  std::vector<std::pair<int64_t, int32_t>> t;
  ASSERT_TRUE(PosixTzTransitions("PST8PDT,M3.2.0,M11.1.0", 2021, 2021, standard, t));
  EXPECT_EQ(standard, -8 * kHour);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], std::make_pair(int64_t{1615716000}, -7 * kHour));
  EXPECT_EQ(t[1], std::make_pair(int64_t{1636275600}, -8 * kHour));

  ASSERT_TRUE(PosixTzTransitions("AEST-10AEDT,M10.1.0,M4.1.0/3", 2021, 2021, standard, t));
  EXPECT_EQ(standard, 10 * kHour);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], std::make_pair(int64_t{1617465600}, 10 * kHour));
  EXPECT_EQ(t[1], std::make_pair(int64_t{1633190400}, 11 * kHour));

  ASSERT_TRUE(PosixTzTransitions("<+0530>-5:30", 2021, 2021, standard, t));
  EXPECT_EQ(standard, 5 * kHour + 30 * 60);
  EXPECT_TRUE(t.empty());

  EXPECT_FALSE(PosixTzTransitions("PST8PDT,M13.2.0,M11.1.0", 2021, 2021, standard, t));
  EXPECT_FALSE(PosixTzTransitions("8", 2021, 2021, standard, t));
}

/// A version 2 TZif with no transitions, one type, and a footer rule: what "slim" tz data ships.
std::string SlimTzif(const std::string& footer, int32_t type0_offset) {
  std::string header("TZif2");
  header.append(15, '\0');
  auto be32 = [](std::string& s, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      s.push_back(static_cast<char>((v >> shift) & 0xFF));
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  for (uint32_t v : {0u, 0u, 0u, 0u, 1u, 4u}) be32(header, v);
  std::string block;
  be32(block, static_cast<uint32_t>(type0_offset));
  block.push_back('\0');  // isdst
  block.push_back('\0');  // abbreviation index
  block.append("LMT", 4);
  return header + block + header + block + "\n" + footer + "\n";
}

TEST(TimeZoneTest, SlimTzifUsesTheFooterRule) {
  const auto zone = TimeZone::FromTzif(SlimTzif("PST8PDT,M3.2.0,M11.1.0", -8 * kHour));
  ASSERT_TRUE(zone.has_value());
  EXPECT_EQ(zone->OffsetAt(998474645), -7 * kHour);  // 2001-08-22, summer
  EXPECT_EQ(zone->OffsetAt(979556645), -8 * kHour);  // 2001-01-15, winter
  EXPECT_EQ(zone->LocalToUtc(Local(2100, 7, 1, 0)), 4118108400);
}

TEST(TimeZoneTest, RejectsMalformedTzif) {
  EXPECT_FALSE(TimeZone::FromTzif(""));
  EXPECT_FALSE(TimeZone::FromTzif("TZif2 not really"));
  std::string truncated = SlimTzif("PST8PDT,M3.2.0,M11.1.0", 0);
  truncated.resize(50);
  EXPECT_FALSE(TimeZone::FromTzif(truncated));
}

TEST(TimeZoneTest, FixedZone) {
  const TimeZone zone = TimeZone::Fixed(5 * kHour + 30 * 60);
  EXPECT_EQ(zone.OffsetAt(0), 19800);
  EXPECT_EQ(zone.LocalToUtc(19800), 0);
}

class SystemTimeZoneTest : public ::testing::Test {
 protected:
  const TimeZone& Zone(const char* name) {
    const TimeZone* zone = cache_.Find(name);
    if (zone == nullptr) {
      ADD_FAILURE() << "zone " << name << " not found in " << TimeZoneCache::DefaultZoneInfoDir();
      static const TimeZone kUtc = TimeZone::Fixed(0);
      return kUtc;
    }
    return *zone;
  }
  TimeZoneCache cache_;
};

TEST_F(SystemTimeZoneTest, LosAngelesSummerWinterAndHistory) {
  const TimeZone& la = Zone("America/Los_Angeles");
  EXPECT_EQ(la.LocalToUtc(Local(2001, 8, 22, 3, 4) + 5), 998474645);
  EXPECT_EQ(la.LocalToUtc(Local(2001, 1, 15, 3, 4) + 5), 979556645);
  EXPECT_EQ(la.LocalToUtc(Local(1960, 7, 1, 0)), -299869200);
  EXPECT_EQ(la.LocalToUtc(Local(2100, 7, 1, 0)), 4118108400);  // past the file: footer rule
  EXPECT_EQ(la.LocalToUtc(Local(2100, 1, 1, 0)), 4102473600);
  EXPECT_EQ(la.LocalToUtc(Local(2300, 7, 1, 0)), 10429455600);
  EXPECT_EQ(la.OffsetAt(998474645), -7 * kHour);
}

TEST_F(SystemTimeZoneTest, RepeatedWallTimeTakesTheEarlierInstant) {
  // 2021-11-07 01:30 happens twice in Los Angeles (PDT, then PST).
  EXPECT_EQ(Zone("America/Los_Angeles").LocalToUtc(Local(2021, 11, 7, 1, 30)), 1636273800);
}

TEST_F(SystemTimeZoneTest, SkippedWallTimeMovesLaterByTheGap) {
  // 2021-03-14 02:30 does not exist in Los Angeles; java.time reads it as 03:30 PDT.
  EXPECT_EQ(Zone("America/Los_Angeles").LocalToUtc(Local(2021, 3, 14, 2, 30)), 1615717800);
}

TEST_F(SystemTimeZoneTest, OtherZones) {
  EXPECT_EQ(Zone("Asia/Kolkata").LocalToUtc(Local(2001, 8, 22, 3, 4) + 5), 998429645);
  EXPECT_EQ(Zone("Australia/Sydney").LocalToUtc(Local(2021, 1, 15, 12)), 1610672400);
  EXPECT_EQ(Zone("Australia/Sydney").LocalToUtc(Local(2021, 7, 15, 12)), 1626314400);
  EXPECT_EQ(Zone("Europe/London").LocalToUtc(Local(2030, 7, 1, 12)), 1909134000);
  EXPECT_EQ(Zone("UTC").LocalToUtc(12345), 12345);
  EXPECT_EQ(Zone("Etc/UTC").LocalToUtc(12345), 12345);
}

TEST(TimeZoneCacheTest, CachesHitsAndMisses) {
  TimeZoneCache cache;
  const TimeZone* a = cache.Find("America/Los_Angeles");
  const TimeZone* utc = cache.Find("UTC");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(utc, nullptr);
  EXPECT_EQ(cache.Find("America/Los_Angeles"), a);
  EXPECT_EQ(cache.Find("UTC"), utc);
  EXPECT_EQ(cache.Find("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(cache.Find("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(cache.Find("America"), nullptr);  // a folder, not a zone
}

TEST(TimeZoneCacheTest, RefusesPathsOutsideTheZoneFolder) {
  TimeZoneCache cache;
  EXPECT_EQ(cache.Find("../../../etc/passwd"), nullptr);
  EXPECT_EQ(cache.Find("/etc/localtime"), nullptr);
  EXPECT_EQ(cache.Find("America/../America/Los_Angeles"), nullptr);
  EXPECT_EQ(cache.Find(""), nullptr);
}

TEST(TimeZoneCacheTest, FixedOffsetsNeedNoFiles) {
  TimeZoneCache cache("/nonexistent-zoneinfo", /*use_embedded=*/false);
  ASSERT_NE(cache.Find("+05:30"), nullptr);
  EXPECT_EQ(cache.Find("+05:30")->OffsetAt(0), 19800);
  EXPECT_EQ(cache.Find("America/Los_Angeles"), nullptr);
}

// Fivetran's container has no zoneinfo folder: named zones come from the copy in the binary.
TEST(TimeZoneCacheTest, NamedZonesResolveWithoutAZoneinfoFolder) {
  TimeZoneCache cache("/nonexistent-zoneinfo");
  const TimeZone* la = cache.Find("America/Los_Angeles");
  ASSERT_NE(la, nullptr);
  EXPECT_EQ(la->OffsetAt(1719835200), -7 * 3600);  // 2024-07-01T12:00Z, PDT
  EXPECT_EQ(la->OffsetAt(1704110400), -8 * 3600);  // 2024-01-01T12:00Z, PST
  // Past the last transition in the file: the POSIX rule carries the zone on.
  EXPECT_EQ(la->OffsetAt(4102444800 + 200 * 86400), -7 * 3600);  // 2100-07-20, PDT
  const TimeZone* kolkata = cache.Find("Asia/Kolkata");
  ASSERT_NE(kolkata, nullptr);
  EXPECT_EQ(kolkata->OffsetAt(1704110400), 19800);
  ASSERT_NE(cache.Find("US/Pacific"), nullptr);  // an alias (a symlink in the zoneinfo folder)
  EXPECT_EQ(cache.Find("US/Pacific")->OffsetAt(1719835200), -7 * 3600);
  ASSERT_NE(cache.Find("Etc/GMT+3"), nullptr);
  EXPECT_EQ(cache.Find("Etc/GMT+3")->OffsetAt(0), -3 * 3600);
  EXPECT_EQ(cache.Find("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(cache.Find("../America/Los_Angeles"), nullptr);
}

TEST(EmbeddedTzdataTest, HoldsTheWholeDatabase) {
  EXPECT_GT(EmbeddedZoneCount(), 500u);
  EXPECT_NE(EmbeddedTzdataVersion(), "unknown");
  const std::optional<std::string_view> utc = EmbeddedTzif("UTC");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(utc->substr(0, 4), "TZif");
  EXPECT_FALSE(EmbeddedTzif("America").has_value());  // a folder, not a zone
  EXPECT_FALSE(EmbeddedTzif("").has_value());
}

}  // namespace
}  // namespace ac::common
