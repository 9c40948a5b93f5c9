#pragma once

// How DuckDB column types appear to Athena clients: ColumnInfo (Trino DML names with the
// Precision/Scale real Athena reports) and Glue/Hive DDL names (GetTableMetadata, DESCRIBE).
//
// DuckDB has no char(n), varchar(n), ipaddress, Hive `float` or separate interval kinds, so a
// column may carry a *declared* Athena type (recorded when a table is created from Athena DDL);
// it refines the description and formatting when DuckDB's storage type is compatible.

#include <duckdb.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "athena_text/cell_formatter.h"

namespace ac::emulator {

/// A declared Athena type that DuckDB cannot express, parsed from DDL text.
struct DeclaredType {
  enum class Kind {
    kNone,
    kChar,
    kVarchar,
    kIpAddress,
    kHiveFloat,
    kIntervalYearToMonth,
    kIntervalDayToSecond,
    kJson
  };
  Kind kind = Kind::kNone;
  int length = 0;  ///< char(n) / varchar(n)

  /// Parses "char(5)", "varchar(10)", "ipaddress", "float", "interval year to month", ...;
  /// anything else gives kNone.
  static DeclaredType Parse(std::string_view text);
  /// Canonical Athena text of the declared type ("char(5)"), empty for kNone.
  std::string ToString() const;
  bool empty() const { return kind == Kind::kNone; }
  /// How cells of this declared type are formatted (char padding, json, interval kind).
  athena_text::CellTextHints TextHints() const;
};

/// One result column as GetQueryResults describes it.
struct ColumnType {
  std::string type;       ///< ColumnInfo.Type: boolean, integer, varchar, decimal, array, row, ...
  int32_t precision = 0;  ///< ColumnInfo.Precision
  int32_t scale = 0;      ///< ColumnInfo.Scale
  bool case_sensitive = false;
};

/// ColumnInfo description of a DuckDB type (optionally refined by a declared type).
ColumnType DescribeColumn(duckdb_logical_type type, const DeclaredType& declared = {});

/// Hive DDL type text (GetTableMetadata Columns[].Type, DESCRIBE): string, int, decimal(10,2),
/// array<int>, map<string,int>, struct<a:int,b:string>, timestamp, binary, ...
std::string HiveTypeName(duckdb_logical_type type, const DeclaredType& declared = {});

/// True when every (nested) part of the type can be formatted by CellFormatter.
bool IsFormattableType(duckdb_logical_type type);

}  // namespace ac::emulator
