#pragma once

// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), for any year,
// negative included (Howard Hinnant's civil algorithms). Shared by the parsers of Athena's text
// (athena/) and its formatters (athena_text/).

#include <cstdint>

namespace ac::common {

struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  ///< 1..12
  unsigned day = 1;    ///< 1..31
};

bool IsLeapYear(int64_t year);
unsigned DaysInMonth(int64_t year, unsigned month);
/// Days since 1970-01-01 of a civil date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
/// The civil date of a day number (the inverse of DaysFromCivil).
CivilDate CivilFromDays(int64_t days);
/// Day of the week of a day number: 0 = Sunday .. 6 = Saturday.
unsigned WeekdayFromDays(int64_t days);

}  // namespace ac::common
