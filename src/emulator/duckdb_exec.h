#pragma once

// Running SQL on a DuckDB connection from the engine side of athena-local: statements whose
// result is ignored, small queries read back as Athena text, and DuckDB's errors as one type.

#include <duckdb.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/sql_quote.h"
#include "common/strings.h"

namespace ac::emulator {

/// An error DuckDB reported (its message as the C API returns it).
class DuckDbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One cell as Athena text; nullopt for NULL (and for types CellFormatter cannot format).
using Cell = std::optional<std::string>;
using Rows = std::vector<std::vector<Cell>>;

/// The name of result column `column` of a prepared statement (DuckDB allocates it for the caller;
/// this frees it).
std::string PreparedColumnName(duckdb_prepared_statement stmt, idx_t column);

/// Runs a statement and discards its result. Throws DuckDbError.
void Exec(duckdb_connection conn, const std::string& sql);

/// Runs a small query and returns every cell as text (Athena formatting); `rows_changed` receives
/// DuckDB's count of changed rows. Throws DuckDbError.
Rows QueryRows(duckdb_connection conn, const std::string& sql, idx_t* rows_changed = nullptr);

// Athena names are case-insensitive (the catalog keeps them lower-case); identifiers and literals
// in the SQL the engine writes are quoted by common/sql_quote.h.
using common::Lower;
using common::QuoteIdentifier;
using common::QuoteLiteral;

}  // namespace ac::emulator
