#include "emulator/catalog.h"

#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "emulator/duckdb_exec.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

constexpr const char* kMetaSchema = "__athena_local";

// One row of the metadata's column table.
void InsertColumnRow(duckdb_connection conn, const std::string& db, const std::string& table,
                     const ColumnDefinition& col, bool partition_key, int ordinal) {
  Exec(conn, std::string("INSERT INTO ") + kMetaSchema + ".columns VALUES (" + QuoteLiteral(db) +
                 ", " + QuoteLiteral(table) + ", " + QuoteLiteral(col.name) + ", " +
                 QuoteLiteral(col.athena_type) + ", " + QuoteLiteral(col.comment) + ", " +
                 (partition_key ? "true" : "false") + ", " + std::to_string(ordinal) + ")");
}

// The cell texts of a one-column query, NULLs left out.
std::vector<std::string> FirstColumn(const Rows& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (r[0]) out.push_back(*r[0]);
  }
  return out;
}

}  // namespace

void CreateCatalogTables(duckdb_connection conn) {
  Exec(conn, "CREATE SCHEMA IF NOT EXISTS \"default\"");
  Exec(conn, std::string("CREATE SCHEMA IF NOT EXISTS ") + kMetaSchema);
  Exec(conn, std::string("CREATE TABLE IF NOT EXISTS ") + kMetaSchema +
                 ".tables(db VARCHAR, tbl VARCHAR, created_at TIMESTAMP, comment VARCHAR, "
                 "location VARCHAR, properties VARCHAR)");
  Exec(conn, std::string("CREATE TABLE IF NOT EXISTS ") + kMetaSchema +
                 ".columns(db VARCHAR, tbl VARCHAR, col VARCHAR, declared VARCHAR, "
                 "comment VARCHAR, partition_key BOOLEAN, ordinal INTEGER)");
}

void UseDatabase(duckdb_connection conn, const std::string& database) {
  Exec(conn, std::string("USE ") + kCatalog + "." + QuoteIdentifier(database));
}

bool SchemaExistsIn(duckdb_connection conn, const std::string& name) {
  Rows rows =
      QueryRows(conn, std::string("SELECT 1 FROM information_schema.schemata WHERE "
                                  "catalog_name = '") +
                          kCatalog + "' AND lower(schema_name) = " + QuoteLiteral(Lower(name)));
  return !rows.empty();
}

bool TableExistsIn(duckdb_connection conn, const std::string& db, const std::string& table,
                   std::string* table_type) {
  Rows rows =
      QueryRows(conn, std::string("SELECT table_type FROM information_schema.tables "
                                  "WHERE table_catalog = '") +
                          kCatalog + "' AND lower(table_schema) = " + QuoteLiteral(Lower(db)) +
                          " AND lower(table_name) = " + QuoteLiteral(Lower(table)));
  if (rows.empty()) return false;
  if (table_type != nullptr && rows[0][0]) *table_type = *rows[0][0];
  return true;
}

std::vector<std::string> ListDatabaseNames(duckdb_connection conn) {
  return FirstColumn(QueryRows(conn, std::string("SELECT schema_name FROM "
                                                 "information_schema.schemata WHERE catalog_name "
                                                 "= '") +
                                         kCatalog +
                                         "' AND schema_name NOT IN ('information_schema', "
                                         "'pg_catalog', 'main') AND schema_name NOT LIKE "
                                         "'\\_\\_%' ESCAPE '\\' ORDER BY schema_name"));
}

std::vector<std::string> ListTableNames(duckdb_connection conn, const std::string& db,
                                        bool views_only) {
  return FirstColumn(
      QueryRows(conn, std::string("SELECT table_name FROM information_schema.tables "
                                  "WHERE table_catalog = '") +
                          kCatalog + "' AND lower(table_schema) = " + QuoteLiteral(Lower(db)) +
                          (views_only ? " AND table_type = 'VIEW'" : "") + " ORDER BY table_name"));
}

std::map<std::string, DeclaredType> DeclaredTypesOf(duckdb_connection conn, const std::string& db,
                                                    const std::string& table) {
  std::map<std::string, DeclaredType> out;
  Rows rows = QueryRows(conn, std::string("SELECT col, declared FROM ") + kMetaSchema +
                                  ".columns WHERE db = " + QuoteLiteral(Lower(db)) +
                                  " AND tbl = " + QuoteLiteral(Lower(table)));
  for (auto& r : rows) {
    if (r.size() == 2 && r[0] && r[1]) {
      DeclaredType d = DeclaredType::Parse(*r[1]);
      if (!d.empty()) out[Lower(*r[0])] = d;
    }
  }
  return out;
}

std::vector<std::string> PartitionKeysOf(duckdb_connection conn, const std::string& db,
                                         const std::string& table) {
  return FirstColumn(QueryRows(conn, std::string("SELECT col FROM ") + kMetaSchema +
                                         ".columns WHERE db = " + QuoteLiteral(Lower(db)) +
                                         " AND tbl = " + QuoteLiteral(Lower(table)) +
                                         " AND partition_key ORDER BY ordinal"));
}

void RegisterTable(duckdb_connection conn, const Statement& st, const std::string& db) {
  const std::string where =
      " WHERE db = " + QuoteLiteral(db) + " AND tbl = " + QuoteLiteral(st.table);
  Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".columns" + where);
  Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".tables" + where);
  nlohmann::json props = nlohmann::json::object();
  for (auto& [k, v] : st.table_properties) props[k] = v;
  Exec(conn, std::string("INSERT INTO ") + kMetaSchema + ".tables VALUES (" + QuoteLiteral(db) +
                 ", " + QuoteLiteral(st.table) + ", now()::TIMESTAMP, " +
                 QuoteLiteral(st.table_comment) + ", " + QuoteLiteral(st.location) + ", " +
                 QuoteLiteral(props.dump()) + ")");
  int ordinal = 0;
  for (const auto& col : st.columns) {
    InsertColumnRow(conn, db, st.table, col, col.partition_key, ordinal++);
  }
}

void RegisterPartitionedTable(duckdb_connection conn, const std::string& db,
                              const std::string& table,
                              const std::vector<std::pair<std::string, std::string>>& keys) {
  Statement st;
  st.table = table;
  for (const auto& [name, type] : keys) {
    ColumnDefinition key;
    key.name = name;
    key.athena_type = type;
    key.partition_key = true;
    st.columns.push_back(std::move(key));
  }
  RegisterTable(conn, st, db);
}

void RegisterAddedColumn(duckdb_connection conn, const std::string& db, const std::string& table,
                         const ColumnDefinition& column) {
  InsertColumnRow(conn, db, table, column, false, 1000);
}

void UnregisterTables(duckdb_connection conn, const std::string& db, const std::string& table) {
  std::string where = " WHERE db = " + QuoteLiteral(db);
  if (!table.empty()) where += " AND tbl = " + QuoteLiteral(table);
  Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".columns" + where);
  Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".tables" + where);
}

std::optional<TableInfo> ReadTableInfo(duckdb_connection conn, const std::string& db,
                                       const std::string& table,
                                       std::chrono::system_clock::time_point default_create_time) {
  std::string type;
  if (!TableExistsIn(conn, db, table, &type)) return std::nullopt;
  TableInfo info;
  info.name = Lower(table);
  info.table_type = type == "VIEW" ? "VIRTUAL_VIEW" : "EXTERNAL_TABLE";
  info.create_time = default_create_time;

  std::map<std::string, std::pair<DeclaredType, std::string>> declared;  // col -> (type, comment)
  std::set<std::string> partition_keys;
  Rows cols = QueryRows(conn, std::string("SELECT col, declared, comment, partition_key FROM ") +
                                  kMetaSchema + ".columns WHERE db = " + QuoteLiteral(db) +
                                  " AND tbl = " + QuoteLiteral(Lower(table)));
  for (auto& r : cols) {
    if (!r[0]) continue;
    declared[Lower(*r[0])] = {DeclaredType::Parse(r[1].value_or("")), r[2].value_or("")};
    if (r[3] && *r[3] == "true") partition_keys.insert(Lower(*r[0]));
  }
  Rows meta = QueryRows(conn, std::string("SELECT epoch_ms(created_at), comment, location, "
                                          "properties FROM ") +
                                  kMetaSchema + ".tables WHERE db = " + QuoteLiteral(db) +
                                  " AND tbl = " + QuoteLiteral(Lower(table)));
  info.parameters.emplace_back("EXTERNAL", "TRUE");
  if (!meta.empty()) {
    if (meta[0][0]) {
      info.create_time =
          std::chrono::system_clock::time_point(std::chrono::milliseconds(std::stoll(*meta[0][0])));
    }
    if (meta[0][1] && !meta[0][1]->empty()) info.parameters.emplace_back("comment", *meta[0][1]);
    if (meta[0][3]) {
      auto props = nlohmann::json::parse(*meta[0][3], nullptr, false);
      if (props.is_object()) {
        for (auto& [k, v] : props.items()) {
          if (v.is_string()) info.parameters.emplace_back(k, v.get<std::string>());
        }
      }
    }
  }
  const int64_t ddl_time =
      std::chrono::duration_cast<std::chrono::seconds>(info.create_time.time_since_epoch()).count();
  info.parameters.emplace_back("transient_lastDdlTime", std::to_string(ddl_time));

  duckdb_prepared_statement stmt = nullptr;
  const std::string sql = "SELECT * FROM " + std::string(kCatalog) + "." + QuoteIdentifier(db) +
                          "." + QuoteIdentifier(Lower(table)) + " LIMIT 0";
  if (duckdb_prepare(conn, sql.c_str(), &stmt) == DuckDBError) {
    std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "error";
    duckdb_destroy_prepare(&stmt);
    throw std::runtime_error(message);
  }
  const idx_t n = duckdb_prepared_statement_column_count(stmt);
  for (idx_t c = 0; c < n; ++c) {
    TableColumnInfo col;
    col.name = PreparedColumnName(stmt, c);
    auto d = declared.find(Lower(col.name));
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
    col.hive_type = HiveTypeName(t, d == declared.end() ? DeclaredType{} : d->second.first);
    duckdb_destroy_logical_type(&t);
    if (d != declared.end()) col.comment = d->second.second;
    col.partition_key = partition_keys.count(Lower(col.name)) > 0;
    info.columns.push_back(std::move(col));
  }
  duckdb_destroy_prepare(&stmt);
  return info;
}

}  // namespace ac::emulator
