#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "athena/complex_json.h"
#include "athena/row_batch.h"
#include "athena/types.h"
#include "common/time_zone.h"
#include "common/value.h"

namespace ac::athena {

/// Turns Athena's text cells into typed Fivetran values (spec section 3). One decoder per result;
/// Decode() reuses the output batch's storage, so steady-state decoding allocates per batch, not
/// per cell.
///   boolean -> BOOLEAN; tinyint/smallint -> SHORT; integer -> INT; bigint -> LONG; real -> FLOAT;
///   double -> DOUBLE; decimal -> DECIMAL (text at scale); char/varchar -> STRING;
///   varbinary ("31 32 33") -> BINARY bytes; date -> NAIVE_DATE; timestamp -> NAIVE_DATETIME;
///   timestamp with time zone -> UTC_DATETIME (zone applied); time, intervals, ipaddress, uuid,
///   time with time zone -> STRING; array/map/row -> JSON built from Athena's text using the
///   declared type tree when known; json -> JSON as is; NULL -> null value of the column type.
class ValueDecoder {
 public:
  explicit ValueDecoder(std::vector<Column> columns);

  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<common::DataType>& types() const { return types_; }

  /// Decodes all rows of `rows` into `out` (which is Reset to the column count first).
  /// Throws common::ProtocolError naming the column, row and offending text on malformed input
  /// (rows are numbered from 1 across all batches this decoder has seen).
  void Decode(const RowBatch& rows, common::ValueBatch& out);

 private:
  void DecodeCell(size_t column, std::string_view text, common::Value& value,
                  common::ValueBatch& out);
  [[noreturn]] void ThrowMalformed(size_t column, std::string_view problem,
                                   std::string_view text) const;

  std::vector<Column> columns_;
  std::vector<common::DataType> types_;
  std::string scratch_;          ///< JSON of the current complex cell, before it is stored
  ComplexJsonWriter complex_;    ///< reused for every complex cell
  common::TimeZoneCache zones_;  ///< zones of `timestamp with time zone` cells, loaded on first use
  uint64_t row_number_ = 0;      ///< 1-based number of the row being decoded, for error messages
};

/// Converts Athena's text of an array/map/row value (e.g. `[1, 2]`, `{a=1, b={c=x}}`) to JSON,
/// appending to `out`. `type` guides parsing (field names, which scalars are strings); with an
/// unknown element type values that look numeric/boolean/null are emitted as such, others quoted.
/// Returns false when the text does not match the type.
bool AppendComplexAsJson(const AthenaType& type, std::string_view text, std::string& out);

}  // namespace ac::athena
