#pragma once

// Turns the columns DuckDB reads from UNLOAD's Parquet files back into Athena's text cells — the
// same text GetQueryResults and the result CSV carry (athena-wire.md section 3) — so the unload
// fetcher feeds the ValueDecoder exactly like the other fetchers:
//   boolean `true`; integers in decimal; real/double in Java's Float/Double.toString form
//   (`0.5`, `1.0E7`, `9.99E-4`, `NaN`, `Infinity`); decimal at its scale (`-0.05`); varchar as is;
//   varbinary as spaced lowercase hex (`31 32 33`); date `YYYY-MM-DD`; time `HH:MM:SS.fff`;
//   timestamp `YYYY-MM-DD HH:MM:SS.fff` (milliseconds, rounded half up); timestamp with time zone
//   the UTC instant with zone `UTC` (Parquet keeps the instant, not the zone); array `[1, 2]`;
//   map `{k=v}`; row `{a=1, b=x}` (nested NULL `null`); uuid canonical; json compact.
// The formatting is athena_text::CellFormatter, the code athena-local writes its results with.
// Each cell is formatted into one reused scratch buffer: nothing is allocated per cell.

#include <duckdb.h>

#include <memory>
#include <string>
#include <vector>

#include "athena/row_batch.h"
#include "athena/types.h"
#include "athena_text/cell_formatter.h"

namespace ac::results {

/// The Athena type a DuckDB (Parquet) column type stands for.
athena::AthenaType AthenaTypeOfDuckDb(duckdb_logical_type type);

class ParquetCellConverter {
 public:
  /// Builds one formatter per column of `result` (a query over read_parquet). Throws
  /// common::ProtocolError naming a column whose type has no Athena text form.
  explicit ParquetCellConverter(duckdb_result& result);
  ~ParquetCellConverter();
  ParquetCellConverter(const ParquetCellConverter&) = delete;
  ParquetCellConverter& operator=(const ParquetCellConverter&) = delete;

  /// Names and Athena types of the columns.
  const std::vector<athena::Column>& columns() const { return columns_; }

  /// Appends rows [begin, end) of `chunk` to `out` (which has columns().size() columns).
  void Append(duckdb_data_chunk chunk, size_t begin, size_t end, athena::RowBatch& out);

 private:
  std::vector<athena::Column> columns_;
  std::vector<std::unique_ptr<athena_text::CellFormatter>> formatters_;
  std::vector<bool> plain_text_;  ///< per column: varchar, appended without formatting
  std::string scratch_;
};

}  // namespace ac::results
