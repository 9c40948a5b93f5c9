#pragma once

// athena-local's catalog in DuckDB: the schemas of DuckDB catalog `awsdatacatalog` are the Athena
// databases of AwsDataCatalog. What DuckDB cannot hold (declared Athena types, comments, partition
// keys, table properties) is recorded in schema __athena_local when a table is created.

#include <duckdb.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulator/athena_type.h"

namespace ac::emulator {

struct ColumnDefinition;
struct Statement;

constexpr const char* kCatalog = "awsdatacatalog";

struct TableColumnInfo {
  std::string name;
  std::string hive_type;
  std::string comment;
  bool partition_key = false;
};

struct TableInfo {
  std::string name;
  std::string table_type;  ///< EXTERNAL_TABLE or VIRTUAL_VIEW
  std::chrono::system_clock::time_point create_time;
  std::vector<TableColumnInfo> columns;
  std::vector<std::pair<std::string, std::string>> parameters;
};

// Every function runs on the given connection and throws DuckDbError when DuckDB fails.

/// Creates schema `default` and the metadata tables when they are missing.
void CreateCatalogTables(duckdb_connection conn);
/// Makes `database` the connection's current schema.
void UseDatabase(duckdb_connection conn, const std::string& database);

bool SchemaExistsIn(duckdb_connection conn, const std::string& name);
/// `table_type` receives information_schema's BASE TABLE or VIEW.
bool TableExistsIn(duckdb_connection conn, const std::string& db, const std::string& table,
                   std::string* table_type = nullptr);
/// The Athena databases (DuckDB's own schemas and __* left out), sorted.
std::vector<std::string> ListDatabaseNames(duckdb_connection conn);
/// The tables and views of a database (only the views when `views_only`), sorted.
std::vector<std::string> ListTableNames(duckdb_connection conn, const std::string& db,
                                        bool views_only = false);

/// Declared Athena types of a table's columns, by lower-case column name (kNone ones left out).
std::map<std::string, DeclaredType> DeclaredTypesOf(duckdb_connection conn, const std::string& db,
                                                    const std::string& table);
/// The partition keys a table was created with (PARTITIONED BY), in their order.
std::vector<std::string> PartitionKeysOf(duckdb_connection conn, const std::string& db,
                                         const std::string& table);
/// Records a created table (CREATE TABLE, CTAS) in the metadata, replacing what was recorded.
void RegisterTable(duckdb_connection conn, const Statement& st, const std::string& db);
/// Records a table created without DDL (a Hive-partitioned seed folder, hive_seed.h): its
/// partition keys (name, Athena type) in order, replacing what was recorded.
void RegisterPartitionedTable(duckdb_connection conn, const std::string& db,
                              const std::string& table,
                              const std::vector<std::pair<std::string, std::string>>& keys);
/// Records a column ALTER TABLE ADD COLUMNS appended.
void RegisterAddedColumn(duckdb_connection conn, const std::string& db, const std::string& table,
                         const ColumnDefinition& column);
/// Forgets a table's metadata (every table of `db` when `table` is empty).
void UnregisterTables(duckdb_connection conn, const std::string& db, const std::string& table);

/// A table as Glue describes it; nullopt when it does not exist. `default_create_time` stands for
/// tables created without Athena DDL (seeded from CSV/Parquet). Throws std::runtime_error when
/// its columns cannot be read.
std::optional<TableInfo> ReadTableInfo(duckdb_connection conn, const std::string& db,
                                       const std::string& table,
                                       std::chrono::system_clock::time_point default_create_time);

}  // namespace ac::emulator
