// Reading the warehouse back: Query, and the previews `debug` and `show` print.

#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/sql_quote.h"
#include "common/strings.h"
#include "warehouse/duckdb_query.h"
#include "warehouse/primary_key.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse {
namespace {

using common::Lower;
using common::QuoteIdentifier;
using detail::Execute;
using detail::LoadPendingKey;
using detail::LoadPrimaryKey;
using detail::OneLine;
using detail::RunTextQuery;

constexpr size_t kPreviewMaxCellChars = 40;

std::string PreviewTable(duckdb_connection connection, std::string_view schema,
                         std::string_view table, size_t limit) {
  const std::string context = fmt::format("preview of {}.{}", schema, table);
  std::vector<std::string> key = LoadPrimaryKey(connection, schema, table, context);
  if (key.empty()) key = LoadPendingKey(connection, schema, table, context).value_or(key);
  std::string order;
  for (const auto& column : key) {
    order += order.empty() ? " ORDER BY " : ", ";
    order += QuoteIdentifier(column);
  }
  const QueryResult result =
      RunTextQuery(connection,
                   fmt::format("SELECT * FROM {}.{}{} LIMIT {}", QuoteIdentifier(schema),
                               QuoteIdentifier(table), order, limit),
                   context);
  return FormatTextTable(result);
}

std::pair<std::string, std::string> SplitTableName(const std::string& name,
                                                   const std::string& default_schema) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return {default_schema, name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

/// Display width: code points (UTF-8 continuation bytes do not count).
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

/// Escapes control characters and shortens to kPreviewMaxCellChars code points.
std::string DisplayCell(const std::optional<std::string>& value) {
  if (!value.has_value()) return "NULL";
  std::string out;
  size_t width = 0;
  for (size_t i = 0; i < value->size(); ++i) {
    const unsigned char c = static_cast<unsigned char>((*value)[i]);
    if ((c & 0xC0) != 0x80) {
      if (width == kPreviewMaxCellChars - 3 &&
          DisplayWidth(std::string_view(*value).substr(i)) > 3) {
        out += "...";
        break;
      }
      ++width;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        ++width;
        break;
      case '\r':
        out += "\\r";
        ++width;
        break;
      case '\t':
        out += "\\t";
        ++width;
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\x{:02x}", c);
          width += 3;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

}  // namespace

QueryResult DuckDbWarehouse::Query(const std::string& sql) {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  Finish();
  return RunTextQuery(db_->connection, sql, "query");
}

std::string DuckDbWarehouse::FormatPreview(const std::string& table, size_t limit) {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  Finish();
  const auto [schema, name] = SplitTableName(table, options_.schema);
  auto it = tables_.find(Lower(schema + "." + name));
  if (it != tables_.end()) {
    return PreviewTable(db_->connection, SchemaOf(it->second->schema), it->second->schema.name,
                        limit);
  }
  return PreviewTable(db_->connection, schema, name, limit);
}

std::string FormatTablePreview(const std::filesystem::path& warehouse_db_path,
                               const std::string& table, size_t limit) {
  if (!std::filesystem::exists(warehouse_db_path)) {
    throw common::NotFoundError(
        fmt::format("warehouse: {} does not exist", warehouse_db_path.string()));
  }
  duckdb_config config = nullptr;
  duckdb_create_config(&config);
  duckdb_set_config(config, "access_mode", "READ_ONLY");
  duckdb_database database = nullptr;
  char* error = nullptr;
  const duckdb_state state = duckdb_open_ext(warehouse_db_path.c_str(), &database, config, &error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    const std::string message = error != nullptr ? OneLine(error) : "unknown error";
    if (error != nullptr) duckdb_free(error);
    throw common::ConfigError(
        fmt::format("warehouse: cannot open {}: {}", warehouse_db_path.string(), message));
  }
  duckdb_connection connection = nullptr;
  if (duckdb_connect(database, &connection) == DuckDBError) {
    duckdb_close(&database);
    throw common::InternalError("warehouse: cannot connect to " + warehouse_db_path.string());
  }
  struct Closer {
    duckdb_database* database;
    duckdb_connection* connection;
    ~Closer() {
      duckdb_disconnect(connection);
      duckdb_close(database);
    }
  } closer{&database, &connection};
  Execute(connection, "SET TimeZone = 'UTC'", "open");
  const auto [schema, name] = SplitTableName(table, "tester");
  return PreviewTable(connection, schema, name, limit);
}

std::string FormatTextTable(const QueryResult& result) {
  const size_t num_columns = result.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(result.rows.size() + 1);
  cells.emplace_back(result.columns);
  for (auto& name : cells[0]) name = DisplayCell(name);
  for (const auto& row : result.rows) {
    std::vector<std::string> line;
    line.reserve(num_columns);
    for (const auto& value : row) line.push_back(DisplayCell(value));
    cells.push_back(std::move(line));
  }
  std::vector<size_t> widths(num_columns, 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < num_columns; ++c) widths[c] = std::max(widths[c], DisplayWidth(line[c]));
  }
  std::string out;
  auto append_line = [&](const std::vector<std::string>& line) {
    for (size_t c = 0; c < num_columns; ++c) {
      if (c > 0) out += " | ";
      out += line[c];
      if (c + 1 < num_columns) out.append(widths[c] - DisplayWidth(line[c]), ' ');
    }
    out += '\n';
  };
  append_line(cells[0]);
  for (size_t c = 0; c < num_columns; ++c) {
    if (c > 0) out += "-+-";
    out.append(widths[c], '-');
  }
  out += '\n';
  for (size_t i = 1; i < cells.size(); ++i) append_line(cells[i]);
  out += fmt::format("({} row{})\n", result.rows.size(), result.rows.size() == 1 ? "" : "s");
  return out;
}

}  // namespace ac::warehouse
