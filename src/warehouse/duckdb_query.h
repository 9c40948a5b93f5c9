#pragma once
// Internal to the warehouse module: the DuckDB handles and running SQL through DuckDB's C API,
// its errors mapped to common::Error.

// Only the current DuckDB C API (no functions scheduled for removal).
#define DUCKDB_API_NO_DEPRECATED
#include <duckdb.h>

#include <string>
#include <string_view>

#include "warehouse/duckdb_warehouse.h"

namespace ac::warehouse::detail {

/// The DuckDB error type when there was no error (see DuckDbWarehouse::RunTransaction).
inline constexpr int kNoErrorType = -1;

/// A database and its connection, closed when destroyed.
struct DuckDbHandles {
  duckdb_database database = nullptr;
  duckdb_connection connection = nullptr;
  ~DuckDbHandles() {
    if (connection != nullptr) duckdb_disconnect(&connection);
    if (database != nullptr) duckdb_close(&database);
  }
};

/// A query's result, destroyed with the guard once `owned`.
struct ResultGuard {
  duckdb_result result;
  bool owned = false;
  ~ResultGuard() {
    if (owned) duckdb_destroy_result(&result);
  }
};

/// DuckDB messages span several lines (LINE 1: ..., a caret); errors here are one line.
std::string OneLine(std::string_view message);

/// Throws the common::Error for DuckDB's `error_type`, "warehouse: <context>: <message>".
[[noreturn]] void ThrowDuckDbError(int error_type, std::string_view context,
                                   std::string_view message);

/// Runs `sql`; throws a mapped common::Error naming `context` on failure.
void Execute(duckdb_connection connection, const std::string& sql, std::string_view context,
             ResultGuard* out = nullptr);

/// Runs a query whose columns are all converted to VARCHAR.
QueryResult RunTextQuery(duckdb_connection connection, std::string_view sql,
                         std::string_view context);

}  // namespace ac::warehouse::detail
