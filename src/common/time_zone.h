#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ac::common {

/// UTC offsets of one time zone over time: a fixed offset, or the transitions of an IANA zone read
/// from its TZif file (RFC 8536), extended past the file's last transition with its POSIX TZ rule
/// up to year 2500 (later instants keep the last offset). Leap-second data is ignored. Immutable
/// once built, so it may be shared between threads.
class TimeZone {
 public:
  static TimeZone Fixed(int32_t offset_seconds);
  /// Parses TZif bytes (version 1, 2, 3 or 4); nullopt when malformed.
  static std::optional<TimeZone> FromTzif(std::string_view bytes);

  /// Offset (seconds east of UTC) in effect at `utc_seconds`.
  int32_t OffsetAt(int64_t utc_seconds) const;
  /// The instant of a wall-clock time (seconds since the epoch as if the wall clock were UTC).
  /// A repeated wall time (clocks set back) takes the earlier instant; a skipped one (clocks set
  /// forward) is moved later by the length of the gap - java.time's rules, which Trino follows.
  int64_t LocalToUtc(int64_t local_seconds) const;

  size_t num_transitions() const { return transitions_.size(); }

 private:
  size_t IndexAt(int64_t utc_seconds) const;
  int64_t Begin(size_t index) const;
  int64_t End(size_t index) const;

  std::vector<int64_t> transitions_;  ///< UTC seconds, strictly ascending
  std::vector<int32_t> offsets_;      ///< offsets_[i] is in effect before transitions_[i]; size n+1
};

/// Parses a POSIX TZ rule string ("PST8PDT,M3.2.0,M11.1.0", "<+0530>-5:30") and returns the
/// transitions (UTC seconds, offset after) for the years [first_year, last_year]; the standard
/// offset is returned in `standard_offset`. False when the text is malformed.
bool PosixTzTransitions(std::string_view rule, int first_year, int last_year,
                        int32_t& standard_offset,
                        std::vector<std::pair<int64_t, int32_t>>& transitions);

/// Parses a fixed UTC offset as Trino prints it: `+05:30`, `-08:00`, `+0530`, `-08`, optionally
/// prefixed by `UTC`/`GMT`/`UT`; `Z`, `UTC`, `GMT`, `UT` are zero. Result in seconds east of UTC.
std::optional<int32_t> ParseFixedOffset(std::string_view text);

/// Time zones by id, loaded on first use and kept. Not thread-safe: one per decoder. Ids are IANA
/// names ("America/Los_Angeles", "Etc/GMT+3") or fixed offsets (see ParseFixedOffset). A named zone
/// is read from the system's tz database when it has the zone (it follows the OS's tzdata updates),
/// else from the copy compiled into the binary (embedded_tzdata.h), so the binary needs no
/// zoneinfo folder.
class TimeZoneCache {
 public:
  /// `zoneinfo_dir`: where TZif files live; default $TZDIR or /usr/share/zoneinfo.
  /// `use_embedded`: fall back to the embedded tz database (off only in tests).
  explicit TimeZoneCache(std::string zoneinfo_dir = DefaultZoneInfoDir(), bool use_embedded = true);

  /// The zone, or nullptr when the id is unknown (misses are remembered too).
  const TimeZone* Find(std::string_view id);

  static std::string DefaultZoneInfoDir();

 private:
  std::string dir_;
  bool use_embedded_;
  std::vector<std::pair<std::string, std::unique_ptr<TimeZone>>> zones_;
  size_t last_ = 0;  ///< index of the last hit (most cells of a column share a zone)
};

}  // namespace ac::common
