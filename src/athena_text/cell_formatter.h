#pragma once

// Formats the cells of DuckDB data chunks as Athena text. A formatter tree is built once per
// result column from its logical type; per chunk it is bound to the column's vector (caching data
// and validity pointers, children bound to child vectors) and then appends row texts into a
// caller-owned buffer: no allocation per cell.

#include <duckdb.h>

#include <memory>
#include <string>

#include <string_view>

#include "common/time_zone.h"

namespace ac::athena_text {

/// What the DuckDB type alone does not say about a column's Athena text (athena-local records
/// these from the Athena DDL a table was created with).
struct CellTextHints {
  enum class Interval { kAuto, kYearToMonth, kDayToSecond };
  int char_length = 0;  ///< char(n): pad to n code points with spaces
  bool json = false;    ///< varchar holding json: compact text
  /// kAuto: year to month when only months are set, else day to second.
  Interval interval = Interval::kAuto;
  /// timestamp with time zone: the zone its values are shown in, followed by `zone_id`, as Athena
  /// prints a value of that zone (`2024-01-31 05:14:15.678 America/Los_Angeles`); nullptr: UTC.
  /// Not owned; outlives the formatter.
  const common::TimeZone* zone = nullptr;
  std::string zone_id;
};

class CellFormatter {
 public:
  virtual ~CellFormatter() = default;

  /// Binds to a (flat) vector of this formatter's type; children bind to child vectors.
  virtual void Bind(duckdb_vector vector);
  /// The bound vector's data (e.g. duckdb_string_t for varchar).
  const void* data() const { return data_; }
  bool IsNull(idx_t row) const {
    return validity_ != nullptr && ((validity_[row >> 6] >> (row & 63)) & 1) == 0;
  }
  /// Appends the text of a non-NULL cell (top-level format; nested values use the same text,
  /// with `null` for NULL elements).
  virtual void Append(std::string& out, idx_t row) const = 0;

 protected:
  const void* data_ = nullptr;
  const uint64_t* validity_ = nullptr;
};

/// Builds the formatter for a column type; throws std::invalid_argument naming the DuckDB type id
/// of a (nested) type with no Athena text form.
std::unique_ptr<CellFormatter> MakeCellFormatter(duckdb_logical_type type,
                                                 const CellTextHints& hints = {});

/// Owns a duckdb_logical_type the C API returned (column and child types).
class LogicalTypeHolder {
 public:
  explicit LogicalTypeHolder(duckdb_logical_type type) : type_(type) {}
  ~LogicalTypeHolder() { duckdb_destroy_logical_type(&type_); }
  LogicalTypeHolder(const LogicalTypeHolder&) = delete;
  LogicalTypeHolder& operator=(const LogicalTypeHolder&) = delete;
  duckdb_logical_type get() const { return type_; }

 private:
  duckdb_logical_type type_;
};

/// True for DuckDB's JSON type (a VARCHAR with the alias JSON).
bool IsJsonType(duckdb_logical_type type);

/// The text of a DuckDB string (inlined up to 12 bytes, else a pointer).
inline std::string_view StringOf(const duckdb_string_t& s) {
  const uint32_t length = s.value.inlined.length;
  if (length <= 12) return {s.value.inlined.inlined, length};
  return {s.value.pointer.ptr, length};
}

}  // namespace ac::athena_text
