#pragma once

// Exact Athena (Trino) text for values, as Athena writes them into result CSV files and returns
// them as Datum.VarCharValue. The appenders write into a caller-owned buffer so a whole chunk of
// rows is formatted without a heap allocation per cell.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/json_text.h"

namespace ac::athena_text {

/// Java `Double.toString` text (shortest round-trip digits): `0.5`, `1.0`, `1234567.0`, `1.0E7`,
/// `9.99E-4`, `-0.0`, `NaN`, `Infinity`. Exponent form when |x| < 1e-3 or |x| >= 1e7.
void AppendJavaDouble(std::string& out, double value);
/// Java `Float.toString` text (shortest digits that round-trip through a float).
void AppendJavaFloat(std::string& out, float value);

/// Decimal text of an unscaled integer at `scale`: (12345, 2) -> `123.45`, (-5, 2) -> `-0.05`.
void AppendDecimal(std::string& out, __int128 unscaled, int scale);
void AppendInt128(std::string& out, __int128 value);
void AppendUInt128(std::string& out, unsigned __int128 value);
void AppendInt64(std::string& out, int64_t value);
void AppendUInt64(std::string& out, uint64_t value);

/// `YYYY-MM-DD` for days since 1970-01-01.
void AppendDate(std::string& out, int64_t days_since_epoch);
/// `HH:MM:SS.fff` for milliseconds since midnight.
void AppendTimeOfDayMillis(std::string& out, int64_t millis_of_day);
/// `YYYY-MM-DD HH:MM:SS.fff` for milliseconds since the epoch (UTC wall clock).
void AppendTimestampMillis(std::string& out, int64_t epoch_millis);
/// `+HH:MM` / `-HH:MM` for an offset in seconds.
void AppendZoneOffset(std::string& out, int32_t offset_seconds);

/// Rounds microseconds to milliseconds (half up), as Trino does when casting to precision 3.
int64_t MicrosToMillisRounded(int64_t micros);
int64_t FloorDiv(int64_t a, int64_t b);

/// Trino `interval year to month` text: `1-2`, `0-3`, `-1-6`.
void AppendIntervalYearToMonth(std::string& out, int64_t months);
/// Trino `interval day to second` text: `2 00:00:00.000`, `-0 01:00:00.500`.
void AppendIntervalDayToSecond(std::string& out, int64_t millis);

/// Lowercase hex byte pairs separated by single spaces (`31 32 33`); empty input -> nothing.
void AppendSpacedHex(std::string& out, std::string_view bytes);
/// Canonical 36-char UUID text from the 128-bit value (high/low 64 bits, big-endian order).
void AppendUuid(std::string& out, uint64_t high, uint64_t low);
/// JSON text without insignificant whitespace (Trino's canonical json text).
void AppendCompactJson(std::string& out, std::string_view json);

/// `"text"` with embedded quotes doubled (Athena's result CSV cell).
void AppendCsvQuoted(std::string& out, std::string_view text);
/// Doubles every `"` in out[from, end) in place (the cell text was appended unquoted first).
void EscapeCsvQuotesFrom(std::string& out, size_t from);
/// Appends `text` as a JSON string literal (with quotes), escaping as JSON requires.
using common::AppendJsonString;

}  // namespace ac::athena_text
