#include "common/time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>

#include "common/civil_date.h"
#include "common/embedded_tzdata.h"

namespace ac::common {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int32_t kSecondsPerHour = 3600;
// The POSIX rule of a TZif footer is expanded into explicit transitions up to this year.
constexpr int kLastRuleYear = 2500;
// Fixed offsets beyond +-18:00 are not valid zone offsets (java.time's limit, which Trino uses).
constexpr int32_t kMaxFixedOffsetSeconds = 18 * kSecondsPerHour;
// POSIX TZ rule times may reach +-167 hours (TZif version 3).
constexpr int32_t kMaxRuleTimeSeconds = 167 * kSecondsPerHour;
constexpr size_t kMaxZoneNameBytes = 255;
constexpr size_t kTzifHeaderBytes = 44;
constexpr uintmax_t kMaxTzifBytes = 1 << 20;  // real zone files are a few KiB

// ---------------------------------------------------------------------------------------------
// TZif reading (RFC 8536).

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool Skip(size_t n) {
    if (n > bytes_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  bool U8(uint8_t& v) {
    if (pos_ + 1 > bytes_.size()) return false;
    v = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) {
    if (pos_ + 4 > bytes_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool I32(int32_t& v) {
    uint32_t u = 0;
    if (!U32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  bool I64(int64_t& v) {
    if (pos_ + 8 > bytes_.size()) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    v = static_cast<int64_t>(u);
    return true;
  }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool ReadHeader(ByteReader& r, TzifHeader& h) {
  std::string_view rest = r.rest();
  if (rest.size() < kTzifHeaderBytes || rest.substr(0, 4) != "TZif") return false;
  h.version = rest[4];
  r.Skip(20);
  return r.U32(h.isutcnt) && r.U32(h.isstdcnt) && r.U32(h.leapcnt) && r.U32(h.timecnt) &&
         r.U32(h.typecnt) && r.U32(h.charcnt) && h.typecnt > 0;
}

size_t DataBlockBytes(const TzifHeader& h, size_t time_bytes) {
  return size_t{h.timecnt} * time_bytes + h.timecnt + size_t{h.typecnt} * 6 + h.charcnt +
         size_t{h.leapcnt} * (time_bytes + 4) + h.isstdcnt + h.isutcnt;
}

// ---------------------------------------------------------------------------------------------
// POSIX TZ rule strings (the TZif footer), e.g. "PST8PDT,M3.2.0,M11.1.0".

class PosixRuleParser {
 public:
  explicit PosixRuleParser(std::string_view text) : text_(text) {}

  struct Date {
    char kind = 'M';  // 'J' (1..365, no Feb 29), 'N' (0..365), 'M' (month.week.day)
    int a = 0, b = 0, c = 0;
    int32_t time = 2 * kSecondsPerHour;
  };

  bool Parse() {
    if (!Name() || !Offset(std_offset_)) return false;
    std_offset_ = -std_offset_;  // POSIX offsets count west of Greenwich
    if (AtEnd()) return true;
    if (!Name()) return false;
    has_dst_ = true;
    dst_offset_ = std_offset_ + kSecondsPerHour;
    if (!AtEnd() && Peek() != ',') {
      int32_t off = 0;
      if (!Offset(off)) return false;
      dst_offset_ = -off;
    }
    if (AtEnd()) {
      // No rule given: the customary US rule.
      start_ = Date{'M', 3, 2, 0, 2 * kSecondsPerHour};
      end_ = Date{'M', 11, 1, 0, 2 * kSecondsPerHour};
      return true;
    }
    if (!Consume(',') || !RuleDate(start_) || !Consume(',') || !RuleDate(end_)) return false;
    return AtEnd();
  }

  int32_t std_offset() const { return std_offset_; }
  int32_t dst_offset() const { return dst_offset_; }
  bool has_dst() const { return has_dst_; }
  const Date& start() const { return start_; }
  const Date& end() const { return end_; }

  /// Seconds since the epoch, reading the rule's wall time as UTC, of `date` in `year`.
  static int64_t LocalTime(const Date& date, int64_t year) {
    int64_t days = 0;
    if (date.kind == 'J') {
      days = DaysFromCivil(year, 1, 1) + date.a - 1;
      if (IsLeapYear(year) && date.a >= 60) ++days;
    } else if (date.kind == 'N') {
      days = DaysFromCivil(year, 1, 1) + date.a;
    } else {
      const unsigned month = static_cast<unsigned>(date.a);
      const int64_t first = DaysFromCivil(year, month, 1);
      const int first_weekday = static_cast<int>(WeekdayFromDays(first));
      int day = 1 + (date.c - first_weekday + 7) % 7 + (date.b - 1) * 7;
      while (day > static_cast<int>(DaysInMonth(year, month))) day -= 7;
      days = first + day - 1;
    }
    return days * kSecondsPerDay + date.time;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  bool Name() {
    if (Consume('<')) {
      const size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      pos_ = close + 1;
      return true;
    }
    const size_t start = pos_;
    while (!AtEnd() && ((Peek() >= 'a' && Peek() <= 'z') || (Peek() >= 'A' && Peek() <= 'Z'))) {
      ++pos_;
    }
    return pos_ > start;
  }
  bool Number(int& value, int max_digits) {
    const size_t start = pos_;
    value = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' &&
           pos_ - start < static_cast<size_t>(max_digits)) {
      value = value * 10 + (text_[pos_++] - '0');
    }
    return pos_ > start;
  }
  /// [+-]hh[:mm[:ss]] in seconds (sign as written).
  bool Offset(int32_t& seconds) {
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    int h = 0, m = 0, s = 0;
    if (!Number(h, 3)) return false;
    if (Consume(':')) {
      if (!Number(m, 2)) return false;
      if (Consume(':') && !Number(s, 2)) return false;
    }
    seconds = sign * (h * kSecondsPerHour + m * 60 + s);
    return seconds >= -kMaxRuleTimeSeconds && seconds <= kMaxRuleTimeSeconds;
  }
  bool RuleDate(Date& date) {
    if (Consume('J')) {
      date.kind = 'J';
      if (!Number(date.a, 3) || date.a < 1 || date.a > 365) return false;
    } else if (Consume('M')) {
      date.kind = 'M';
      if (!Number(date.a, 2) || !Consume('.') || !Number(date.b, 1) || !Consume('.') ||
          !Number(date.c, 1)) {
        return false;
      }
      if (date.a < 1 || date.a > 12 || date.b < 1 || date.b > 5 || date.c > 6) return false;
    } else {
      date.kind = 'N';
      if (!Number(date.a, 3) || date.a > 365) return false;
    }
    date.time = 2 * kSecondsPerHour;
    if (Consume('/')) return Offset(date.time);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int32_t std_offset_ = 0;
  int32_t dst_offset_ = 0;
  bool has_dst_ = false;
  Date start_, end_;
};

int64_t YearOf(int64_t utc_seconds) {
  int64_t days = utc_seconds / kSecondsPerDay;
  if (utc_seconds % kSecondsPerDay < 0) --days;
  return common::CivilFromDays(days).year;
}

bool IsZoneNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '_' || c == '-' || c == '+' || c == '.';
}

/// A safe relative path inside the zoneinfo folder: no absolute paths, no `..`, no odd bytes.
bool IsValidZoneName(std::string_view id) {
  if (id.empty() || id.size() > kMaxZoneNameBytes || id.front() == '/' || id.front() == '.') {
    return false;
  }
  for (char c : id) {
    if (!IsZoneNameChar(c)) return false;
  }
  return id.find("..") == std::string_view::npos && id.find("/.") == std::string_view::npos;
}

/// Reads a regular file of at most kMaxTzifBytes; false for folders, missing or huge files.
bool ReadZoneFile(const std::string& path, std::string& bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxTzifBytes) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.resize(static_cast<size_t>(size));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TimeZone TimeZone::Fixed(int32_t offset_seconds) {
  TimeZone zone;
  zone.offsets_.push_back(offset_seconds);
  return zone;
}

std::optional<TimeZone> TimeZone::FromTzif(std::string_view bytes) {
  ByteReader r(bytes);
  TzifHeader h;
  if (!ReadHeader(r, h)) return std::nullopt;
  size_t time_bytes = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block; use the 64-bit one that follows its own header.
    if (!r.Skip(DataBlockBytes(h, 4)) || !ReadHeader(r, h)) return std::nullopt;
    time_bytes = 8;
  }
  if (DataBlockBytes(h, time_bytes) > r.rest().size()) return std::nullopt;

  std::vector<int64_t> times(h.timecnt);
  for (auto& t : times) {
    if (time_bytes == 8) {
      if (!r.I64(t)) return std::nullopt;
    } else {
      int32_t t32 = 0;
      if (!r.I32(t32)) return std::nullopt;
      t = t32;
    }
  }
  std::vector<uint8_t> type_index(h.timecnt);
  for (auto& i : type_index) {
    if (!r.U8(i) || i >= h.typecnt) return std::nullopt;
  }
  std::vector<int32_t> type_offset(h.typecnt);
  for (auto& off : type_offset) {
    uint8_t isdst = 0, abbr = 0;
    if (!r.I32(off) || !r.U8(isdst) || !r.U8(abbr)) return std::nullopt;
  }
  r.Skip(h.charcnt + size_t{h.leapcnt} * (time_bytes + 4) + h.isstdcnt + h.isutcnt);

  TimeZone zone;
  // Local time type 0 applies before the first transition (RFC 8536 section 3.2).
  zone.offsets_.push_back(type_offset[0]);
  auto add = [&zone](int64_t t, int32_t offset) {
    if (!zone.transitions_.empty() && t <= zone.transitions_.back()) {
      if (t < zone.transitions_.back()) return;
      // Same instant: the later entry wins.
      zone.offsets_.back() = offset;
      if (zone.offsets_[zone.offsets_.size() - 2] == offset) {
        zone.offsets_.pop_back();
        zone.transitions_.pop_back();
      }
      return;
    }
    if (offset == zone.offsets_.back()) return;  // no change: merge intervals
    zone.transitions_.push_back(t);
    zone.offsets_.push_back(offset);
  };
  for (size_t i = 0; i < times.size(); ++i) add(times[i], type_offset[type_index[i]]);

  // Footer (version 2+): "\n<POSIX TZ>\n", governing instants after the last transition.
  if (time_bytes == 8) {
    std::string_view footer = r.rest();
    if (footer.size() >= 2 && footer[0] == '\n') {
      footer.remove_prefix(1);
      const size_t nl = footer.find('\n');
      footer = footer.substr(0, nl);
      const int64_t last = times.empty() ? std::numeric_limits<int64_t>::min() : times.back();
      const int first_year = times.empty() ? 1900 : static_cast<int>(YearOf(times.back()));
      int32_t standard = 0;
      std::vector<std::pair<int64_t, int32_t>> rule_transitions;
      if (!footer.empty() &&
          PosixTzTransitions(footer, first_year, kLastRuleYear, standard, rule_transitions)) {
        if (rule_transitions.empty()) {
          if (times.empty()) {
            zone.offsets_[0] = standard;
          } else {
            add(times.back() + 1, standard);  // normally equal to the last offset: a no-op
          }
        } else {
          if (times.empty()) zone.offsets_[0] = standard;
          for (const auto& [t, offset] : rule_transitions) {
            if (t > last) add(t, offset);
          }
        }
      }
    }
  }
  return zone;
}

size_t TimeZone::IndexAt(int64_t utc_seconds) const {
  return static_cast<size_t>(
      std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds) -
      transitions_.begin());
}

int64_t TimeZone::Begin(size_t index) const {
  return index == 0 ? std::numeric_limits<int64_t>::min() : transitions_[index - 1];
}

int64_t TimeZone::End(size_t index) const {
  return index >= transitions_.size() ? std::numeric_limits<int64_t>::max() : transitions_[index];
}

int32_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  if (transitions_.empty()) return offsets_[0];
  return offsets_[IndexAt(utc_seconds)];
}

int64_t TimeZone::LocalToUtc(int64_t local_seconds) const {
  if (transitions_.empty()) return local_seconds - offsets_[0];
  const size_t n = transitions_.size();
  const size_t guess = IndexAt(local_seconds - offsets_[IndexAt(local_seconds)]);
  const size_t lo = guess >= 2 ? guess - 2 : 0;
  const size_t hi = std::min(guess + 2, n);
  // The earliest interval in which this wall time exists (earlier instant when repeated).
  for (size_t k = lo; k <= hi; ++k) {
    const int64_t utc = local_seconds - offsets_[k];
    if (Begin(k) <= utc && utc < End(k)) return utc;
  }
  // In a gap: keep the offset from before the transition, which moves the time later.
  for (size_t k = lo; k < hi; ++k) {
    const int64_t utc = local_seconds - offsets_[k];
    if (utc >= End(k) && local_seconds - offsets_[k + 1] < Begin(k + 1)) return utc;
  }
  return local_seconds - offsets_[guess];
}

bool PosixTzTransitions(std::string_view rule, int first_year, int last_year,
                        int32_t& standard_offset,
                        std::vector<std::pair<int64_t, int32_t>>& transitions) {
  PosixRuleParser parser(rule);
  transitions.clear();
  if (!parser.Parse()) return false;
  standard_offset = parser.std_offset();
  if (!parser.has_dst()) return true;
  const int32_t std_off = parser.std_offset();
  const int32_t dst_off = parser.dst_offset();
  for (int year = first_year; year <= last_year; ++year) {
    // Start: wall time read in standard time; end: wall time read in daylight time.
    const int64_t start = PosixRuleParser::LocalTime(parser.start(), year) - std_off;
    const int64_t end = PosixRuleParser::LocalTime(parser.end(), year) - dst_off;
    if (start < end) {
      transitions.emplace_back(start, dst_off);
      transitions.emplace_back(end, std_off);
    } else {  // southern hemisphere: DST spans the new year
      transitions.emplace_back(end, std_off);
      transitions.emplace_back(start, dst_off);
    }
  }
  std::stable_sort(transitions.begin(), transitions.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return true;
}

std::optional<int32_t> ParseFixedOffset(std::string_view text) {
  if (text == "Z") return 0;
  for (std::string_view prefix : {"UTC", "GMT", "UT"}) {
    if (text.substr(0, prefix.size()) == prefix) {
      text.remove_prefix(prefix.size());
      if (text.empty()) return 0;
      break;
    }
  }
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  text.remove_prefix(1);
  int parts[3] = {0, 0, 0};
  int count = 0;
  size_t pos = 0;
  while (pos < text.size() && count < 3) {
    if (count > 0 && text[pos] == ':') ++pos;
    const size_t start = pos;
    int value = 0;
    while (pos < text.size() && pos - start < 2 && text[pos] >= '0' && text[pos] <= '9') {
      value = value * 10 + (text[pos++] - '0');
    }
    if (pos == start) return std::nullopt;
    // `+5`: a single hour digit is fine; minutes and seconds take two digits.
    if (count > 0 && pos - start != 2) return std::nullopt;
    parts[count++] = value;
  }
  if (pos != text.size() || parts[1] > 59 || parts[2] > 59) return std::nullopt;
  const int32_t seconds = parts[0] * kSecondsPerHour + parts[1] * 60 + parts[2];
  if (seconds > kMaxFixedOffsetSeconds) return std::nullopt;
  return sign * seconds;
}

// ---------------------------------------------------------------------------------------------

TimeZoneCache::TimeZoneCache(std::string zoneinfo_dir, bool use_embedded)
    : dir_(std::move(zoneinfo_dir)), use_embedded_(use_embedded) {}

std::string TimeZoneCache::DefaultZoneInfoDir() {
  const char* env = std::getenv("TZDIR");
  if (env != nullptr && env[0] != '\0') return env;
  return "/usr/share/zoneinfo";
}

const TimeZone* TimeZoneCache::Find(std::string_view id) {
  if (last_ < zones_.size() && zones_[last_].first == id) return zones_[last_].second.get();
  for (size_t i = 0; i < zones_.size(); ++i) {
    if (zones_[i].first == id) {
      last_ = i;
      return zones_[i].second.get();
    }
  }
  std::unique_ptr<TimeZone> zone;
  if (std::optional<int32_t> offset = ParseFixedOffset(id)) {
    zone = std::make_unique<TimeZone>(TimeZone::Fixed(*offset));
  } else if (IsValidZoneName(id)) {
    std::string bytes;
    std::optional<TimeZone> parsed;
    if (ReadZoneFile(dir_ + "/" + std::string(id), bytes)) parsed = TimeZone::FromTzif(bytes);
    if (!parsed && use_embedded_) {
      if (std::optional<std::string_view> embedded = EmbeddedTzif(id))
        parsed = TimeZone::FromTzif(*embedded);
    }
    if (parsed) zone = std::make_unique<TimeZone>(std::move(*parsed));
  }
  last_ = zones_.size();
  zones_.emplace_back(std::string(id), std::move(zone));
  return zones_.back().second.get();
}

}  // namespace ac::common
