#pragma once

#include <cstdint>
#include <string_view>

#include "common/civil_date.h"

namespace ac::athena {

using common::DaysFromCivil;
using common::DaysInMonth;
using common::IsLeapYear;
using common::WeekdayFromDays;

/// Parses a date `YYYY-MM-DD` at `pos` (year: optional sign, four or more digits, as Trino prints
/// years outside 0..9999); advances `pos`. False when malformed or not a real calendar date.
bool ParseDateAt(std::string_view text, size_t& pos, int64_t& days);

/// Parses `YYYY-MM-DD HH:MM:SS[.fraction]` (a `T` separator is accepted too; seconds optional;
/// fraction 1..12 digits, digits past nanoseconds are truncated) at `pos`; advances `pos`. The
/// result is seconds since the epoch reading the wall time as UTC, plus nanoseconds.
bool ParseDateTimeAt(std::string_view text, size_t& pos, int64_t& seconds, int32_t& nanos);

}  // namespace ac::athena
