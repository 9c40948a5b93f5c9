#pragma once

#include <cstdint>
#include <string_view>

namespace ac::athena {

/// Proleptic Gregorian calendar arithmetic (any year, negative included).
bool IsLeapYear(int64_t year);
unsigned DaysInMonth(int64_t year, unsigned month);
/// Days since 1970-01-01 of a civil date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
/// Day of the week of a day number: 0 = Sunday .. 6 = Saturday.
unsigned WeekdayFromDays(int64_t days);

/// Parses a date `YYYY-MM-DD` at `pos` (year: optional sign, four or more digits, as Trino prints
/// years outside 0..9999); advances `pos`. False when malformed or not a real calendar date.
bool ParseDateAt(std::string_view text, size_t& pos, int64_t& days);

/// Parses `YYYY-MM-DD HH:MM:SS[.fraction]` (a `T` separator is accepted too; seconds optional;
/// fraction 1..12 digits, digits past nanoseconds are truncated) at `pos`; advances `pos`. The
/// result is seconds since the epoch reading the wall time as UTC, plus nanoseconds.
bool ParseDateTimeAt(std::string_view text, size_t& pos, int64_t& seconds, int32_t& nanos);

}  // namespace ac::athena
