#include "emulator/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "emulator/athena_type.h"
#include "athena_text/cell_formatter.h"
#include "emulator/sql_translate.h"
#include "athena_text/value_format.h"

namespace ac::emulator {

using athena_text::AppendUuid;
using athena_text::CellFormatter;
using athena_text::MakeCellFormatter;
namespace fs = std::filesystem;
namespace {

constexpr const char* kCatalog = "awsdatacatalog";
constexpr const char* kMetaSchema = "__athena_local";
constexpr size_t kMaxQueryBytes = 262144;

class DuckDbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Exec(duckdb_connection conn, const std::string& sql) {
  duckdb_result r;
  if (duckdb_query(conn, sql.c_str(), &r) == DuckDBError) {
    std::string message = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    throw DuckDbError(message);
  }
  duckdb_destroy_result(&r);
}

using Cell = std::optional<std::string>;
using Rows = std::vector<std::vector<Cell>>;

// Runs a small query and returns every cell as text (Athena formatting).
Rows QueryRows(duckdb_connection conn, const std::string& sql, idx_t* rows_changed = nullptr) {
  duckdb_result r;
  if (duckdb_query(conn, sql.c_str(), &r) == DuckDBError) {
    std::string message = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    throw DuckDbError(message);
  }
  if (rows_changed != nullptr) *rows_changed = duckdb_rows_changed(&r);
  const idx_t ncols = duckdb_column_count(&r);
  std::vector<std::unique_ptr<CellFormatter>> formatters;
  for (idx_t c = 0; c < ncols; ++c) {
    duckdb_logical_type t = duckdb_column_logical_type(&r, c);
    formatters.push_back(IsFormattableType(t) ? MakeCellFormatter(t) : nullptr);
    duckdb_destroy_logical_type(&t);
  }
  Rows rows;
  std::string buf;
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(r);
    if (chunk == nullptr) break;
    const idx_t n = duckdb_data_chunk_get_size(chunk);
    for (idx_t c = 0; c < ncols; ++c) {
      if (formatters[c]) formatters[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
    }
    for (idx_t row = 0; row < n; ++row) {
      std::vector<Cell> cells;
      for (idx_t c = 0; c < ncols; ++c) {
        if (!formatters[c] || formatters[c]->IsNull(row)) {
          cells.emplace_back(std::nullopt);
          continue;
        }
        buf.clear();
        formatters[c]->Append(buf, row);
        cells.emplace_back(buf);
      }
      rows.push_back(std::move(cells));
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&r);
  return rows;
}

std::string NewQueryId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t high = rng();
  uint64_t low = rng();
  high = (high & ~uint64_t{0xF000}) | uint64_t{0x4000};
  low = (low & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);
  std::string out;
  AppendUuid(out, high, low);
  return out;
}

int64_t MillisBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

std::string Pad20(std::string_view s) {
  std::string out(s);
  if (out.size() < 20) out.append(20 - out.size(), ' ');
  return out;
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Output prefix (bucket, key prefix ending in '/' or empty) of an s3:// output location.
bool SplitOutputLocation(const std::string& location, std::string* bucket, std::string* prefix) {
  if (!BucketStore::ParseS3Uri(location, bucket, prefix)) return false;
  if (!prefix->empty() && prefix->back() != '/') *prefix += '/';
  return BucketStore::IsValidBucketName(*bucket);
}

// ---- select-list analysis (json_serialize_sql) ------------------------------------------------

struct SelectItem {
  std::string cls;     ///< COLUMN_REF, STAR, CONSTANT, FUNCTION, ...
  std::string alias;
  std::string column;  ///< last name of a COLUMN_REF
};

struct SelectShape {
  bool valid = false;
  std::vector<SelectItem> items;
  std::string base_schema;  ///< from_table BASE_TABLE (schema may be empty)
  std::string base_table;
};

SelectShape AnalyzeSelect(duckdb_connection conn, const std::string& duckdb_sql) {
  SelectShape shape;
  try {
    Rows rows = QueryRows(conn, "SELECT json_serialize_sql(" + QuoteLiteral(duckdb_sql) + ")");
    if (rows.empty() || rows[0].empty() || !rows[0][0]) return shape;
    const auto doc = nlohmann::json::parse(*rows[0][0]);
    if (doc.value("error", true)) return shape;
    const auto* node = &doc.at("statements").at(0).at("node");
    while (node->value("type", "") == "SET_OPERATION_NODE") node = &node->at("left");
    if (node->value("type", "") != "SELECT_NODE") return shape;
    for (const auto& item : node->at("select_list")) {
      SelectItem si;
      si.cls = item.value("class", "");
      si.alias = item.value("alias", "");
      if (si.cls == "COLUMN_REF" && item.contains("column_names") &&
          !item["column_names"].empty()) {
        si.column = Lower(item["column_names"].back().get<std::string>());
      }
      if (si.cls == "STAR" && (!item.value("exclude_list", nlohmann::json::array()).empty() ||
                               !item.value("replace_list", nlohmann::json::array()).empty() ||
                               item.value("columns", false))) {
        si.cls = "STAR_MODIFIED";
      }
      shape.items.push_back(std::move(si));
    }
    const auto& from = node->at("from_table");
    if (from.value("type", "") == "BASE_TABLE") {
      shape.base_schema = Lower(from.value("schema_name", ""));
      shape.base_table = Lower(from.value("table_name", ""));
    }
    shape.valid = true;
  } catch (const std::exception&) {
    shape.valid = false;
  }
  return shape;
}

// Maps output column positions to select items (-1 for STAR outputs, -2 when unknown).
std::vector<int> MapOutputsToItems(const SelectShape& shape, size_t ncols) {
  std::vector<int> out(ncols, -2);
  if (!shape.valid) return out;
  int stars = 0;
  for (const auto& it : shape.items) stars += it.cls == "STAR" || it.cls == "STAR_MODIFIED";
  if (stars > 1) return out;
  if (stars == 0 && shape.items.size() != ncols) return out;
  const long star_outputs = static_cast<long>(ncols) - static_cast<long>(shape.items.size()) + 1;
  if (stars == 1 && star_outputs < 0) return out;
  size_t p = 0;
  for (size_t i = 0; i < shape.items.size(); ++i) {
    const auto& it = shape.items[i];
    if (it.cls == "STAR" || it.cls == "STAR_MODIFIED") {
      for (long k = 0; k < star_outputs && p < ncols; ++k) out[p++] = -1;
    } else if (p < ncols) {
      out[p++] = static_cast<int>(i);
    }
  }
  return out;
}


}  // namespace

struct Engine::Execution {
  QueryExecutionInfo info;  // guarded by Engine::mutex_
  std::atomic<bool> cancel{false};
  duckdb_connection running_conn = nullptr;  // guarded by Engine::mutex_
  std::condition_variable cv;
  std::string fingerprint;
  std::string substituted_sql;
};

struct Engine::Worker {
  std::thread thread;
  duckdb_connection conn = nullptr;
};

// ---- construction / seeding -------------------------------------------------------------------

Engine::Engine(EngineOptions options)
    : options_(std::move(options)), buckets_(options_.data_dir),
      start_time_(std::chrono::system_clock::now()) {
  const fs::path db_dir = options_.data_dir / ".athena-local";
  fs::create_directories(db_dir);
  const fs::path db_path = db_dir / (std::string(kCatalog) + ".duckdb");
  duckdb_config config;
  duckdb_create_config(&config);
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "true");
  if (options_.duckdb_threads > 0) {
    duckdb_set_config(config, "threads", std::to_string(options_.duckdb_threads).c_str());
  }
  char* error = nullptr;
  if (duckdb_open_ext(db_path.c_str(), &db_, config, &error) == DuckDBError) {
    std::string message = error ? error : "unknown error";
    duckdb_free(error);
    duckdb_destroy_config(&config);
    throw std::runtime_error("cannot open DuckDB database " + db_path.string() + ": " + message);
  }
  duckdb_destroy_config(&config);
  if (duckdb_connect(db_, &meta_conn_) == DuckDBError) {
    throw std::runtime_error("cannot connect to DuckDB");
  }
  auto prepare_conn = [](duckdb_connection conn) {
    Exec(conn, "SET TimeZone = 'UTC'");
    for (const auto& macro : AthenaCompatMacros()) Exec(conn, macro);
  };
  prepare_conn(meta_conn_);
  Exec(meta_conn_, "CREATE SCHEMA IF NOT EXISTS \"default\"");
  Exec(meta_conn_, std::string("CREATE SCHEMA IF NOT EXISTS ") + kMetaSchema);
  Exec(meta_conn_, std::string("CREATE TABLE IF NOT EXISTS ") + kMetaSchema +
                       ".tables(db VARCHAR, tbl VARCHAR, created_at TIMESTAMP, comment VARCHAR, "
                       "location VARCHAR, properties VARCHAR)");
  Exec(meta_conn_, std::string("CREATE TABLE IF NOT EXISTS ") + kMetaSchema +
                       ".columns(db VARCHAR, tbl VARCHAR, col VARCHAR, declared VARCHAR, "
                       "comment VARCHAR, partition_key BOOLEAN, ordinal INTEGER)");
  Exec(meta_conn_, std::string("USE ") + kCatalog + ".\"default\"");

  const int workers = std::max(1, options_.workers);
  for (int i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>();
    if (duckdb_connect(db_, &w->conn) == DuckDBError) {
      throw std::runtime_error("cannot connect to DuckDB");
    }
    prepare_conn(w->conn);
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->thread = std::thread([this, raw] { WorkerLoop(raw); });
  }
}

Engine::~Engine() {
  Shutdown();
  for (auto& w : workers_) {
    if (w->conn) duckdb_disconnect(&w->conn);
  }
  if (meta_conn_) duckdb_disconnect(&meta_conn_);
  if (db_) duckdb_close(&db_);
}

void Engine::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, exec] : executions_) {
      exec->cancel = true;
      exec->cv.notify_all();
      if (exec->running_conn) duckdb_interrupt(exec->running_conn);
    }
  }
  queue_cv_.notify_all();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Engine::ExecuteSeedStatement(const std::string& sql) {
  Statement st = TranslateStatement(sql);
  const std::string db = st.database.empty() ? "default" : st.database;
  switch (st.kind) {
    case Statement::Kind::kCreateDatabase:
      Exec(meta_conn_, "CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(st.database));
      return;
    case Statement::Kind::kDropDatabase:
      Exec(meta_conn_, "DROP SCHEMA IF EXISTS " + QuoteIdent(st.database) + " CASCADE");
      return;
    case Statement::Kind::kCreateTable: {
      Exec(meta_conn_, st.duckdb_sql);
      const std::string where = " WHERE db = " + QuoteLiteral(db) + " AND tbl = " +
                                QuoteLiteral(st.table);
      Exec(meta_conn_, std::string("DELETE FROM ") + kMetaSchema + ".columns" + where);
      Exec(meta_conn_, std::string("DELETE FROM ") + kMetaSchema + ".tables" + where);
      nlohmann::json props = nlohmann::json::object();
      for (auto& [k, v] : st.table_properties) props[k] = v;
      Exec(meta_conn_, std::string("INSERT INTO ") + kMetaSchema + ".tables VALUES (" +
                           QuoteLiteral(db) + ", " + QuoteLiteral(st.table) +
                           ", now()::TIMESTAMP, " + QuoteLiteral(st.table_comment) + ", " +
                           QuoteLiteral(st.location) + ", " + QuoteLiteral(props.dump()) + ")");
      int ordinal = 0;
      for (const auto& col : st.columns) {
        Exec(meta_conn_, std::string("INSERT INTO ") + kMetaSchema + ".columns VALUES (" +
                             QuoteLiteral(db) + ", " + QuoteLiteral(st.table) + ", " +
                             QuoteLiteral(col.name) + ", " + QuoteLiteral(col.athena_type) +
                             ", " + QuoteLiteral(col.comment) + ", " +
                             (col.partition_key ? "true" : "false") + ", " +
                             std::to_string(ordinal++) + ")");
      }
      return;
    }
    case Statement::Kind::kQuery:
    case Statement::Kind::kShowTables:
    case Statement::Kind::kShowDatabases:
    case Statement::Kind::kShowColumns:
    case Statement::Kind::kShowViews:
    case Statement::Kind::kDescribe:
    case Statement::Kind::kShowCreateTable:
    case Statement::Kind::kShowPartitions:
    case Statement::Kind::kExplain:
    case Statement::Kind::kNoOpDdl:
      return;
    case Statement::Kind::kUnload:
      throw std::runtime_error("UNLOAD is not supported in seed files");
    case Statement::Kind::kDropTable:
      Exec(meta_conn_, std::string("DROP TABLE ") + (st.if_exists ? "IF EXISTS " : "") +
                           (st.database.empty() ? "" : QuoteIdent(st.database) + ".") +
                           QuoteIdent(st.table));
      return;
    case Statement::Kind::kDropView:
      Exec(meta_conn_, std::string("DROP VIEW ") + (st.if_exists ? "IF EXISTS " : "") +
                           (st.database.empty() ? "" : QuoteIdent(st.database) + ".") +
                           QuoteIdent(st.table));
      return;
    default:
      Exec(meta_conn_, st.duckdb_sql);
      return;
  }
}

void Engine::Seed(const fs::path& path) {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(path)) {
    files.push_back(path);
  } else {
    throw std::runtime_error("seed path does not exist: " + path.string());
  }
  for (const auto& file : files) {
    const std::string ext = Lower(file.extension().string());
    Exec(meta_conn_, std::string("USE ") + kCatalog + ".\"default\"");
    if (ext == ".sql") {
      std::ifstream in(file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      for (const auto& stmt : SplitSqlStatements(ss.str())) {
        try {
          ExecuteSeedStatement(stmt);
        } catch (const std::exception& e) {
          throw std::runtime_error("seed " + file.string() + ": " + e.what() + " in: " +
                                   stmt.substr(0, 200));
        }
      }
      spdlog::info("seeded {}", file.string());
    } else if (ext == ".csv" || ext == ".parquet") {
      const std::string table = Lower(file.stem().string());
      const std::string reader =
          ext == ".csv" ? "read_csv(" + QuoteLiteral(file.string()) + ", header = true)"
                        : "read_parquet(" + QuoteLiteral(file.string()) + ")";
      try {
        Exec(meta_conn_, "CREATE OR REPLACE TABLE \"default\"." + QuoteIdent(table) +
                             " AS SELECT * FROM " + reader);
      } catch (const std::exception& e) {
        throw std::runtime_error("seed " + file.string() + ": " + e.what());
      }
      spdlog::info("seeded table default.{} from {}", table, file.string());
    }
  }
}

// ---- query lifecycle --------------------------------------------------------------------------

std::string Engine::StartQuery(const StartQueryRequest& request) {
  if (request.query.empty() || request.query.size() > kMaxQueryBytes) {
    throw ApiError(400, "InvalidRequestException",
                   "1 validation error detected: Value at 'queryString' failed to satisfy "
                   "constraint: Member must have length between 1 and 262144",
                   "INVALID_INPUT");
  }
  if (request.client_request_token.empty()) {
    throw ApiError(400, "InvalidRequestException",
                   "1 validation error detected: Value null at 'clientRequestToken' failed to "
                   "satisfy constraint: Member must not be null (callers not using an AWS SDK "
                   "must send an idempotency token)",
                   "INVALID_INPUT");
  }
  if (request.client_request_token.size() < 32 || request.client_request_token.size() > 128) {
    throw ApiError(400, "InvalidRequestException",
                   "1 validation error detected: Value at 'clientRequestToken' failed to satisfy "
                   "constraint: Member must have length between 32 and 128",
                   "INVALID_INPUT");
  }
  const std::string workgroup = request.workgroup.empty() ? "primary" : request.workgroup;
  if (workgroup != "primary") {
    throw ApiError(400, "InvalidRequestException", "WorkGroup " + workgroup + " is not found.",
                   "INVALID_INPUT");
  }
  std::string output = request.output_location.empty() ? options_.workgroup_output_location
                                                       : request.output_location;
  if (output.empty()) {
    throw ApiError(400, "InvalidRequestException",
                   "No output location provided. An output location is required either through "
                   "the Workgroup result configuration setting or as an API input.",
                   "INVALID_INPUT");
  }
  std::string bucket, prefix;
  if (!SplitOutputLocation(output, &bucket, &prefix)) {
    throw ApiError(400, "InvalidRequestException",
                   "outputLocation is not a valid S3 path: " + output, "INVALID_INPUT");
  }

  nlohmann::json fp = {{"q", request.query},
                       {"db", request.database},
                       {"cat", request.catalog},
                       {"out", request.output_location},
                       {"wg", workgroup},
                       {"params", request.execution_parameters},
                       {"reuse", request.reuse_enabled},
                       {"age", request.reuse_max_age_minutes}};
  const std::string fingerprint = fp.dump();

  auto exec = std::make_shared<Execution>();
  exec->fingerprint = fingerprint;
  QueryExecutionInfo& info = exec->info;
  info.id = NewQueryId();
  info.request = request;
  info.request.workgroup = workgroup;
  info.submission_time = std::chrono::system_clock::now();
  info.start_time = info.submission_time;
  info.state = "QUEUED";
  info.result_bucket = bucket;

  // Classify now (GetQueryExecution shows the statement type while queued). Like Athena, a
  // statement that does not parse is rejected here, without a query execution.
  std::optional<Statement> classified;
  try {
    exec->substituted_sql = request.execution_parameters.empty()
                                ? request.query
                                : SubstituteParameters(request.query,
                                                       request.execution_parameters);
    classified = TranslateStatement(exec->substituted_sql);
  } catch (const SqlError& e) {
    if (e.name() == "SYNTAX_ERROR") {
      throw ApiError(400, "InvalidRequestException", e.what(), "MALFORMED_QUERY");
    }
    exec->substituted_sql = request.query;
  }
  if (classified) {
    info.statement_type = classified->statement_type;
    info.substatement_type = classified->substatement_type;
    const std::string& parse_sql = classified->kind == Statement::Kind::kUnload
                                       ? classified->unload.select_sql
                                       : classified->duckdb_sql;
    if (!parse_sql.empty()) CheckParses(parse_sql, exec->substituted_sql);
  }
  const std::string ext =
      info.statement_type == "DDL" || info.statement_type == "UTILITY" ? ".txt" : ".csv";
  info.output_location = "s3://" + bucket + "/" + prefix + info.id + ext;

  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    throw ApiError(500, "InternalServerException", "The server is shutting down");
  }
  auto token = tokens_.find(request.client_request_token);
  if (token != tokens_.end()) {
    if (token->second.second == fingerprint) return token->second.first;
    throw ApiError(400, "InvalidRequestException",
                   "Idempotent parameters do not match: the ClientRequestToken was already used "
                   "with different parameters",
                   "INVALID_INPUT");
  }
  tokens_[request.client_request_token] = {info.id, fingerprint};

  if (request.reuse_enabled && info.substatement_type == "SELECT") {
    const auto max_age = std::chrono::minutes(request.reuse_max_age_minutes);
    std::shared_ptr<Execution> best;
    for (const auto& [id, other] : executions_) {
      const auto& o = other->info;
      if (o.state != "SUCCEEDED" || o.substatement_type != "SELECT") continue;
      if (o.request.query != request.query ||
          o.request.execution_parameters != request.execution_parameters ||
          Lower(o.request.database) != Lower(request.database) ||
          Lower(o.request.catalog) != Lower(request.catalog) || o.request.workgroup != workgroup ||
          o.request.output_location != request.output_location) {
        continue;
      }
      if (info.submission_time - o.completion_time > max_age) continue;
      if (!buckets_.Stat(o.result_bucket, o.result_key)) continue;
      if (!best || o.completion_time > best->info.completion_time) best = other;
    }
    if (best) {
      const auto& o = best->info;
      info.state = "SUCCEEDED";
      info.finished = true;
      info.completion_time = std::chrono::system_clock::now();
      info.output_location = o.output_location;
      info.result_bucket = o.result_bucket;
      info.result_key = o.result_key;
      info.result_rows = o.result_rows;
      info.result_bytes = o.result_bytes;
      info.reused_previous_result = true;
      executions_[info.id] = exec;
      return info.id;
    }
  }
  executions_[info.id] = exec;
  queue_.push_back(exec);
  queue_cv_.notify_one();
  return info.id;
}

void Engine::CheckParses(const std::string& duckdb_sql, const std::string& athena_sql) {
  std::string error;
  {
    std::lock_guard<std::mutex> lock(meta_mutex_);
    duckdb_extracted_statements statements = nullptr;
    const idx_t n = duckdb_extract_statements(meta_conn_, duckdb_sql.c_str(), &statements);
    if (n == 0) {
      const char* e = duckdb_extract_statements_error(statements);
      error = e != nullptr ? e : "Parser Error: syntax error";
    }
    duckdb_destroy_extracted(&statements);
  }
  if (error.empty()) return;
  AthenaErrorInfo mapped = MapDuckDbError(error, athena_sql, "default");
  constexpr std::string_view kPrefix = "SYNTAX_ERROR: ";
  if (mapped.message.compare(0, kPrefix.size(), kPrefix) != 0) return;  // decided at run time
  throw ApiError(400, "InvalidRequestException", mapped.message.substr(kPrefix.size()),
                 "MALFORMED_QUERY");
}

QueryExecutionInfo Engine::Describe(const std::string& id) const {
  auto info = TryDescribe(id);
  if (!info) {
    throw ApiError(400, "InvalidRequestException", "QueryExecution " + id + " was not found",
                   "INVALID_INPUT");
  }
  return *info;
}

std::optional<QueryExecutionInfo> Engine::TryDescribe(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = executions_.find(id);
  if (it == executions_.end()) return std::nullopt;
  return it->second->info;
}

void Engine::StopQuery(const std::string& id) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = executions_.find(id);
  if (it == executions_.end()) {
    throw ApiError(400, "InvalidRequestException", "QueryExecution " + id + " was not found",
                   "INVALID_INPUT");
  }
  Execution& exec = *it->second;
  if (exec.info.finished) return;
  exec.cancel = true;
  exec.cv.notify_all();
  if (exec.info.state == "QUEUED" && exec.running_conn == nullptr) {
    exec.info.state = "CANCELLED";
    exec.info.finished = true;
    exec.info.completion_time = std::chrono::system_clock::now();
    exec.info.state_change_reason = "Query was cancelled by user";
    return;
  }
  if (exec.running_conn != nullptr) duckdb_interrupt(exec.running_conn);
}

void Engine::WorkerLoop(Worker* worker) {
  while (true) {
    std::shared_ptr<Execution> exec;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      exec = queue_.front();
      queue_.pop_front();
      if (exec->info.finished) continue;  // cancelled while queued
    }
    try {
      Run(*exec, worker->conn);
    } catch (const std::exception& e) {
      spdlog::error("query {} crashed: {}", exec->info.id, e.what());
      AthenaErrorInfo err;
      err.category = 1;
      err.type = 200;
      err.message = std::string("GENERIC_INTERNAL_ERROR: ") + e.what();
      Finish(*exec, "FAILED", err);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    exec->running_conn = nullptr;
  }
}

bool Engine::WaitDelay(Execution& exec, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return !exec.cancel;
  std::unique_lock<std::mutex> lock(mutex_);
  exec.cv.wait_for(lock, delay, [&] { return exec.cancel.load() || stopping_; });
  return !exec.cancel && !stopping_;
}

void Engine::Finish(Execution& exec, const std::string& state,
                    std::optional<AthenaErrorInfo> error) {
  std::lock_guard<std::mutex> lock(mutex_);
  QueryExecutionInfo& info = exec.info;
  if (info.finished) return;
  info.state = state;
  info.finished = true;
  info.completion_time = std::chrono::system_clock::now();
  if (state == "CANCELLED") {
    info.state_change_reason = "Query was cancelled by user";
  } else if (error) {
    info.state_change_reason = error->message;
    info.error = std::move(error);
  }
  if (state != "SUCCEEDED") info.result_key.clear();
}

namespace {

struct RunContext {
  duckdb_connection conn;
  BucketStore* buckets;
  std::string id;
  std::string database;
  std::string bucket;
  std::string prefix;  // ends with '/' or empty
  std::atomic<bool>* cancel;
};

void CheckCancel(const RunContext& ctx) {
  if (ctx.cancel->load()) throw Cancelled();
}

// Commits a finished temp file as <prefix><name>.
void Commit(RunContext& ctx, const fs::path& temp, const std::string& name) {
  ctx.buckets->CommitObject(temp, ctx.bucket, ctx.prefix + name);
}

void WriteSmallObject(RunContext& ctx, const std::string& name, const std::string& content) {
  const fs::path temp = ctx.buckets->NewTempPath(ctx.id + "-" + name);
  {
    std::ofstream out(temp, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + temp.string());
  }
  Commit(ctx, temp, name);
}

std::map<std::string, DeclaredType> DeclaredTypesOf(duckdb_connection conn,
                                                    const std::string& db,
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

bool SchemaExistsIn(duckdb_connection conn, const std::string& name) {
  Rows rows = QueryRows(conn, std::string("SELECT 1 FROM information_schema.schemata WHERE "
                                          "catalog_name = '") +
                                  kCatalog + "' AND lower(schema_name) = " +
                                  QuoteLiteral(Lower(name)));
  return !rows.empty();
}

bool TableExistsIn(duckdb_connection conn, const std::string& db, const std::string& table,
                   std::string* table_type = nullptr) {
  Rows rows = QueryRows(conn, std::string("SELECT table_type FROM information_schema.tables "
                                          "WHERE table_catalog = '") +
                                  kCatalog + "' AND lower(table_schema) = " +
                                  QuoteLiteral(Lower(db)) + " AND lower(table_name) = " +
                                  QuoteLiteral(Lower(table)));
  if (rows.empty()) return false;
  if (table_type != nullptr && rows[0][0]) *table_type = *rows[0][0];
  return true;
}

struct QueryOutcome {
  uint64_t rows = 0;
  uint64_t bytes = 0;
  ResultMetadata metadata;
};

// Runs a row-returning query, streaming its chunks into <id>.csv (or .txt for utilities).
QueryOutcome RunQueryToFile(RunContext& ctx, std::string sql, ResultMetadata::Format format,
                            bool header) {
  duckdb_prepared_statement stmt = nullptr;
  auto prepare = [&](const std::string& text) {
    if (stmt) duckdb_destroy_prepare(&stmt);
    if (duckdb_prepare(ctx.conn, text.c_str(), &stmt) == DuckDBError) {
      std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "error";
      duckdb_destroy_prepare(&stmt);
      throw DuckDbError(message);
    }
  };
  prepare(sql);
  idx_t ncols = duckdb_prepared_statement_column_count(stmt);
  std::vector<std::string> duck_names;
  bool unsupported = false;
  for (idx_t c = 0; c < ncols; ++c) {
    duck_names.emplace_back(duckdb_prepared_statement_column_name(stmt, c));
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
    unsupported |= !IsFormattableType(t);
    duckdb_destroy_logical_type(&t);
  }
  if (unsupported) {
    // Cast what we cannot format (BIT, UNION, BIGNUM, ...) to VARCHAR.
    std::string wrapped = "SELECT ";
    for (idx_t c = 0; c < ncols; ++c) {
      duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
      const std::string ref = "__q.#" + std::to_string(c + 1);
      wrapped += (c ? ", " : "") +
                 (IsFormattableType(t) ? ref : "CAST(" + ref + " AS VARCHAR)") + " AS " +
                 QuoteIdent(duck_names[c]);
      duckdb_destroy_logical_type(&t);
    }
    sql = wrapped + " FROM (" + sql + ") AS __q";
    prepare(sql);
  }

  // Athena column names and declared types.
  SelectShape shape = AnalyzeSelect(ctx.conn, sql);
  std::vector<int> item_of = MapOutputsToItems(shape, ncols);
  std::map<std::string, DeclaredType> declared;
  if (shape.valid && !shape.base_table.empty()) {
    declared = DeclaredTypesOf(ctx.conn, shape.base_schema.empty() ? ctx.database : shape.base_schema,
                               shape.base_table);
  }
  QueryOutcome outcome;
  outcome.metadata.format = format;
  std::vector<std::unique_ptr<CellFormatter>> formatters;
  std::vector<std::string> names;
  for (idx_t c = 0; c < ncols; ++c) {
    std::string name = duck_names[c];
    DeclaredType d;
    const int item = item_of[c];
    if (item >= 0) {
      const auto& it = shape.items[static_cast<size_t>(item)];
      if (it.alias.empty() && it.cls != "COLUMN_REF") name = "_col" + std::to_string(c);
      if (it.cls == "COLUMN_REF") {
        auto found = declared.find(it.column);
        if (found != declared.end()) d = found->second;
      }
    } else if (item == -1) {
      auto found = declared.find(Lower(name));
      if (found != declared.end()) d = found->second;
    } else if (!IsPlainIdentifier(name)) {
      name = "_col" + std::to_string(c);
    }
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
    outcome.metadata.columns.push_back(ResultColumn{name, DescribeColumn(t, d)});
    formatters.push_back(MakeCellFormatter(t, d.TextHints()));
    duckdb_destroy_logical_type(&t);
    names.push_back(std::move(name));
  }

  CheckCancel(ctx);
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(stmt, &pending) == DuckDBError) {
    std::string message = duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "error";
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    throw DuckDbError(message);
  }
  duckdb_result result;
  if (duckdb_execute_pending(pending, &result) == DuckDBError) {
    std::string message = duckdb_result_error(&result) ? duckdb_result_error(&result) : "error";
    duckdb_destroy_result(&result);
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    throw DuckDbError(message);
  }
  duckdb_destroy_pending(&pending);
  duckdb_destroy_prepare(&stmt);

  const std::string ext = format == ResultMetadata::Format::kCsv ? ".csv" : ".txt";
  const fs::path temp = ctx.buckets->NewTempPath(ctx.id + ext);
  try {
    ResultFileWriter writer(temp, format);
    if (header) writer.WriteHeader(names);
    writer.SetFormatters(std::move(formatters));
    while (true) {
      duckdb_data_chunk chunk = duckdb_fetch_chunk(result);
      if (chunk == nullptr) break;
      writer.WriteChunk(chunk);
      duckdb_destroy_data_chunk(&chunk);
      CheckCancel(ctx);
    }
    const char* error = duckdb_result_error(&result);
    if (error != nullptr) throw DuckDbError(error);
    writer.Finish();
    outcome.rows = writer.rows();
    outcome.bytes = writer.bytes();
  } catch (...) {
    duckdb_destroy_result(&result);
    std::error_code ec;
    fs::remove(temp, ec);
    throw;
  }
  duckdb_destroy_result(&result);
  outcome.metadata.rows = outcome.rows;
  Commit(ctx, temp, ctx.id + ext);
  WriteSmallObject(ctx, ctx.id + ext + ".metadata", outcome.metadata.ToJson());
  return outcome;
}

// Writes a DDL/UTILITY .txt result from ready lines.
QueryOutcome WriteTextResult(RunContext& ctx, const std::vector<ResultColumn>& columns,
                             const std::vector<std::string>& lines) {
  QueryOutcome outcome;
  outcome.metadata.format = ResultMetadata::Format::kText;
  outcome.metadata.columns = columns;
  outcome.metadata.rows = lines.size();
  std::string content;
  for (const auto& line : lines) {
    content += line;
    content += '\n';
  }
  outcome.rows = lines.size();
  outcome.bytes = content.size();
  WriteSmallObject(ctx, ctx.id + ".txt", content);
  WriteSmallObject(ctx, ctx.id + ".txt.metadata", outcome.metadata.ToJson());
  return outcome;
}

ResultColumn StringColumn(const std::string& name) {
  return ResultColumn{name, ColumnType{"string", 0, 0, false}};
}

std::string MatchPatternRegex(const std::string& pattern) { return HivePatternToRegex(pattern); }

}  // namespace

void Engine::Run(Execution& exec, duckdb_connection conn) {
  const auto queued_delay = options_.query_delay / 2;
  if (!WaitDelay(exec, queued_delay)) {
    Finish(exec, "CANCELLED", std::nullopt);
    return;
  }
  StartQueryRequest request;
  std::string sql;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exec.info.finished) return;
    exec.info.state = "RUNNING";
    exec.info.start_time = std::chrono::system_clock::now();
    exec.info.queue_ms = MillisBetween(exec.info.submission_time, exec.info.start_time);
    exec.running_conn = conn;
    request = exec.info.request;
    sql = exec.substituted_sql;
  }
  if (exec.cancel || !WaitDelay(exec, options_.query_delay - queued_delay)) {
    Finish(exec, "CANCELLED", std::nullopt);
    return;
  }

  RunContext ctx;
  ctx.conn = conn;
  ctx.buckets = &buckets_;
  ctx.id = exec.info.id;
  ctx.database = Lower(request.database.empty() ? "default" : request.database);
  ctx.cancel = &exec.cancel;
  const std::string output = request.output_location.empty() ? options_.workgroup_output_location
                                                             : request.output_location;
  SplitOutputLocation(output, &ctx.bucket, &ctx.prefix);

  const auto t0 = std::chrono::system_clock::now();
  auto fail = [&](int category, int type, const std::string& message) {
    AthenaErrorInfo e;
    e.category = category;
    e.type = type;
    e.message = message;
    Finish(exec, "FAILED", e);
  };
  try {
    if (!request.execution_parameters.empty()) {
      sql = SubstituteParameters(request.query, request.execution_parameters);
    }
    if (!request.catalog.empty() && Lower(request.catalog) != kCatalog) {
      fail(2, 1301, "CATALOG_NOT_FOUND: Catalog '" + Lower(request.catalog) + "' does not exist");
      return;
    }
    Statement st = TranslateStatement(sql);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      exec.info.statement_type = st.statement_type;
      exec.info.substatement_type = st.substatement_type;
    }
    const bool needs_database = st.kind != Statement::Kind::kCreateDatabase &&
                                st.kind != Statement::Kind::kShowDatabases &&
                                st.kind != Statement::Kind::kDropDatabase;
    if (SchemaExistsIn(conn, ctx.database)) {
      Exec(conn, std::string("USE ") + kCatalog + "." + QuoteIdent(ctx.database));
    } else if (needs_database) {
      fail(2, 1301, "SCHEMA_NOT_FOUND: Schema '" + ctx.database + "' does not exist");
      return;
    }
    const std::string db = st.database.empty() ? ctx.database : Lower(st.database);
    const std::string qualified = QuoteIdent(db) + "." + QuoteIdent(st.table);
    const auto t_planned = std::chrono::system_clock::now();
    QueryOutcome outcome;
    bool has_update_count = false;
    int64_t update_count = 0;
    std::string manifest;
    uint64_t scanned = 0;
    CheckCancel(ctx);

    auto write_dml_metadata = [&](uint64_t rows) {
      ResultMetadata m;
      m.format = ResultMetadata::Format::kNone;
      m.columns.push_back(ResultColumn{"rows", ColumnType{"bigint", 19, 0, false}});
      WriteSmallObject(ctx, ctx.id + ".csv.metadata", m.ToJson());
      has_update_count = true;
      update_count = static_cast<int64_t>(rows);
    };
    auto write_manifest = [&](const std::vector<std::string>& uris) {
      std::string content;
      for (const auto& u : uris) content += u + "\n";
      WriteSmallObject(ctx, ctx.id + "-manifest.csv", content);
      manifest = "s3://" + ctx.bucket + "/" + ctx.prefix + ctx.id + "-manifest.csv";
    };
    auto empty_ddl_result = [&] { outcome = WriteTextResult(ctx, {}, {}); };
    auto register_table = [&](const Statement& s, const std::string& tdb) {
      const std::string where =
          " WHERE db = " + QuoteLiteral(tdb) + " AND tbl = " + QuoteLiteral(s.table);
      Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".columns" + where);
      Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".tables" + where);
      nlohmann::json props = nlohmann::json::object();
      for (auto& [k, v] : s.table_properties) props[k] = v;
      Exec(conn, std::string("INSERT INTO ") + kMetaSchema + ".tables VALUES (" +
                     QuoteLiteral(tdb) + ", " + QuoteLiteral(s.table) + ", now()::TIMESTAMP, " +
                     QuoteLiteral(s.table_comment) + ", " + QuoteLiteral(s.location) + ", " +
                     QuoteLiteral(props.dump()) + ")");
      int ordinal = 0;
      for (const auto& col : s.columns) {
        Exec(conn, std::string("INSERT INTO ") + kMetaSchema + ".columns VALUES (" +
                       QuoteLiteral(tdb) + ", " + QuoteLiteral(s.table) + ", " +
                       QuoteLiteral(col.name) + ", " + QuoteLiteral(col.athena_type) + ", " +
                       QuoteLiteral(col.comment) + ", " + (col.partition_key ? "true" : "false") +
                       ", " + std::to_string(ordinal++) + ")");
      }
    };
    auto unregister = [&](const std::string& tdb, const std::string& table) {
      std::string where = " WHERE db = " + QuoteLiteral(tdb);
      if (!table.empty()) where += " AND tbl = " + QuoteLiteral(table);
      Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".columns" + where);
      Exec(conn, std::string("DELETE FROM ") + kMetaSchema + ".tables" + where);
    };

    switch (st.kind) {
      case Statement::Kind::kQuery:
        outcome = RunQueryToFile(ctx, st.duckdb_sql, ResultMetadata::Format::kCsv, true);
        scanned = outcome.bytes;
        break;
      case Statement::Kind::kExplain: {
        Rows rows = QueryRows(conn, st.duckdb_sql);
        std::vector<std::string> lines;
        for (auto& r : rows) {
          if (r.size() < 2 || !r[1]) continue;
          std::istringstream in(*r[1]);
          std::string line;
          while (std::getline(in, line)) lines.push_back(line);
        }
        outcome = WriteTextResult(
            ctx, {ResultColumn{"Query Plan", ColumnType{"varchar", 2147483647, 0, true}}}, lines);
        break;
      }
      case Statement::Kind::kInsert: {
        if (!TableExistsIn(conn, db, st.table)) {
          fail(2, 1301, "TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog." + db + "." +
                            st.table + "' does not exist");
          return;
        }
        idx_t changed = 0;
        QueryRows(conn, st.duckdb_sql, &changed);
        write_dml_metadata(changed);
        write_manifest({});
        break;
      }
      case Statement::Kind::kModify: {
        idx_t changed = 0;
        QueryRows(conn, st.duckdb_sql, &changed);
        write_dml_metadata(changed);
        break;
      }
      case Statement::Kind::kCtas: {
        if (TableExistsIn(conn, db, st.table)) {
          if (st.if_not_exists) {
            write_dml_metadata(0);
            break;
          }
          fail(2, 1003, "ALREADY_EXISTS: line 1:1: Destination table 'awsdatacatalog." + db +
                            "." + st.table + "' already exists");
          return;
        }
        Exec(conn, st.duckdb_sql);
        Rows count = QueryRows(conn, "SELECT count(*) FROM " + qualified);
        const uint64_t n = count.empty() || !count[0][0] ? 0 : std::stoull(*count[0][0]);
        register_table(st, db);
        write_dml_metadata(n);
        write_manifest({});
        break;
      }
      case Statement::Kind::kUnload: {
        std::string target_bucket, target_prefix;
        if (!BucketStore::ParseS3Uri(st.unload.target, &target_bucket, &target_prefix) ||
            !BucketStore::IsValidBucketName(target_bucket)) {
          fail(2, 1100, "INVALID_ARGUMENT: UNLOAD target is not a valid S3 location: " +
                            st.unload.target);
          return;
        }
        if (!target_prefix.empty() && target_prefix.back() != '/') target_prefix += '/';
        if (!buckets_.List(target_bucket, target_prefix).empty()) {
          fail(2, 1000, "HIVE_PATH_ALREADY_EXISTS: Target directory for table '" + ctx.id +
                            "' already exists: " + st.unload.target +
                            ". You may need to manually clean the data at location '" +
                            st.unload.target + "' before retrying. Athena will not delete data "
                            "in your account.");
          return;
        }
        std::string options;
        std::string suffix;
        const std::string& format = st.unload.format;
        if (format == "PARQUET") {
          const std::string compression =
              st.unload.compression.empty() ? "gzip" : st.unload.compression;
          options = "FORMAT PARQUET, COMPRESSION " + QuoteLiteral(compression);
          suffix = ".parquet";
        } else if (format == "JSON") {
          options = "FORMAT JSON, COMPRESSION 'gzip'";
          suffix = ".json.gz";
        } else if (format == "TEXTFILE") {
          const std::string delim =
              st.unload.field_delimiter.empty() ? std::string("\x01") : st.unload.field_delimiter;
          options = "FORMAT CSV, HEADER false, COMPRESSION 'gzip', DELIMITER " +
                    QuoteLiteral(delim);
          suffix = ".csv.gz";
        } else {
          fail(2, 1200, "NOT_SUPPORTED: UNLOAD format " + format +
                            " is not supported by athena-local (use PARQUET, JSON or TEXTFILE)");
          return;
        }
        const fs::path temp_dir = buckets_.NewTempPath(ctx.id + "-unload");
        fs::create_directories(temp_dir);
        idx_t written = 0;
        try {
          QueryRows(conn,
                    "COPY (" + st.unload.select_sql + ") TO " + QuoteLiteral(temp_dir.string()) +
                        " (" + options + ", FILE_SIZE_BYTES '256MB', FILENAME_PATTERN " +
                        QuoteLiteral(ctx.id + "_{i}") + ")",
                    &written);
        } catch (...) {
          std::error_code ec;
          fs::remove_all(temp_dir, ec);
          throw;
        }
        std::vector<std::string> files;
        for (const auto& entry : fs::directory_iterator(temp_dir)) {
          files.push_back(entry.path().filename().string());
        }
        std::sort(files.begin(), files.end());
        std::vector<std::string> uris;
        for (const auto& f : files) {
          buckets_.CommitObject(temp_dir / f, target_bucket, target_prefix + f);
          uris.push_back("s3://" + target_bucket + "/" + target_prefix + f);
          if (auto info = buckets_.Stat(target_bucket, target_prefix + f)) scanned += info->size;
        }
        std::error_code ec;
        fs::remove_all(temp_dir, ec);
        write_dml_metadata(written);
        write_manifest(uris);
        break;
      }
      case Statement::Kind::kCreateTable: {
        if (TableExistsIn(conn, db, st.table)) {
          if (!st.if_not_exists) {
            fail(2, 1003, "ALREADY_EXISTS: line 1:1: Table 'awsdatacatalog." + db + "." +
                              st.table + "' already exists");
            return;
          }
        } else {
          Exec(conn, st.duckdb_sql);
          register_table(st, db);
        }
        empty_ddl_result();
        break;
      }
      case Statement::Kind::kCreateView:
        Exec(conn, st.duckdb_sql);
        empty_ddl_result();
        break;
      case Statement::Kind::kDropTable:
      case Statement::Kind::kDropView: {
        const bool view = st.kind == Statement::Kind::kDropView;
        std::string type;
        if (!TableExistsIn(conn, db, st.table, &type)) {
          if (!st.if_exists) {
            fail(2, 1301, std::string(view ? "VIEW_NOT_FOUND" : "TABLE_NOT_FOUND") +
                              ": line 1:1: " + (view ? "View" : "Table") + " 'awsdatacatalog." +
                              db + "." + st.table + "' does not exist");
            return;
          }
        } else {
          Exec(conn, std::string(type == "VIEW" ? "DROP VIEW " : "DROP TABLE ") + qualified);
          unregister(db, st.table);
        }
        empty_ddl_result();
        break;
      }
      case Statement::Kind::kCreateDatabase:
        if (SchemaExistsIn(conn, st.database)) {
          if (!st.if_not_exists) {
            fail(2, 1003, "FAILED: Database " + Lower(st.database) + " already exists");
            return;
          }
        } else {
          Exec(conn, "CREATE SCHEMA " + QuoteIdent(Lower(st.database)));
        }
        empty_ddl_result();
        break;
      case Statement::Kind::kDropDatabase:
        if (!SchemaExistsIn(conn, st.database)) {
          if (!st.if_exists) {
            fail(2, 1301, "SCHEMA_NOT_FOUND: Schema '" + Lower(st.database) + "' does not exist");
            return;
          }
        } else {
          if (Lower(st.database) == ctx.database) {
            Exec(conn, std::string("USE ") + kCatalog + ".\"default\"");
          }
          Exec(conn, "DROP SCHEMA " + QuoteIdent(Lower(st.database)) +
                         (st.cascade ? " CASCADE" : ""));
          unregister(Lower(st.database), "");
        }
        empty_ddl_result();
        break;
      case Statement::Kind::kAlterTable:
        for (const auto& col : st.columns) {
          Exec(conn, "ALTER TABLE " + qualified + " ADD COLUMN " + QuoteIdent(col.name) + " " +
                         TranslateTypeText(col.athena_type));
          Exec(conn, std::string("INSERT INTO ") + kMetaSchema + ".columns VALUES (" +
                         QuoteLiteral(db) + ", " + QuoteLiteral(st.table) + ", " +
                         QuoteLiteral(col.name) + ", " + QuoteLiteral(col.athena_type) + ", " +
                         QuoteLiteral(col.comment) + ", false, 1000)");
        }
        empty_ddl_result();
        break;
      case Statement::Kind::kNoOpDdl:
        empty_ddl_result();
        break;
      case Statement::Kind::kShowTables:
      case Statement::Kind::kShowViews: {
        const std::string sdb = st.database.empty() ? ctx.database : Lower(st.database);
        if (!SchemaExistsIn(conn, sdb)) {
          fail(2, 1301, "SCHEMA_NOT_FOUND: Schema '" + sdb + "' does not exist");
          return;
        }
        const bool views = st.kind == Statement::Kind::kShowViews;
        Rows rows = QueryRows(conn, std::string("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_catalog = '") +
                                        kCatalog + "' AND lower(table_schema) = " +
                                        QuoteLiteral(sdb) +
                                        (views ? " AND table_type = 'VIEW'" : "") +
                                        " ORDER BY table_name");
        std::vector<std::string> lines;
        std::regex re(st.pattern.empty() ? ".*" : MatchPatternRegex(st.pattern),
                      std::regex::icase);
        for (auto& r : rows) {
          if (r[0] && std::regex_match(*r[0], re)) lines.push_back(*r[0]);
        }
        outcome = WriteTextResult(ctx, {StringColumn(views ? "views" : "tab_name")}, lines);
        break;
      }
      case Statement::Kind::kShowDatabases: {
        std::vector<std::string> lines;
        std::regex re(st.pattern.empty() ? ".*" : MatchPatternRegex(st.pattern),
                      std::regex::icase);
        for (const auto& name : ListDatabases()) {
          if (std::regex_match(name, re)) lines.push_back(name);
        }
        outcome = WriteTextResult(ctx, {StringColumn("database_name")}, lines);
        break;
      }
      case Statement::Kind::kShowColumns:
      case Statement::Kind::kDescribe:
      case Statement::Kind::kShowCreateTable:
      case Statement::Kind::kShowPartitions: {
        auto table = GetTableLocked(conn, db, st.table);
        if (!table) {
          fail(2, 1301, "TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog." + db + "." +
                            st.table + "' does not exist");
          return;
        }
        std::vector<std::string> lines;
        if (st.kind == Statement::Kind::kShowColumns) {
          for (const auto& c : table->columns) lines.push_back(Pad20(c.name));
          outcome = WriteTextResult(ctx, {StringColumn("field")}, lines);
        } else if (st.kind == Statement::Kind::kDescribe) {
          for (const auto& c : table->columns) {
            lines.push_back(Pad20(c.name) + "\t" + Pad20(c.hive_type) + "\t" + Pad20(c.comment));
          }
          outcome = WriteTextResult(
              ctx, {StringColumn("col_name"), StringColumn("data_type"), StringColumn("comment")},
              lines);
        } else if (st.kind == Statement::Kind::kShowCreateTable) {
          lines.push_back("CREATE EXTERNAL TABLE `" + db + "`.`" + table->name + "`(");
          for (size_t i = 0; i < table->columns.size(); ++i) {
            lines.push_back("  `" + table->columns[i].name + "` " + table->columns[i].hive_type +
                            (i + 1 < table->columns.size() ? ", " : ")"));
          }
          lines.push_back("LOCATION");
          lines.push_back("  's3://athena-local/" + db + "/" + table->name + "'");
          outcome = WriteTextResult(ctx, {StringColumn("createtab_stmt")}, lines);
        } else {
          outcome = WriteTextResult(ctx, {StringColumn("partition")}, lines);
        }
        break;
      }
    }
    CheckCancel(ctx);
    const auto t_done = std::chrono::system_clock::now();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      QueryExecutionInfo& info = exec.info;
      info.result_rows = outcome.rows;
      info.result_bytes = outcome.bytes;
      info.data_scanned_bytes = scanned;
      info.has_update_count = has_update_count;
      info.update_count = update_count;
      info.manifest_location = manifest;
      info.planning_ms = MillisBetween(t0, t_planned);
      info.engine_ms = MillisBetween(t_planned, t_done);
      const std::string ext = outcome.metadata.format == ResultMetadata::Format::kText ||
                                      st.statement_type != "DML"
                                  ? ".txt"
                                  : ".csv";
      info.output_location = "s3://" + ctx.bucket + "/" + ctx.prefix + ctx.id + ext;
      info.result_key = st.kind == Statement::Kind::kQuery ||
                                outcome.metadata.format == ResultMetadata::Format::kText
                            ? ctx.prefix + ctx.id + ext
                            : std::string();
    }
    Finish(exec, "SUCCEEDED", std::nullopt);
  } catch (const Cancelled&) {
    Finish(exec, "CANCELLED", std::nullopt);
  } catch (const SqlError& e) {
    const std::string message = e.what();
    fail(2, e.error_type(),
         message.rfind(e.name() + ":", 0) == 0 ? message : e.name() + ": " + message);
  } catch (const DuckDbError& e) {
    if (exec.cancel || IsInterruptMessage(e.what())) {
      Finish(exec, "CANCELLED", std::nullopt);
      return;
    }
    auto schema_exists = [](void* c, const std::string& name) {
      return SchemaExistsIn(static_cast<duckdb_connection>(c), name);
    };
    AthenaErrorInfo err = MapDuckDbError(e.what(), sql, ctx.database, schema_exists, conn);
    Finish(exec, "FAILED", err);
  }
}

// ---- catalog metadata -------------------------------------------------------------------------

std::vector<std::string> Engine::ListDatabases() {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  Rows rows = QueryRows(meta_conn_, std::string("SELECT schema_name FROM "
                                                "information_schema.schemata WHERE catalog_name "
                                                "= '") +
                                        kCatalog +
                                        "' AND schema_name NOT IN ('information_schema', "
                                        "'pg_catalog', 'main') AND schema_name NOT LIKE '\\_\\_%' "
                                        "ESCAPE '\\' ORDER BY schema_name");
  std::vector<std::string> out;
  for (auto& r : rows) {
    if (r[0]) out.push_back(*r[0]);
  }
  return out;
}

bool Engine::DatabaseExists(const std::string& name) {
  if (name.rfind("__", 0) == 0 || Lower(name) == "main" || Lower(name) == "information_schema" ||
      Lower(name) == "pg_catalog") {
    return false;
  }
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return SchemaExistsIn(meta_conn_, name);
}

std::vector<std::string> Engine::ListTables(const std::string& database) {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  Rows rows = QueryRows(meta_conn_, std::string("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_catalog = '") +
                                        kCatalog + "' AND lower(table_schema) = " +
                                        QuoteLiteral(Lower(database)) + " ORDER BY table_name");
  std::vector<std::string> out;
  for (auto& r : rows) {
    if (r[0]) out.push_back(*r[0]);
  }
  return out;
}

std::optional<TableInfo> Engine::GetTable(const std::string& database, const std::string& table) {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return GetTableLocked(meta_conn_, Lower(database), Lower(table));
}

std::optional<TableInfo> Engine::GetTableLocked(duckdb_connection conn, const std::string& db,
                                                const std::string& table) {
  std::string type;
  if (!TableExistsIn(conn, db, table, &type)) return std::nullopt;
  TableInfo info;
  info.name = Lower(table);
  info.table_type = type == "VIEW" ? "VIRTUAL_VIEW" : "EXTERNAL_TABLE";
  info.create_time = start_time_;

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
      info.create_time = TimePoint(std::chrono::milliseconds(std::stoll(*meta[0][0])));
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
  const std::string sql = "SELECT * FROM " + std::string(kCatalog) + "." + QuoteIdent(db) + "." +
                          QuoteIdent(Lower(table)) + " LIMIT 0";
  if (duckdb_prepare(conn, sql.c_str(), &stmt) == DuckDBError) {
    std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "error";
    duckdb_destroy_prepare(&stmt);
    throw std::runtime_error(message);
  }
  const idx_t n = duckdb_prepared_statement_column_count(stmt);
  for (idx_t c = 0; c < n; ++c) {
    TableColumnInfo col;
    col.name = duckdb_prepared_statement_column_name(stmt, c);
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
