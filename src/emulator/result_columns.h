#pragma once

// The columns of a query result as Athena reports them: an unaliased expression is named
// _col<i>, and a plain column reference (or a column a `*` expands to) of a table created with
// Athena DDL keeps the table's declared type (char(n), varchar(n), ipaddress, ...). The select
// list is read from DuckDB's json_serialize_sql.

#include <duckdb.h>

#include <memory>
#include <string>
#include <vector>

#include "athena_text/cell_formatter.h"
#include "common/time_zone.h"
#include "emulator/result_file.h"

namespace ac::emulator {

struct SelectItem {
  std::string cls;  ///< COLUMN_REF, STAR, STAR_MODIFIED (EXCLUDE/REPLACE/COLUMNS), CONSTANT, ...
  std::string alias;
  std::string column;  ///< last name of a COLUMN_REF, lower-case
};

/// The select list of a query's first SELECT node (the left-most one of a set operation).
struct SelectShape {
  bool valid = false;  ///< false when the query could not be analysed
  std::vector<SelectItem> items;
  std::string base_schema;  ///< from_table BASE_TABLE (schema may be empty), lower-case
  std::string base_table;
};

SelectShape AnalyzeSelect(duckdb_connection conn, const std::string& duckdb_sql);

/// Maps output column positions to select items (-1 for STAR outputs, -2 when unknown).
std::vector<int> MapOutputsToItems(const SelectShape& shape, size_t ncols);

/// What a result file needs to know of its columns.
struct ResultColumns {
  std::vector<ResultColumn> columns;  ///< Athena names and ColumnInfo types
  std::vector<std::unique_ptr<athena_text::CellFormatter>> formatters;  ///< one per column
};

/// The zone `timestamp with time zone` results are shown in, with its id (athena-local
/// --time-zone); UTC when `zone` is nullptr.
struct DisplayZone {
  const common::TimeZone* zone = nullptr;
  std::string id;
};

/// Describes the columns of `stmt`, the prepared `duckdb_sql`; `database` is the context database
/// (for an unqualified base table). Throws DuckDbError.
ResultColumns DescribeResultColumns(duckdb_connection conn, duckdb_prepared_statement stmt,
                                    const std::string& duckdb_sql, const std::string& database,
                                    const DisplayZone& display_zone = {});

}  // namespace ac::emulator
