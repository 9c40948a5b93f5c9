// DuckDbWarehouse's life (open, Finish, Close) and transactions. Its other members are defined
// by concern: table_definition.cc, primary_key.cc (bulk load's key), table_writes.cc,
// state_file.cc, table_preview.cc.

#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <system_error>

#include "common/error.h"
#include "common/sql_quote.h"
#include "warehouse/duckdb_query.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse {
namespace {

using common::QuoteIdentifier;
using common::QuoteLiteral;
using detail::Execute;
using detail::kNoErrorType;
using detail::OneLine;
using detail::ResultGuard;
using detail::RunTextQuery;
using detail::ThrowDuckDbError;

int64_t MicrosSinceEpoch(common::SystemTimePoint time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

}  // namespace

DuckDbWarehouse::DuckDbWarehouse(WarehouseOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &common::SystemClock::Instance()),
      db_path_(options_.working_dir / "warehouse.db"),
      state_path_(options_.working_dir / "state.json"),
      db_(std::make_unique<detail::DuckDbHandles>()) {
  if (options_.schema.empty()) throw common::ConfigError("warehouse: the schema name is empty");
  std::error_code ec;
  std::filesystem::create_directories(options_.working_dir, ec);
  if (ec) {
    throw common::ConfigError(fmt::format("warehouse: cannot create working directory {}: {}",
                                          options_.working_dir.string(), ec.message()));
  }
  char* error = nullptr;
  if (duckdb_open_ext(db_path_.c_str(), &db_->database, nullptr, &error) == DuckDBError) {
    const std::string message = error != nullptr ? OneLine(error) : "unknown error";
    if (error != nullptr) duckdb_free(error);
    db_->database = nullptr;
    throw common::ConfigError(
        fmt::format("warehouse: cannot open {}: {}", db_path_.string(), message));
  }
  if (duckdb_connect(db_->database, &db_->connection) == DuckDBError) {
    db_->connection = nullptr;
    throw common::InternalError(fmt::format("warehouse: cannot connect to {}", db_path_.string()));
  }
  // TIMESTAMPTZ values print in UTC (previews, Query()); storage is UTC regardless.
  ExecuteOrThrow("SET TimeZone = 'UTC'", "open");
  if (!options_.key_memory_limit.empty()) {  // checked now, used by AddPendingKey
    // Restored by value: RESET memory_limit does not lift the limit (DuckDB 1.4).
    const QueryResult current =
        RunTextQuery(db_->connection, "SELECT current_setting('memory_limit')", "open");
    default_memory_limit_ = current.rows.at(0).at(0).value_or("");
    SetMemoryLimit(options_.key_memory_limit, "open: key_memory_limit");
    SetMemoryLimit(default_memory_limit_, "open");
  }
  if (options_.threads > 0) {
    ExecuteOrThrow(fmt::format("SET threads = {}", options_.threads), "open");
  }
  ExecuteOrThrow(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", QuoteIdentifier(options_.schema)),
                 "create schema " + options_.schema);
}

DuckDbWarehouse::~DuckDbWarehouse() {
  Close();
}

void DuckDbWarehouse::Finish() {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  CommitWrites("finish");
  AddPendingKeys();
}

void DuckDbWarehouse::Close() {
  if (db_) {
    // Rows written after the last checkpoint are kept: re-delivering them later is an idempotent
    // upsert, while the state never runs ahead of the data. A key that cannot be added now is
    // added when the table is next defined.
    try {
      Finish();
    } catch (const common::Error& e) {
      spdlog::warn("{}", e.what());
    }
  }
  tables_.clear();  // appenders and chunks before the connection
  db_.reset();
}

void DuckDbWarehouse::ExecuteOrThrow(const std::string& sql, std::string_view context) {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  Execute(db_->connection, sql, context);
}

void DuckDbWarehouse::SetMemoryLimit(const std::string& limit, std::string_view context) {
  ExecuteOrThrow(fmt::format("SET memory_limit = {}", QuoteLiteral(limit)), context);
}

int DuckDbWarehouse::RunTransaction(const std::vector<std::string>& statements,
                                    std::string_view context, std::initializer_list<int> tolerated,
                                    uint64_t* rows_changed) {
  ExecuteOrThrow("BEGIN TRANSACTION", context);
  for (const std::string& sql : statements) {
    ResultGuard guard;
    const duckdb_state state = duckdb_query(db_->connection, sql.c_str(), &guard.result);
    guard.owned = true;
    if (state == DuckDBError) {
      const int error_type = duckdb_result_error_type(&guard.result);
      if (std::find(tolerated.begin(), tolerated.end(), error_type) != tolerated.end()) {
        RollbackWrites();
        return error_type;
      }
      Rollback(context, duckdb_result_error(&guard.result), error_type);
    }
    if (rows_changed != nullptr) *rows_changed += duckdb_rows_changed(&guard.result);
  }
  ExecuteOrThrow("COMMIT", context);
  return kNoErrorType;
}

void DuckDbWarehouse::BeginWrites(std::string_view context) {
  if (in_transaction_) return;
  ExecuteOrThrow("BEGIN TRANSACTION", context);
  in_transaction_ = true;
}

void DuckDbWarehouse::CommitWrites(std::string_view context) {
  if (!in_transaction_) return;
  in_transaction_ = false;
  ExecuteOrThrow("COMMIT", context);
}

void DuckDbWarehouse::RollbackWrites() {
  in_transaction_ = false;
  duckdb_result result;
  duckdb_query(db_->connection, "ROLLBACK", &result);
  duckdb_destroy_result(&result);
}

void DuckDbWarehouse::Rollback(std::string_view context, std::string_view message, int error_type) {
  RollbackWrites();
  ThrowDuckDbError(error_type, context, message);
}

int64_t DuckDbWarehouse::NextSyncedMicros() {
  last_synced_micros_ = std::max(MicrosSinceEpoch(clock_->Now()), last_synced_micros_ + 1);
  return last_synced_micros_;
}

void DuckDbWarehouse::Warning(const std::string& message) {
  warnings_.push_back(message);
  spdlog::warn("{}", message);
}

}  // namespace ac::warehouse
