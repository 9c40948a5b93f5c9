#include "warehouse/duckdb_warehouse.h"

// Only the current DuckDB C API (no functions scheduled for removal).
#define DUCKDB_API_NO_DEPRECATED
#include <duckdb.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/crypto.h"
#include "common/error.h"
#include "common/sql_quote.h"
#include "common/strings.h"

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
using common::Value;
using common::ValueBatch;
using connector::RecordType;

constexpr std::string_view kSyncedColumn = "_fivetran_synced";
constexpr std::string_view kDeletedColumn = "_fivetran_deleted";
constexpr std::string_view kIdColumn = "_fivetran_id";
constexpr uint32_t kMaxDecimalPrecision = 38;
constexpr uint32_t kDefaultDecimalPrecision = 38;
constexpr uint32_t kDefaultDecimalScale = 10;
constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;
/// Hex digits of `_fivetran_id` (the first 128 bits of a SHA-256 of the row's values).
constexpr size_t kRowIdHexDigits = 32;
constexpr size_t kPreviewMaxCellChars = 40;
constexpr int kNoErrorType = -1;

// Columns of a batch handed to the query appender, before the table's own columns.
constexpr size_t kBatchSeqColumn = 0;  // position within the Write call (last record of a key wins)
constexpr size_t kBatchNowColumn = 1;  // `_fivetran_synced` of this operation
constexpr size_t kBatchFirstValueColumn = 2;
/// Index of the bulk-load statement and appender, after those of the RecordTypes that write rows.
constexpr size_t kBulkAppend = 3;
/// Member of the table comment naming the primary key a bulk-loaded table is to get.
constexpr std::string_view kPendingKeyMember = "athena_connector_pending_primary_key";

// ---------------------------------------------------------------------------------------------
// Small helpers.

/// DuckDB messages span several lines (LINE 1: ..., a caret); errors here are one line.
std::string OneLine(std::string_view message) { return common::CollapseSpaces(message); }

[[noreturn]] void ThrowDuckDbError(int error_type, std::string_view context,
                                   std::string_view message) {
  const std::string text = fmt::format("warehouse: {}: {}", context, OneLine(message));
  switch (error_type) {
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_MISMATCH_TYPE:
      // Values that do not fit the declared column types.
      throw common::ProtocolError(text);
    case DUCKDB_ERROR_PERMISSION:
      throw common::PermissionError(text);
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      throw common::TransientError(text);
    case DUCKDB_ERROR_INTERRUPT:
      throw common::CancelledError(text);
    case DUCKDB_ERROR_CATALOG:
      throw common::NotFoundError(text);
    default:
      throw common::InternalError(text);
  }
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (p[i + k] & 0x3F);
    }
    if ((length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
        (length == 4 && code_point < 0x10000) || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t TimestampMicros(const common::Timestamp& ts) {
  return ts.seconds * kMicrosPerSecond + FloorDiv(ts.nanos, 1000);
}

int64_t TimeOfDayMicros(const common::Timestamp& ts) {
  const int64_t micros = TimestampMicros(ts) % kMicrosPerDay;
  return micros < 0 ? micros + kMicrosPerDay : micros;
}

int64_t MicrosSinceEpoch(common::SystemTimePoint time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// RAII for DuckDB handles.

struct ResultGuard {
  duckdb_result result;
  bool owned = false;
  ~ResultGuard() {
    if (owned) duckdb_destroy_result(&result);
  }
};

struct LogicalTypeGuard {
  duckdb_logical_type type = nullptr;
  explicit LogicalTypeGuard(duckdb_logical_type t) : type(t) {}
  ~LogicalTypeGuard() {
    if (type != nullptr) duckdb_destroy_logical_type(&type);
  }
  LogicalTypeGuard(const LogicalTypeGuard&) = delete;
  LogicalTypeGuard& operator=(const LogicalTypeGuard&) = delete;
};

/// Runs `sql`; throws a mapped common::Error naming `context` on failure.
void Execute(duckdb_connection connection, const std::string& sql, std::string_view context,
             ResultGuard* out = nullptr) {
  ResultGuard local;
  ResultGuard& guard = out != nullptr ? *out : local;
  const duckdb_state state = duckdb_query(connection, sql.c_str(), &guard.result);
  guard.owned = true;
  if (state == DuckDBError) {
    const char* message = duckdb_result_error(&guard.result);
    ThrowDuckDbError(duckdb_result_error_type(&guard.result), context,
                     message != nullptr ? message : "unknown DuckDB error");
  }
}

std::string StringOf(duckdb_string_t* value) {
  return std::string(duckdb_string_t_data(value), duckdb_string_t_length(*value));
}

/// Runs a query whose columns are all converted to VARCHAR.
QueryResult RunTextQuery(duckdb_connection connection, std::string_view sql,
                         std::string_view context) {
  sql = common::TrimRight(sql, "; \n");  // it becomes a subquery
  ResultGuard guard;
  Execute(connection, fmt::format("SELECT COLUMNS(*)::VARCHAR FROM ({})", sql), context, &guard);
  QueryResult out;
  const idx_t num_columns = duckdb_column_count(&guard.result);
  for (idx_t c = 0; c < num_columns; ++c) out.columns.emplace_back(duckdb_column_name(&guard.result, c));
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(guard.result);
    if (chunk == nullptr) break;
    const idx_t size = duckdb_data_chunk_get_size(chunk);
    const size_t first = out.rows.size();
    out.rows.resize(first + size, std::vector<std::optional<std::string>>(num_columns));
    for (idx_t c = 0; c < num_columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, c);
      auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
      uint64_t* validity = duckdb_vector_get_validity(vector);
      for (idx_t r = 0; r < size; ++r) {
        if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
        out.rows[first + r][c] = StringOf(&data[r]);
      }
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  return out;
}

/// The primary-key columns of schema.table as DuckDB stores them (empty when none / no table).
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

/// The comment of a bulk-loaded table naming its primary key to be (see AddPendingKey).
std::string PendingKeyComment(const std::vector<std::string>& key) {
  return nlohmann::json{{kPendingKeyMember, key}}.dump();
}

/// The primary key a bulk load of schema.table left pending (its comment), or nullopt.
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
  const auto comment = nlohmann::json::parse(*result.rows[0][0], nullptr, /*allow_exceptions=*/false);
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

/// Staging type of a column in the appended batch: the column's own type, except DECIMAL and JSON
/// which arrive as text and are CAST by the statement (DuckDB parses and validates them).
duckdb_logical_type CreateBatchType(DataType type) {
  switch (type) {
    case DataType::kBoolean: return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case DataType::kShort: return duckdb_create_logical_type(DUCKDB_TYPE_SMALLINT);
    case DataType::kInt: return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case DataType::kLong: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case DataType::kFloat: return duckdb_create_logical_type(DUCKDB_TYPE_FLOAT);
    case DataType::kDouble: return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case DataType::kNaiveDate: return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case DataType::kNaiveDateTime: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case DataType::kUtcDateTime: return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case DataType::kNaiveTime: return duckdb_create_logical_type(DUCKDB_TYPE_TIME);
    case DataType::kBinary: return duckdb_create_logical_type(DUCKDB_TYPE_BLOB);
    case DataType::kDecimal:
    case DataType::kXml:
    case DataType::kString:
    case DataType::kJson:
    case DataType::kUnspecified: break;
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

std::pair<uint32_t, uint32_t> DecimalParams(const ColumnSchema& column) {
  if (column.precision == 0) return {kDefaultDecimalPrecision, kDefaultDecimalScale};
  const uint32_t precision = std::min(column.precision, kMaxDecimalPrecision);
  return {precision, std::min(column.scale, precision)};
}

/// Appends the bytes of a value as DuckDB stores it (dates as days, times as microseconds) to
/// `out`: equal bytes <=> equal stored values for the exact key types (see HasExactKeys), and the
/// input of `_fivetran_id`.
void AppendCanonicalBytes(const Value& value, const ColumnSchema& column, std::string& out) {
  auto append_raw = [&out](const void* data, size_t size) {
    out.append(static_cast<const char*>(data), size);
  };
  if (value.is_null) {
    out.push_back('\0');
    return;
  }
  out.push_back(static_cast<char>(column.type));
  switch (column.type) {
    case DataType::kBoolean: out.push_back(value.boolean ? '\1' : '\0'); break;
    case DataType::kShort:
    case DataType::kInt: append_raw(&value.int32, sizeof(value.int32)); break;
    case DataType::kLong: append_raw(&value.int64, sizeof(value.int64)); break;
    case DataType::kFloat: append_raw(&value.float32, sizeof(value.float32)); break;
    case DataType::kDouble: append_raw(&value.float64, sizeof(value.float64)); break;
    case DataType::kNaiveDate: {
      const int64_t days = FloorDiv(value.timestamp.seconds, kSecondsPerDay);
      append_raw(&days, sizeof(days));
      break;
    }
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime: {
      const int64_t micros = TimestampMicros(value.timestamp);
      append_raw(&micros, sizeof(micros));
      break;
    }
    case DataType::kNaiveTime: {
      const int64_t micros = TimeOfDayMicros(value.timestamp);
      append_raw(&micros, sizeof(micros));
      break;
    }
    default: {
      const uint64_t size = value.text.size();
      append_raw(&size, sizeof(size));
      out.append(value.text);
      break;
    }
  }
}

/// Key types whose equality in DuckDB is equality of AppendCanonicalBytes (DECIMAL text, floats
/// and JSON are not: "1.0" = "1.00", -0.0 = 0.0). With such keys the last record of a key is
/// chosen here; otherwise the statement does it with a window (slower).
bool HasExactKeys(const TableSchema& table, const std::vector<size_t>& key) {
  for (size_t index : key) {
    switch (table.columns[index].type) {
      case DataType::kDecimal:
      case DataType::kFloat:
      case DataType::kDouble:
      case DataType::kJson:
      case DataType::kUnspecified: return false;
      default: break;
    }
  }
  return true;
}

}  // namespace

// -----------------------------------------------------------------------------------------------

namespace detail {

struct DuckDbHandles {
  duckdb_database database = nullptr;
  duckdb_connection connection = nullptr;
  ~DuckDbHandles() {
    if (connection != nullptr) duckdb_disconnect(&connection);
    if (database != nullptr) duckdb_close(&database);
  }
};

/// A defined destination table: its declaration, the statements that apply a batch, and the
/// reusable batch chunk and query appenders.
struct WarehouseTable {
  TableSchema schema;
  std::string display_name;    // tester.customers
  std::string qualified_name;  // "tester"."customers"
  bool keyless = false;
  std::vector<size_t> key;                  // indexes of key columns in schema.columns
  std::vector<std::string> extra_columns;   // existing columns the declaration lacks
  std::vector<duckdb_logical_type> batch_types;
  std::vector<std::string> batch_names;
  std::vector<std::string> key_names;       // a, b (or _fivetran_id)
  std::string key_columns;                  // "a", "b" (quoted key_names)
  // By RecordType (upsert, update, delete), then kBulkAppend (an INSERT without conflict check).
  std::array<std::string, 4> sql;
  std::array<duckdb_appender, 4> appenders{};
  duckdb_data_chunk chunk = nullptr;
  bool exact_keys = true;  // last record per key chosen in C++ (else by the statement)
  // Bulk load: the table was created without its primary key, upserts are appended, and
  // DuckDbWarehouse::AddPendingKey keeps the last row of each key and adds the key.
  bool bulk = false;
  // Per-batch scratch, reused: canonical key bytes per row, row ids, the rows to apply.
  std::string key_bytes;
  std::vector<size_t> key_offsets;
  std::vector<std::pair<size_t, uint32_t>> key_hashes;
  std::vector<uint8_t> superseded;
  std::vector<std::array<char, kRowIdHexDigits>> row_ids;
  std::vector<uint32_t> selection;

  size_t id_column() const { return kBatchFirstValueColumn + schema.columns.size(); }

  void DropAppender(size_t index) {
    if (appenders[index] != nullptr) duckdb_appender_destroy(&appenders[index]);
    appenders[index] = nullptr;
  }
  ~WarehouseTable() {
    for (size_t i = 0; i < appenders.size(); ++i) DropAppender(i);
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    for (auto& type : batch_types) duckdb_destroy_logical_type(&type);
  }
};

}  // namespace detail

namespace {

/// Builds the three statements that apply an appended batch (`_ac_batch`) to the table.
void BuildStatements(detail::WarehouseTable& t);

}  // namespace

std::string DuckDbWarehouse::DuckDbTypeName(const ColumnSchema& column) {
  switch (column.type) {
    case DataType::kBoolean: return "BOOLEAN";
    case DataType::kShort: return "SMALLINT";
    case DataType::kInt: return "INTEGER";
    case DataType::kLong: return "BIGINT";
    case DataType::kDecimal: {
      const auto [precision, scale] = DecimalParams(column);
      return fmt::format("DECIMAL({},{})", precision, scale);
    }
    case DataType::kFloat: return "FLOAT";
    case DataType::kDouble: return "DOUBLE";
    case DataType::kNaiveDate: return "DATE";
    case DataType::kNaiveDateTime: return "TIMESTAMP";
    case DataType::kUtcDateTime: return "TIMESTAMP WITH TIME ZONE";
    case DataType::kNaiveTime: return "TIME";
    case DataType::kBinary: return "BLOB";
    case DataType::kXml:
    case DataType::kString: return "VARCHAR";
    case DataType::kJson: return "JSON";
    case DataType::kUnspecified: break;
  }
  return "VARCHAR";
}

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
    throw common::InternalError(
        fmt::format("warehouse: cannot connect to {}", db_path_.string()));
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

DuckDbWarehouse::~DuckDbWarehouse() { Close(); }

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

void DuckDbWarehouse::Rollback(std::string_view context, std::string_view message,
                               int error_type) {
  RollbackWrites();
  ThrowDuckDbError(error_type, context, message);
}

int64_t DuckDbWarehouse::NextSyncedMicros() {
  last_synced_micros_ = std::max(MicrosSinceEpoch(clock_->Now()), last_synced_micros_ + 1);
  return last_synced_micros_;
}

// ---------------------------------------------------------------------------------------------
// DefineTable

namespace {

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
      throw common::ConfigError(
          fmt::format("warehouse: table {}: column {} has an empty or invalid name", display, i + 1));
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
        throw common::ConfigError(fmt::format(
            "warehouse: table {}: columns {} and {} have the same name (names are "
            "case-insensitive)",
            display, table.columns[j].name, column.name));
      }
    }
  }
}

std::string KeyList(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out + ")";
}

}  // namespace

void DuckDbWarehouse::DefineTable(const TableSchema& table) {
  // The same declaration again during a bulk load has nothing to change: the load goes on.
  auto it = tables_.find(Lower(table.name));
  if (it != tables_.end() && it->second->bulk && SameDeclaration(it->second->schema, table)) return;
  DefineTableImpl(table);
}

DuckDbWarehouse::Table& DuckDbWarehouse::Defined(const TableSchema& table) {
  auto it = tables_.find(Lower(table.name));
  if (it != tables_.end() && SameDeclaration(it->second->schema, table)) return *it->second;
  return DefineTableImpl(table);
}

DuckDbWarehouse::Table& DuckDbWarehouse::DefineTableImpl(const TableSchema& declared) {
  CommitWrites(fmt::format("table {}: define", declared.name));  // DDL in its own transaction
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  // A table defined before is looked at afresh (its appenders go before any ALTER TABLE).
  tables_.erase(Lower(declared.name));
  const std::string display = options_.schema + "." + declared.name;
  ValidateDeclaration(declared, display);
  const std::string context = "table " + display;

  auto t = std::make_unique<detail::WarehouseTable>();
  t->schema = declared;
  t->display_name = display;
  t->qualified_name = QuoteIdentifier(options_.schema) + "." + QuoteIdentifier(declared.name);
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
                  QuoteLiteral(options_.schema), QuoteLiteral(declared.name)),
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
    const std::string reset_hint = "run `athena-connector reset` to start over with a new warehouse";
    // Primary key: same columns (in any order). A bulk load that did not finish (a killed sync)
    // left the key in the table's comment; it is added below.
    std::vector<std::string> existing_key =
        LoadPrimaryKey(db_->connection, options_.schema, declared.name, context);
    if (existing_key.empty()) {
      if (auto pending = LoadPendingKey(db_->connection, options_.schema, declared.name, context)) {
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
      throw common::ConfigError(fmt::format(
          "warehouse: table {}: primary key changed from {} to {}; {}", display,
          KeyList(existing_key), KeyList(wanted_key), reset_hint));
    }
    // System columns.
    const std::pair<std::string_view, std::string_view> system_columns[] = {
        {kSyncedColumn, "TIMESTAMP WITH TIME ZONE"}, {kDeletedColumn, "BOOLEAN"}};
    for (const auto& [name, type] : system_columns) {
      const auto* found = find_existing(name);
      if (found == nullptr || !EqualsIgnoreCase(found->value_or(""), type)) {
        throw common::ConfigError(fmt::format(
            "warehouse: table {} exists without system column {} {}; {}", display, name, type,
            reset_hint));
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
        throw common::ConfigError(fmt::format(
            "warehouse: table {}: column {} changed type from {} to {} ({}); {}", display,
            column.name, found->value_or("?"), type, common::DataTypeName(column.type),
            reset_hint));
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
    const QueryResult latest = RunTextQuery(
        db_->connection,
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

  BuildStatements(*t);
  if (t->bulk && !existing.rows.empty()) AddPendingKey(*t);
  const std::string key = Lower(declared.name);
  tables_[key] = std::move(t);
  return *tables_[key];
}

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
      case kNoErrorType: return Outcome::kDone;
      case DUCKDB_ERROR_CONSTRAINT: return Outcome::kDuplicates;
      default: return Outcome::kOutOfMemory;
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
      spdlog::info("warehouse: {}: more memory needed than key_memory_limit {}; retrying without it",
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

// ---------------------------------------------------------------------------------------------
// Statements applying a batch.

namespace {

void BuildStatements(detail::WarehouseTable& t) {
  const auto& columns = t.schema.columns;
  // Batch layout: _ac_seq, _ac_now, c0..cN-1, [_ac_id].
  t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
  t.batch_names.emplace_back("_ac_seq");
  t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));
  t.batch_names.emplace_back("_ac_now");
  std::vector<std::string> value_expr;  // typed value of column i from the batch
  for (size_t i = 0; i < columns.size(); ++i) {
    t.batch_types.push_back(CreateBatchType(columns[i].type));
    t.batch_names.push_back(fmt::format("c{}", i));
    if (columns[i].type == DataType::kDecimal || columns[i].type == DataType::kJson) {
      value_expr.push_back(fmt::format("CAST(c{} AS {})", i, DuckDbWarehouse::DuckDbTypeName(columns[i])));
    } else {
      value_expr.push_back(fmt::format("c{}", i));
    }
  }
  if (t.keyless) {
    t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
    t.batch_names.emplace_back("_ac_id");
  }
  t.chunk = duckdb_create_data_chunk(t.batch_types.data(), t.batch_types.size());

  const std::string synced = QuoteIdentifier(kSyncedColumn);
  const std::string deleted = QuoteIdentifier(kDeletedColumn);
  std::string key_columns;   // "a", "b"
  std::string key_exprs;     // c0, CAST(c1 AS ...)
  std::string key_match;     // _ac_t."a" = _ac_s.c0 AND ...
  if (t.keyless) {
    key_columns = QuoteIdentifier(kIdColumn);
    key_exprs = "_ac_id";
    key_match = fmt::format("_ac_t.{} = _ac_s._ac_id", QuoteIdentifier(kIdColumn));
  } else {
    for (size_t k = 0; k < t.key.size(); ++k) {
      const size_t i = t.key[k];
      const std::string sep = k > 0 ? ", " : "";
      key_columns += sep + QuoteIdentifier(columns[i].name);
      key_exprs += sep + value_expr[i];
      key_match += fmt::format("{}_ac_t.{} = _ac_s.c{}", k > 0 ? " AND " : "",
                               QuoteIdentifier(columns[i].name), i);
    }
  }
  t.key_columns = key_columns;
  const std::string last_wins =
      t.exact_keys ? std::string()
                   : fmt::format("QUALIFY row_number() OVER (PARTITION BY {} ORDER BY _ac_seq DESC) = 1",
                                 key_exprs);
  auto is_key = [&t](size_t i) {
    return std::find(t.key.begin(), t.key.end(), i) != t.key.end();
  };

  // UPSERT: insert, or replace every column of the existing row.
  {
    std::string names, values, updates;
    for (size_t i = 0; i < columns.size(); ++i) {
      const std::string name = QuoteIdentifier(columns[i].name);
      names += name + ", ";
      values += value_expr[i] + ", ";
      if (!is_key(i)) updates += fmt::format("{} = excluded.{}, ", name, name);
    }
    if (t.keyless) {
      names += QuoteIdentifier(kIdColumn) + ", ";
      values += "_ac_id, ";
    }
    names += synced + ", " + deleted;
    values += "_ac_now, false";
    updates += fmt::format("{} = excluded.{}, {} = false", synced, synced, deleted);
    for (const std::string& extra : t.extra_columns) {
      names += ", " + QuoteIdentifier(extra);
      values += ", NULL";
      updates += fmt::format(", {} = NULL", QuoteIdentifier(extra));
    }
    t.sql[static_cast<size_t>(RecordType::kUpsert)] = fmt::format(
        "INSERT INTO {} ({}) SELECT {} FROM _ac_batch{}{} ON CONFLICT ({}) DO UPDATE SET {}",
        t.qualified_name, names, values, last_wins.empty() ? "" : " ", last_wins, key_columns,
        updates);
    // Bulk load (exact keys only): every row of the batch, in order (DuckDB keeps the insertion
    // order: preserve_insertion_order), so AddPendingKey's `rowid DESC` means the later record.
    t.sql[kBulkAppend] =
        fmt::format("INSERT INTO {} ({}) SELECT {} FROM _ac_batch", t.qualified_name, names, values);
  }

  // The batch with typed values, one row per key (the last one).
  std::string latest = "SELECT _ac_now";
  for (size_t i = 0; i < columns.size(); ++i) latest += fmt::format(", {} AS c{}", value_expr[i], i);
  if (t.keyless) latest += ", _ac_id";
  latest += " FROM _ac_batch";
  if (!last_wins.empty()) latest += " " + last_wins;

  // UPDATE: change the rows whose key exists; the others are ignored.
  {
    std::string sets;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!is_key(i)) sets += fmt::format("{} = _ac_s.c{}, ", QuoteIdentifier(columns[i].name), i);
    }
    sets += synced + " = _ac_s._ac_now";
    t.sql[static_cast<size_t>(RecordType::kUpdate)] =
        fmt::format("UPDATE {} AS _ac_t SET {} FROM ({}) AS _ac_s WHERE {}", t.qualified_name,
                    sets, latest, key_match);
  }

  // DELETE: soft delete of the rows whose key exists.
  t.sql[static_cast<size_t>(RecordType::kDelete)] = fmt::format(
      "UPDATE {} AS _ac_t SET {} = true, {} = _ac_s._ac_now FROM ({}) AS _ac_s WHERE {}",
      t.qualified_name, deleted, synced, latest, key_match);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Write

namespace {

/// Chooses the rows of `rows` to apply, in order, into `t.selection`: all of them, or — when the
/// keys compare exactly here and the rows go through ON CONFLICT — only the last record of each
/// key. Computes `_fivetran_id` of every row of a keyless table into `t.row_ids`.
void SelectRows(detail::WarehouseTable& t, const ValueBatch& rows) {
  const size_t num_rows = rows.num_rows();
  const auto& columns = t.schema.columns;
  t.selection.clear();
  if (t.keyless) {
    t.row_ids.resize(num_rows);
    for (size_t r = 0; r < num_rows; ++r) {
      t.key_bytes.clear();
      for (size_t c = 0; c < columns.size(); ++c) {
        AppendCanonicalBytes(rows.at(r, c), columns[c], t.key_bytes);
      }
      const common::Sha256Digest digest = common::Sha256(t.key_bytes);
      static constexpr char kHex[] = "0123456789abcdef";
      for (size_t i = 0; i < kRowIdHexDigits / 2; ++i) {
        t.row_ids[r][2 * i] = kHex[digest[i] >> 4];
        t.row_ids[r][2 * i + 1] = kHex[digest[i] & 0xF];
      }
    }
  }
  // A bulk load appends every row: AddPendingKey keeps the last of each key (same
  // `_fivetran_synced` within a Write, so the later append).
  if (!t.exact_keys || t.bulk || num_rows == 1) {
    for (size_t r = 0; r < num_rows; ++r) t.selection.push_back(static_cast<uint32_t>(r));
    return;
  }
  // Key bytes of every row, then (hash, row) sorted: equal keys end up adjacent.
  t.key_bytes.clear();
  t.key_offsets.assign(1, 0);
  for (size_t r = 0; r < num_rows; ++r) {
    if (t.keyless) {
      t.key_bytes.append(t.row_ids[r].data(), kRowIdHexDigits);
    } else {
      for (size_t index : t.key) AppendCanonicalBytes(rows.at(r, index), columns[index], t.key_bytes);
    }
    t.key_offsets.push_back(t.key_bytes.size());
  }
  auto key_of = [&t](size_t r) {
    return std::string_view(t.key_bytes).substr(t.key_offsets[r], t.key_offsets[r + 1] - t.key_offsets[r]);
  };
  t.key_hashes.clear();
  for (size_t r = 0; r < num_rows; ++r) {
    t.key_hashes.emplace_back(std::hash<std::string_view>{}(key_of(r)), static_cast<uint32_t>(r));
  }
  std::sort(t.key_hashes.begin(), t.key_hashes.end());
  t.superseded.assign(num_rows, 0);
  for (size_t i = 0; i < num_rows;) {
    size_t j = i + 1;
    while (j < num_rows && t.key_hashes[j].first == t.key_hashes[i].first) ++j;
    // Rows [i, j) share a hash, in row order; a row is superseded by a later row with its key.
    for (size_t a = i; a + 1 < j; ++a) {
      for (size_t b = a + 1; b < j; ++b) {
        if (key_of(t.key_hashes[a].second) == key_of(t.key_hashes[b].second)) {
          t.superseded[t.key_hashes[a].second] = 1;
          break;
        }
      }
    }
    i = j;
  }
  for (size_t r = 0; r < num_rows; ++r) {
    if (t.superseded[r] == 0) t.selection.push_back(static_cast<uint32_t>(r));
  }
}

/// Fills `t.chunk` with the rows `t.selection[begin, begin + count)` of `rows`. Throws
/// common::Error on a value that does not fit its column.
void FillChunk(detail::WarehouseTable& t, const ValueBatch& rows, size_t begin, size_t count,
               int64_t now_micros) {
  duckdb_data_chunk chunk = t.chunk;
  const auto& columns = t.schema.columns;
  const uint32_t* selection = t.selection.data() + begin;
  {
    auto* seq = static_cast<int64_t*>(
        duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, kBatchSeqColumn)));
    auto* now = static_cast<duckdb_timestamp*>(
        duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, kBatchNowColumn)));
    for (size_t r = 0; r < count; ++r) {
      seq[r] = selection[r];
      now[r].micros = now_micros;
    }
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    const ColumnSchema& column = columns[c];
    duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, kBatchFirstValueColumn + c);
    duckdb_vector_ensure_validity_writable(vector);
    uint64_t* validity = duckdb_vector_get_validity(vector);
    void* data = duckdb_vector_get_data(vector);
    for (size_t r = 0; r < count; ++r) {
      const size_t row = selection[r];
      const Value& v = rows.at(row, c);
      if (v.is_null) {
        duckdb_validity_set_row_invalid(validity, r);
        continue;
      }
      duckdb_validity_set_row_valid(validity, r);
      if (v.type != column.type) {
        throw common::InternalError(fmt::format(
            "warehouse: table {}: column {} is {} but row {} holds a {} value", t.display_name,
            column.name, common::DataTypeName(column.type), row, common::DataTypeName(v.type)));
      }
      switch (column.type) {
        case DataType::kBoolean: static_cast<bool*>(data)[r] = v.boolean; break;
        case DataType::kShort:
          if (v.int32 < INT16_MIN || v.int32 > INT16_MAX) {
            throw common::ProtocolError(fmt::format(
                "warehouse: table {}: column {} (SHORT) value {} is out of range", t.display_name,
                column.name, v.int32));
          }
          static_cast<int16_t*>(data)[r] = static_cast<int16_t>(v.int32);
          break;
        case DataType::kInt: static_cast<int32_t*>(data)[r] = v.int32; break;
        case DataType::kLong: static_cast<int64_t*>(data)[r] = v.int64; break;
        case DataType::kFloat: static_cast<float*>(data)[r] = v.float32; break;
        case DataType::kDouble: static_cast<double*>(data)[r] = v.float64; break;
        case DataType::kNaiveDate:
          static_cast<duckdb_date*>(data)[r].days =
              static_cast<int32_t>(FloorDiv(v.timestamp.seconds, kSecondsPerDay));
          break;
        case DataType::kNaiveDateTime:
        case DataType::kUtcDateTime:
          static_cast<duckdb_timestamp*>(data)[r].micros = TimestampMicros(v.timestamp);
          break;
        case DataType::kNaiveTime:
          static_cast<duckdb_time*>(data)[r].micros = TimeOfDayMicros(v.timestamp);
          break;
        case DataType::kBinary:
          duckdb_vector_assign_string_element_len(vector, r, v.text.data(), v.text.size());
          break;
        case DataType::kDecimal:
        case DataType::kXml:
        case DataType::kString:
        case DataType::kJson:
        case DataType::kUnspecified:
          if (!IsValidUtf8(v.text)) {
            throw common::ProtocolError(fmt::format(
                "warehouse: table {}: column {} row {} is not valid UTF-8", t.display_name,
                column.name, row));
          }
          duckdb_vector_assign_string_element_len(vector, r, v.text.data(), v.text.size());
          break;
      }
    }
  }
  if (t.keyless) {
    duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, t.id_column());
    for (size_t r = 0; r < count; ++r) {
      duckdb_vector_assign_string_element_len(vector, r, t.row_ids[selection[r]].data(),
                                              kRowIdHexDigits);
    }
  }
  duckdb_data_chunk_set_size(chunk, count);
}

std::string_view OperationName(RecordType type) {
  switch (type) {
    case RecordType::kUpsert: return "upsert";
    case RecordType::kUpdate: return "update";
    case RecordType::kDelete: return "delete";
    case RecordType::kTruncate: return "truncate";
  }
  return "write";
}

}  // namespace

void DuckDbWarehouse::Write(const TableSchema& table, RecordType type, const ValueBatch& rows) {
  if (type == RecordType::kTruncate) {
    Truncate(table);
    return;
  }
  Table& t = Defined(table);
  const std::string context = fmt::format("table {}: {}", t.display_name, OperationName(type));
  const size_t num_rows = rows.num_rows();
  if (num_rows == 0) return;
  if (rows.num_columns() != t.schema.columns.size()) {
    throw common::InternalError(fmt::format("warehouse: {}: batch has {} columns, table has {}",
                                            context, rows.num_columns(),
                                            t.schema.columns.size()));
  }
  // Updates and deletes change rows by key: a bulk load ends first.
  if (t.bulk && type != RecordType::kUpsert) AddPendingKey(t);
  const size_t op = t.bulk ? kBulkAppend : static_cast<size_t>(type);
  const int64_t now = NextSyncedMicros();

  BeginWrites(context);
  auto fail_with_appender = [&]() {
    std::string message = "the DuckDB appender failed";
    int error_type = DUCKDB_ERROR_INVALID;
    if (t.appenders[op] != nullptr) {
      duckdb_error_data error = duckdb_appender_error_data(t.appenders[op]);
      if (error != nullptr) {
        if (duckdb_error_data_has_error(error)) {
          const char* text = duckdb_error_data_message(error);
          if (text != nullptr) message = text;
          error_type = duckdb_error_data_error_type(error);
        }
        duckdb_destroy_error_data(&error);
      }
      t.DropAppender(op);  // an appender that failed cannot be used again
    }
    Rollback(context, message, error_type);
  };
  try {
    if (t.appenders[op] == nullptr) {
      std::vector<const char*> names;
      for (const auto& name : t.batch_names) names.push_back(name.c_str());
      if (duckdb_appender_create_query(db_->connection, t.sql[op].c_str(), t.batch_types.size(),
                                       t.batch_types.data(), "_ac_batch", names.data(),
                                       &t.appenders[op]) == DuckDBError) {
        fail_with_appender();
      }
    }
    SelectRows(t, rows);
    const size_t selected = t.selection.size();
    const size_t chunk_capacity = duckdb_vector_size();
    for (size_t begin = 0; begin < selected; begin += chunk_capacity) {
      const size_t count = std::min(chunk_capacity, selected - begin);
      duckdb_data_chunk_reset(t.chunk);
      FillChunk(t, rows, begin, count, now);
      if (duckdb_append_data_chunk(t.appenders[op], t.chunk) == DuckDBError) fail_with_appender();
    }
    if (duckdb_appender_flush(t.appenders[op]) == DuckDBError) fail_with_appender();
  } catch (const common::Error&) {
    // FillChunk's errors: the appender may hold part of the batch; start afresh.
    if (t.appenders[op] != nullptr) t.DropAppender(op);
    RollbackWrites();
    throw;
  }

  switch (type) {
    case RecordType::kUpsert: counters_.upserts += num_rows; break;
    case RecordType::kUpdate: counters_.updates += num_rows; break;
    case RecordType::kDelete: counters_.deletes += num_rows; break;
    case RecordType::kTruncate: break;
  }
}

void DuckDbWarehouse::Truncate(const TableSchema& table) {
  Table& t = Defined(table);
  const std::string context = fmt::format("table {}: truncate", t.display_name);
  const int64_t now = NextSyncedMicros();
  BeginWrites(context);
  try {
    // The moment as a literal: microseconds since the epoch, UTC (independent of TimeZone).
    ExecuteOrThrow(
        fmt::format("UPDATE {} SET {} = true WHERE {} < make_timestamptz({}::BIGINT) "
                    "AND {} IS DISTINCT FROM true",
                    t.qualified_name, QuoteIdentifier(kDeletedColumn),
                    QuoteIdentifier(kSyncedColumn), now, QuoteIdentifier(kDeletedColumn)),
        context);
  } catch (const common::Error&) {
    RollbackWrites();
    throw;
  }
  ++counters_.truncates;
}

// ---------------------------------------------------------------------------------------------
// Checkpoint, Warning

namespace {

[[noreturn]] void ThrowFileError(std::string_view action, const std::filesystem::path& path) {
  throw common::TransientError(fmt::format("warehouse: cannot {} {}: {}", action, path.string(),
                                           std::strerror(errno)));
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ThrowFileError("create", temp);
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = saved;
      ThrowFileError("write", temp);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    ThrowFileError("sync", temp);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    ThrowFileError("replace", path);
  }
  // Make the rename itself durable.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace

void DuckDbWarehouse::Checkpoint(const std::string& state_json) {
  const nlohmann::json parsed = nlohmann::json::parse(state_json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw common::ProtocolError("warehouse: checkpoint state is not a JSON object");
  }
  // The rows before this checkpoint are durable before the state that points past them.
  CommitWrites("checkpoint");
  WriteFileAtomically(state_path_, state_json);
  ++counters_.checkpoints;
  spdlog::debug("warehouse: checkpoint: {}", state_json);
}

void DuckDbWarehouse::Warning(const std::string& message) {
  warnings_.push_back(message);
  spdlog::warn("{}", message);
}

// ---------------------------------------------------------------------------------------------
// Queries and previews

QueryResult DuckDbWarehouse::Query(const std::string& sql) {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  Finish();
  return RunTextQuery(db_->connection, sql, "query");
}

std::string DuckDbWarehouse::FormatPreview(const std::string& table, size_t limit) {
  if (!db_) throw common::InternalError("warehouse: used after Close()");
  Finish();
  auto it = tables_.find(Lower(table));
  if (it != tables_.end()) {
    return PreviewTable(db_->connection, options_.schema, it->second->schema.name, limit);
  }
  const auto [schema, name] = SplitTableName(table, options_.schema);
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

namespace {

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
      if (width == kPreviewMaxCellChars - 3 && DisplayWidth(std::string_view(*value).substr(i)) > 3) {
        out += "...";
        break;
      }
      ++width;
    }
    switch (c) {
      case '\n': out += "\\n"; ++width; break;
      case '\r': out += "\\r"; ++width; break;
      case '\t': out += "\\t"; ++width; break;
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
