#pragma once

// Formats the cells of DuckDB data chunks as Athena text. A formatter tree is built once per
// result column from its logical type; per chunk it is bound to the column's vector (caching data
// and validity pointers, children bound to child vectors) and then appends row texts into a
// caller-owned buffer: no allocation per cell.

#include <duckdb.h>

#include <memory>
#include <string>

#include "emulator/athena_type.h"

namespace ac::emulator {

class CellFormatter {
 public:
  virtual ~CellFormatter() = default;

  /// Binds to a (flat) vector of this formatter's type; children bind to child vectors.
  virtual void Bind(duckdb_vector vector);
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

/// Builds the formatter for a column type (throws std::invalid_argument for unsupported types;
/// check IsFormattableType first). `declared` refines char(n) padding and the interval kind.
std::unique_ptr<CellFormatter> MakeCellFormatter(duckdb_logical_type type,
                                                 const DeclaredType& declared = {});

}  // namespace ac::emulator
