#pragma once
// Internal to the warehouse module: the rows of a Write, as DuckDB data chunks for the table's
// query appender.

#include <cstddef>
#include <cstdint>

#include "common/value.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse::detail {

/// Chooses the rows of `rows` to apply, in order, into `t.selection`: all of them, or — when the
/// keys compare exactly here and the rows go through ON CONFLICT — only the last record of each
/// key. Computes `_fivetran_id` of every row of a keyless table into `t.row_ids`.
void SelectRows(WarehouseTable& t, const common::ValueBatch& rows);

/// Fills `t.chunk` with the rows `t.selection[begin, begin + count)` of `rows`. Throws
/// common::Error on a value that does not fit its column.
void FillChunk(WarehouseTable& t, const common::ValueBatch& rows, size_t begin, size_t count,
               int64_t now_micros);

}  // namespace ac::warehouse::detail
