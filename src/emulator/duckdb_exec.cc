#include "emulator/duckdb_exec.h"

#include <cctype>
#include <memory>

#include "athena_text/cell_formatter.h"
#include "emulator/athena_type.h"

namespace ac::emulator {

using athena_text::CellFormatter;
using athena_text::MakeCellFormatter;

namespace {

// Runs `sql` into `r`; on failure destroys `r` and throws DuckDbError.
void QueryInto(duckdb_connection conn, const std::string& sql, duckdb_result* r) {
  if (duckdb_query(conn, sql.c_str(), r) == DuckDBError) {
    std::string message = duckdb_result_error(r) ? duckdb_result_error(r) : "unknown error";
    duckdb_destroy_result(r);
    throw DuckDbError(message);
  }
}

}  // namespace

std::string PreparedColumnName(duckdb_prepared_statement stmt, idx_t column) {
  const char* name = duckdb_prepared_statement_column_name(stmt, column);
  std::string out = name != nullptr ? name : "";
  duckdb_free(const_cast<char*>(name));
  return out;
}

void Exec(duckdb_connection conn, const std::string& sql) {
  duckdb_result r;
  QueryInto(conn, sql, &r);
  duckdb_destroy_result(&r);
}

Rows QueryRows(duckdb_connection conn, const std::string& sql, idx_t* rows_changed) {
  duckdb_result r;
  QueryInto(conn, sql, &r);
  if (rows_changed != nullptr) *rows_changed = duckdb_rows_changed(&r);
  const idx_t ncols = duckdb_column_count(&r);
  std::vector<std::unique_ptr<CellFormatter>> formatters;
  for (idx_t c = 0; c < ncols; ++c) {
    duckdb_logical_type t = duckdb_column_logical_type(&r, c);
    formatters.push_back(IsFormattableType(t) ? MakeCellFormatter(t) : nullptr);
    duckdb_destroy_logical_type(&t);
  }
  Rows rows;
  std::string buf;
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(r);
    if (chunk == nullptr) break;
    const idx_t n = duckdb_data_chunk_get_size(chunk);
    for (idx_t c = 0; c < ncols; ++c) {
      if (formatters[c]) formatters[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
    }
    for (idx_t row = 0; row < n; ++row) {
      std::vector<Cell> cells;
      for (idx_t c = 0; c < ncols; ++c) {
        if (!formatters[c] || formatters[c]->IsNull(row)) {
          cells.emplace_back(std::nullopt);
          continue;
        }
        buf.clear();
        formatters[c]->Append(buf, row);
        cells.emplace_back(buf);
      }
      rows.push_back(std::move(cells));
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&r);
  return rows;
}

}  // namespace ac::emulator
