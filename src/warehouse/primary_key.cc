#include "warehouse/primary_key.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/sql_quote.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse {
namespace detail {
namespace {

using common::QuoteLiteral;

/// Member of the table comment naming the primary key a bulk-loaded table is to get.
constexpr std::string_view kPendingKeyMember = "athena_connector_pending_primary_key";

}  // namespace

std::vector<std::string> LoadPrimaryKey(duckdb_connection connection, std::string_view schema,
                                        std::string_view table, std::string_view context) {
  const QueryResult result = RunTextQuery(
      connection,
      fmt::format("SELECT unnest(constraint_column_names) AS name FROM duckdb_constraints() "
                  "WHERE database_name = current_database() AND lower(schema_name) = lower({}) "
                  "AND lower(table_name) = lower({}) AND constraint_type = 'PRIMARY KEY'",
                  QuoteLiteral(schema), QuoteLiteral(table)),
      context);
  std::vector<std::string> out;
  for (const auto& row : result.rows) out.push_back(row[0].value_or(""));
  return out;
}

std::string PendingKeyComment(const std::vector<std::string>& key) {
  return nlohmann::json{{kPendingKeyMember, key}}.dump();
}

std::optional<std::vector<std::string>> LoadPendingKey(duckdb_connection connection,
                                                       std::string_view schema,
                                                       std::string_view table,
                                                       std::string_view context) {
  const QueryResult result = RunTextQuery(
      connection,
      fmt::format("SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
                  "AND lower(schema_name) = lower({}) AND lower(table_name) = lower({})",
                  QuoteLiteral(schema), QuoteLiteral(table)),
      context);
  if (result.rows.size() != 1 || !result.rows[0][0].has_value()) return std::nullopt;
  const auto comment =
      nlohmann::json::parse(*result.rows[0][0], nullptr, /*allow_exceptions=*/false);
  if (!comment.is_object()) return std::nullopt;
  const auto it = comment.find(kPendingKeyMember);
  if (it == comment.end() || !it->is_array() || it->empty()) return std::nullopt;
  std::vector<std::string> key;
  for (const auto& name : *it) {
    if (!name.is_string()) return std::nullopt;
    key.push_back(name.get<std::string>());
  }
  return key;
}

std::string KeyList(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out + ")";
}

}  // namespace detail

namespace {

using common::QuoteIdentifier;
using detail::kBulkAppend;
using detail::KeyList;
using detail::kNoErrorType;
using detail::kSyncedColumn;

}  // namespace

void DuckDbWarehouse::AddPendingKey(Table& t) {
  if (!t.bulk) return;
  const std::string context = fmt::format("table {}: add primary key", t.display_name);
  CommitWrites(context);
  t.DropAppender(kBulkAppend);
  enum class Outcome { kDone, kDuplicates, kOutOfMemory };
  // Runs `statements` in one transaction; any failure but these two throws.
  auto run = [&](std::vector<std::string> statements, uint64_t* rows_changed) {
    switch (RunTransaction(statements, context,
                           {DUCKDB_ERROR_CONSTRAINT, DUCKDB_ERROR_OUT_OF_MEMORY}, rows_changed)) {
      case kNoErrorType:
        return Outcome::kDone;
      case DUCKDB_ERROR_CONSTRAINT:
        return Outcome::kDuplicates;
      default:
        return Outcome::kOutOfMemory;
    }
  };
  const std::string add_key =
      fmt::format("ALTER TABLE {} ADD PRIMARY KEY ({})", t.qualified_name, t.key_columns);
  const std::string clear_comment = fmt::format("COMMENT ON TABLE {} IS NULL", t.qualified_name);
  // Some key may have been delivered more than once (a re-delivered batch, a source with
  // duplicate keys): as with upserts, the last row wins — the latest `_fivetran_synced`, then the
  // latest append.
  const std::string keep_last = fmt::format(
      "DELETE FROM {0} WHERE rowid IN (SELECT rowid FROM {0} QUALIFY row_number() OVER "
      "(PARTITION BY {1} ORDER BY {2} DESC, rowid DESC) > 1)",
      t.qualified_name, t.key_columns, QuoteIdentifier(kSyncedColumn));
  uint64_t superseded = 0;
  auto add = [&]() {
    Outcome outcome = run({add_key, clear_comment}, nullptr);
    if (outcome != Outcome::kDuplicates) return outcome;
    outcome = run({keep_last}, &superseded);
    if (outcome != Outcome::kDone) return outcome;
    outcome = run({add_key, clear_comment}, nullptr);
    if (outcome == Outcome::kDuplicates) {
      throw common::InternalError(fmt::format(
          "warehouse: {}: rows still share a key after removing the older ones", context));
    }
    return outcome;
  };
  // The key is built within key_memory_limit (DuckDB's cache gives way); when it does not fit
  // there, again without the limit.
  bool limited = !options_.key_memory_limit.empty();
  if (limited) SetMemoryLimit(options_.key_memory_limit, context);
  Outcome outcome;
  try {
    outcome = add();
    if (outcome == Outcome::kOutOfMemory && limited) {
      spdlog::info(
          "warehouse: {}: more memory needed than key_memory_limit {}; retrying without it",
          context, options_.key_memory_limit);
      SetMemoryLimit(default_memory_limit_, context);
      limited = false;
      outcome = add();
    }
  } catch (const common::Error&) {
    if (limited) SetMemoryLimit(default_memory_limit_, context);
    throw;
  }
  if (limited) SetMemoryLimit(default_memory_limit_, context);
  if (outcome == Outcome::kOutOfMemory) {
    throw common::TransientError(fmt::format("warehouse: {}: out of memory", context));
  }
  t.bulk = false;
  spdlog::info("warehouse: table {}: primary key {} added after the bulk load{}", t.display_name,
               KeyList(t.key_names),
               superseded > 0 ? fmt::format(", {} superseded rows removed", superseded) : "");
}

void DuckDbWarehouse::AddPendingKeys() {
  for (auto& [name, table] : tables_) AddPendingKey(*table);
}

}  // namespace ac::warehouse
