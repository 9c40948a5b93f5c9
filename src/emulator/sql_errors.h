#pragma once

// Maps DuckDB error messages to Athena's AthenaError (ErrorCategory/ErrorType/Retryable) and a
// StateChangeReason worded like Athena engine v3 (Trino): "TABLE_NOT_FOUND: line 1:15: Table
// 'awsdatacatalog.default.nope' does not exist".

#include <string>
#include <string_view>

namespace ac::emulator {

struct AthenaErrorInfo {
  int category = 2;  ///< 1 system, 2 user, 3 other
  int type = 1000;   ///< Athena error type reference number
  bool retryable = false;
  std::string message;
};

/// True for DuckDB's "INTERRUPT Error" (StopQueryExecution).
bool IsInterruptMessage(std::string_view duckdb_message);

/// `duckdb_message` as returned by the C API ("Catalog Error: Table with name x does not exist!
/// ..."); `original_sql` is the Athena statement (for line:column); `database` the context one.
/// `schema_exists` tells whether a schema name mentioned in a qualified table name exists.
AthenaErrorInfo MapDuckDbError(std::string_view duckdb_message, std::string_view original_sql,
                               std::string_view database,
                               bool (*schema_exists)(void* ctx, const std::string& name) = nullptr,
                               void* ctx = nullptr);

}  // namespace ac::emulator
