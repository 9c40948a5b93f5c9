#include "warehouse/duckdb_query.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/strings.h"

namespace ac::warehouse::detail {
namespace {

std::string StringOf(duckdb_string_t* value) {
  return std::string(duckdb_string_t_data(value), duckdb_string_t_length(*value));
}

}  // namespace

std::string OneLine(std::string_view message) {
  return common::CollapseSpaces(message);
}

[[noreturn]] void ThrowDuckDbError(int error_type, std::string_view context,
                                   std::string_view message) {
  const std::string text = fmt::format("warehouse: {}: {}", context, OneLine(message));
  switch (error_type) {
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_MISMATCH_TYPE:
      // Values that do not fit the declared column types.
      throw common::ProtocolError(text);
    case DUCKDB_ERROR_PERMISSION:
      throw common::PermissionError(text);
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      throw common::TransientError(text);
    case DUCKDB_ERROR_INTERRUPT:
      throw common::CancelledError(text);
    case DUCKDB_ERROR_CATALOG:
      throw common::NotFoundError(text);
    default:
      throw common::InternalError(text);
  }
}

void Execute(duckdb_connection connection, const std::string& sql, std::string_view context,
             ResultGuard* out) {
  ResultGuard local;
  ResultGuard& guard = out != nullptr ? *out : local;
  const duckdb_state state = duckdb_query(connection, sql.c_str(), &guard.result);
  guard.owned = true;
  if (state == DuckDBError) {
    const char* message = duckdb_result_error(&guard.result);
    ThrowDuckDbError(duckdb_result_error_type(&guard.result), context,
                     message != nullptr ? message : "unknown DuckDB error");
  }
}

QueryResult RunTextQuery(duckdb_connection connection, std::string_view sql,
                         std::string_view context) {
  sql = common::TrimRight(sql, "; \n");  // it becomes a subquery
  ResultGuard guard;
  Execute(connection, fmt::format("SELECT COLUMNS(*)::VARCHAR FROM ({})", sql), context, &guard);
  QueryResult out;
  const idx_t num_columns = duckdb_column_count(&guard.result);
  for (idx_t c = 0; c < num_columns; ++c)
    out.columns.emplace_back(duckdb_column_name(&guard.result, c));
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(guard.result);
    if (chunk == nullptr) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk);
    const size_t first = out.rows.size();
    out.rows.resize(first + size, std::vector<std::optional<std::string>>(num_columns));
    for (idx_t c = 0; c < num_columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, c);
      auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t r = 0; r < size; ++r) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
        out.rows[first + r][c] = StringOf(&data[r]);
      }
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  return out;
}

}  // namespace ac::warehouse::detail
