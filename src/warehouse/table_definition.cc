// DuckDbWarehouse::DefineTable: creating a table, or checking and widening an existing one.

#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/error.h"
#include "common/sql_quote.h"
#include "common/strings.h"
#include "warehouse/primary_key.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse {
namespace {

using common::ColumnSchema;
using common::DataType;
// DuckDB resolves identifiers case-insensitively, even quoted ones.
using common::EqualsIgnoreCase;
using common::Lower;
using common::QuoteIdentifier;
using common::QuoteLiteral;
using common::TableSchema;
using detail::kDeletedColumn;
using detail::KeyList;
using detail::kIdColumn;
using detail::kSyncedColumn;
using detail::LoadPendingKey;
using detail::LoadPrimaryKey;
using detail::PendingKeyComment;
using detail::RunTextQuery;

constexpr uint32_t kMaxDecimalPrecision = 38;
constexpr uint32_t kDefaultDecimalPrecision = 38;
constexpr uint32_t kDefaultDecimalScale = 10;

std::pair<uint32_t, uint32_t> DecimalParams(const ColumnSchema& column) {
  if (column.precision == 0) return {kDefaultDecimalPrecision, kDefaultDecimalScale};
  const uint32_t precision = std::min(column.precision, kMaxDecimalPrecision);
  return {precision, std::min(column.scale, precision)};
}

/// Key types whose equality in DuckDB is equality of AppendCanonicalBytes (batch_chunk.cc;
/// DECIMAL text, floats and JSON are not: "1.0" = "1.00", -0.0 = 0.0). With such keys the last
/// record of a key is chosen in C++ (SelectRows); otherwise the statement does it with a window
/// (slower).
bool HasExactKeys(const TableSchema& table, const std::vector<size_t>& key) {
  for (size_t index : key) {
    switch (table.columns[index].type) {
      case DataType::kDecimal:
      case DataType::kFloat:
      case DataType::kDouble:
      case DataType::kJson:
      case DataType::kUnspecified:
        return false;
      default:
        break;
    }
  }
  return true;
}

bool SameDeclaration(const TableSchema& a, const TableSchema& b) {
  if (a.name != b.name || a.columns.size() != b.columns.size()) return false;
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const ColumnSchema& x = a.columns[i];
    const ColumnSchema& y = b.columns[i];
    if (x.name != y.name || x.type != y.type || x.primary_key != y.primary_key ||
        x.precision != y.precision || x.scale != y.scale) {
      return false;
    }
  }
  return true;
}

void ValidateDeclaration(const TableSchema& table, std::string_view display) {
  if (table.name.empty()) throw common::ConfigError("warehouse: a table has an empty name");
  if (table.name.find('\0') != std::string::npos) {
    throw common::ConfigError("warehouse: a table name contains a NUL character");
  }
  if (table.columns.empty()) {
    throw common::ConfigError(fmt::format("warehouse: table {} has no columns", display));
  }
  const bool keyless = table.PrimaryKeyIndexes().empty();
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const ColumnSchema& column = table.columns[i];
    if (column.name.empty() || column.name.find('\0') != std::string::npos) {
      throw common::ConfigError(fmt::format(
          "warehouse: table {}: column {} has an empty or invalid name", display, i + 1));
    }
    if (EqualsIgnoreCase(column.name, kSyncedColumn) ||
        EqualsIgnoreCase(column.name, kDeletedColumn) ||
        (keyless && EqualsIgnoreCase(column.name, kIdColumn))) {
      throw common::ConfigError(fmt::format(
          "warehouse: table {}: column name {} is reserved for a Fivetran system column", display,
          column.name));
    }
    if (column.type == DataType::kUnspecified) {
      throw common::ConfigError(
          fmt::format("warehouse: table {}: column {} has no type", display, column.name));
    }
    for (size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(table.columns[j].name, column.name)) {
        throw common::ConfigError(
            fmt::format("warehouse: table {}: columns {} and {} have the same name (names are "
                        "case-insensitive)",
                        display, table.columns[j].name, column.name));
      }
    }
  }
}

}  // namespace

std::string DuckDbWarehouse::DuckDbTypeName(const ColumnSchema& column) {
  switch (column.type) {
    case DataType::kBoolean:
      return "BOOLEAN";
    case DataType::kShort:
      return "SMALLINT";
    case DataType::kInt:
      return "INTEGER";
    case DataType::kLong:
      return "BIGINT";
    case DataType::kDecimal: {
      const auto [precision, scale] = DecimalParams(column);
      return fmt::format("DECIMAL({},{})", precision, scale);
    }
    case DataType::kFloat:
      return "FLOAT";
    case DataType::kDouble:
      return "DOUBLE";
    case DataType::kNaiveDate:
      return "DATE";
    case DataType::kNaiveDateTime:
      return "TIMESTAMP";
    case DataType::kUtcDateTime:
      return "TIMESTAMP WITH TIME ZONE";
    case DataType::kNaiveTime:
      return "TIME";
    case DataType::kBinary:
      return "BLOB";
    case DataType::kXml:
    case DataType::kString:
      return "VARCHAR";
    case DataType::kJson:
      return "JSON";
    case DataType::kUnspecified:
      break;
  }
  return "VARCHAR";
}

const std::string& DuckDbWarehouse::SchemaOf(const TableSchema& table) const {
  return table.schema.empty() ? options_.schema : table.schema;
}

std::string DuckDbWarehouse::TableKey(const TableSchema& table) const {
  return Lower(SchemaOf(table) + "." + table.name);
}

void DuckDbWarehouse::DefineTable(const TableSchema& table) {
  // The same declaration again during a bulk load has nothing to change: the load goes on.
  auto it = tables_.find(TableKey(table));
  if (it != tables_.end() && it->second->bulk && SameDeclaration(it->second->schema, table)) return;
  DefineTableImpl(table);
}

DuckDbWarehouse::Table& DuckDbWarehouse::Defined(const TableSchema& table) {
  auto it = tables_.find(TableKey(table));
  if (it != tables_.end() && SameDeclaration(it->second->schema, table)) return *it->second;
  return DefineTableImpl(table);
}

DuckDbWarehouse::Table& DuckDbWarehouse::DefineTableImpl(const TableSchema& declared) {
  CommitWrites(fmt::format("table {}: define", declared.name));  // DDL in its own transaction
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  // A table defined before is looked at afresh (its appenders go before any ALTER TABLE).
  tables_.erase(TableKey(declared));
  const std::string& schema = SchemaOf(declared);
  const std::string display = schema + "." + declared.name;
  ValidateDeclaration(declared, display);
  const std::string context = "table " + display;

  auto t = std::make_unique<detail::WarehouseTable>();
  t->schema = declared;
  t->display_name = display;
  t->qualified_name = QuoteIdentifier(schema) + "." + QuoteIdentifier(declared.name);
  if (schema != options_.schema) {
    ExecuteOrThrow(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", QuoteIdentifier(schema)),
                   "create schema " + schema);
  }
  t->key = declared.PrimaryKeyIndexes();
  t->keyless = t->key.empty();
  t->exact_keys = t->keyless || HasExactKeys(declared, t->key);

  std::vector<std::string> wanted_key;
  if (t->keyless) {
    wanted_key.emplace_back(kIdColumn);
  } else {
    for (size_t index : t->key) wanted_key.push_back(declared.columns[index].name);
  }

  t->key_names = wanted_key;

  // What exists already.
  const QueryResult existing = RunTextQuery(
      db_->connection,
      fmt::format("SELECT column_name, data_type FROM duckdb_columns() "
                  "WHERE database_name = current_database() AND lower(schema_name) = lower({}) "
                  "AND lower(table_name) = lower({}) ORDER BY column_index",
                  QuoteLiteral(schema), QuoteLiteral(declared.name)),
      context);

  std::vector<std::string> statements;
  bool changed = false;
  if (existing.rows.empty()) {
    // A new table is bulk-loaded when its keys compare exactly (see WarehouseOptions::bulk_load).
    t->bulk = options_.bulk_load && t->exact_keys;
    std::string ddl = fmt::format("CREATE TABLE {} (", t->qualified_name);
    for (const ColumnSchema& column : declared.columns) {
      ddl += fmt::format("{} {}{}, ", QuoteIdentifier(column.name), DuckDbTypeName(column),
                         column.primary_key ? " NOT NULL" : "");
    }
    if (t->keyless) ddl += fmt::format("{} VARCHAR NOT NULL, ", QuoteIdentifier(kIdColumn));
    ddl += fmt::format("{} TIMESTAMP WITH TIME ZONE, {} BOOLEAN", QuoteIdentifier(kSyncedColumn),
                       QuoteIdentifier(kDeletedColumn));
    if (!t->bulk) {
      ddl += ", PRIMARY KEY (";
      for (size_t i = 0; i < wanted_key.size(); ++i) {
        ddl += (i > 0 ? ", " : "") + QuoteIdentifier(wanted_key[i]);
      }
      ddl += ")";
    }
    ddl += ")";
    statements.push_back(std::move(ddl));
    if (t->bulk) {
      statements.push_back(fmt::format("COMMENT ON TABLE {} IS {}", t->qualified_name,
                                       QuoteLiteral(PendingKeyComment(wanted_key))));
    }
    changed = true;
  } else {
    auto find_existing = [&existing](std::string_view name) -> const std::optional<std::string>* {
      for (const auto& row : existing.rows) {
        if (EqualsIgnoreCase(row[0].value_or(""), name)) return &row[1];
      }
      return nullptr;
    };
    const std::string reset_hint =
        "run `athena-connector reset` to start over with a new warehouse";
    // Primary key: same columns (in any order). A bulk load that did not finish (a killed sync)
    // left the key in the table's comment; it is added below.
    std::vector<std::string> existing_key =
        LoadPrimaryKey(db_->connection, schema, declared.name, context);
    if (existing_key.empty()) {
      if (auto pending = LoadPendingKey(db_->connection, schema, declared.name, context)) {
        existing_key = std::move(*pending);
        t->bulk = true;
      }
    }
    bool same_key = existing_key.size() == wanted_key.size();
    for (size_t i = 0; same_key && i < wanted_key.size(); ++i) {
      same_key = std::any_of(existing_key.begin(), existing_key.end(), [&](const std::string& k) {
        return EqualsIgnoreCase(k, wanted_key[i]);
      });
    }
    if (!same_key) {
      throw common::ConfigError(
          fmt::format("warehouse: table {}: primary key changed from {} to {}; {}", display,
                      KeyList(existing_key), KeyList(wanted_key), reset_hint));
    }
    // System columns.
    const std::pair<std::string_view, std::string_view> system_columns[] = {
        {kSyncedColumn, "TIMESTAMP WITH TIME ZONE"}, {kDeletedColumn, "BOOLEAN"}};
    for (const auto& [name, type] : system_columns) {
      const auto* found = find_existing(name);
      if (found == nullptr || !EqualsIgnoreCase(found->value_or(""), type)) {
        throw common::ConfigError(
            fmt::format("warehouse: table {} exists without system column {} {}; {}", display, name,
                        type, reset_hint));
      }
    }
    // Declared columns: same type, or added.
    for (const ColumnSchema& column : declared.columns) {
      const std::string type = DuckDbTypeName(column);
      const auto* found = find_existing(column.name);
      if (found == nullptr) {
        statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", t->qualified_name,
                                         QuoteIdentifier(column.name), type));
        changed = true;
      } else if (!EqualsIgnoreCase(found->value_or(""), type)) {
        throw common::ConfigError(
            fmt::format("warehouse: table {}: column {} changed type from {} to {} ({}); {}",
                        display, column.name, found->value_or("?"), type,
                        common::DataTypeName(column.type), reset_hint));
      }
    }
    // Columns the declaration lacks stay (Fivetran never drops columns); upserts set them NULL.
    for (const auto& row : existing.rows) {
      const std::string& name = *row[0];
      if (EqualsIgnoreCase(name, kSyncedColumn) || EqualsIgnoreCase(name, kDeletedColumn) ||
          (t->keyless && EqualsIgnoreCase(name, kIdColumn))) {
        continue;
      }
      if (declared.FindColumn(name) >= 0) continue;
      const bool declared_other_case =
          std::any_of(declared.columns.begin(), declared.columns.end(),
                      [&](const ColumnSchema& c) { return EqualsIgnoreCase(c.name, name); });
      if (!declared_other_case) t->extra_columns.push_back(name);
    }
    // Keep `_fivetran_synced` increasing past what an earlier run wrote.
    const QueryResult latest =
        RunTextQuery(db_->connection,
                     fmt::format("SELECT epoch_us(max({})) FROM {}", QuoteIdentifier(kSyncedColumn),
                                 t->qualified_name),
                     context);
    if (!latest.rows.empty() && latest.rows[0][0].has_value()) {
      last_synced_micros_ = std::max<int64_t>(last_synced_micros_, std::stoll(*latest.rows[0][0]));
    }
  }

  if (!statements.empty()) RunTransaction(statements, context + ": define");
  if (changed) {
    ++counters_.schema_changes;
    spdlog::info("warehouse: {} table {}", existing.rows.empty() ? "created" : "altered", display);
  }

  detail::BuildStatements(*t);
  if (t->bulk && !existing.rows.empty()) AddPendingKey(*t);
  const std::string key = TableKey(declared);
  tables_[key] = std::move(t);
  return *tables_[key];
}

}  // namespace ac::warehouse
