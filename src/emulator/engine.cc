#include "emulator/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "athena_text/value_format.h"
#include "emulator/duckdb_exec.h"
#include "emulator/hive_seed.h"
#include "emulator/query_log.h"
#include "emulator/result_objects.h"
#include "emulator/sql_translate.h"
#include "emulator/statement_runner.h"

namespace ac::emulator {

using athena_text::AppendUuid;
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxQueryBytes = 262144;

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
    : options_(std::move(options)),
      buckets_(options_.data_dir),
      start_time_(std::chrono::system_clock::now()) {
  if (options_.time_zone != "UTC") {
    common::TimeZoneCache zones;
    const common::TimeZone* zone = zones.Find(options_.time_zone);
    if (zone == nullptr)
      throw std::invalid_argument("unknown time zone '" + options_.time_zone + "'");
    display_zone_ = *zone;
  }
  if (!options_.query_log.empty()) query_log_ = std::make_unique<QueryLog>(options_.query_log);
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
  CreateCatalogTables(meta_conn_);
  UseDatabase(meta_conn_, "default");

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
      Exec(meta_conn_, "CREATE SCHEMA IF NOT EXISTS " + QuoteIdentifier(st.database));
      return;
    case Statement::Kind::kDropDatabase:
      Exec(meta_conn_, "DROP SCHEMA IF EXISTS " + QuoteIdentifier(st.database) + " CASCADE");
      return;
    case Statement::Kind::kCreateTable:
      Exec(meta_conn_, st.duckdb_sql);
      RegisterTable(meta_conn_, st, db);
      return;
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
                           (st.database.empty() ? "" : QuoteIdentifier(st.database) + ".") +
                           QuoteIdentifier(st.table));
      return;
    case Statement::Kind::kDropView:
      Exec(meta_conn_, std::string("DROP VIEW ") + (st.if_exists ? "IF EXISTS " : "") +
                           (st.database.empty() ? "" : QuoteIdentifier(st.database) + ".") +
                           QuoteIdentifier(st.table));
      return;
    default:
      Exec(meta_conn_, st.duckdb_sql);
      return;
  }
}

namespace {

bool HoldsPartitionFolders(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_directory() && entry.path().filename().string().find('=') != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

void Engine::Seed(const fs::path& path) {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  // Seeding changes tables: forget their sizes once it is over, whether or not it succeeds.
  struct ForgetSizes {
    ScanSizeCache& cache;
    ~ForgetSizes() { cache.InvalidateAll(); }
  } forget_sizes{scan_sizes_};
  std::vector<fs::path> files;
  std::vector<fs::path> table_folders;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::directory_iterator(path)) {
      const bool hidden = entry.path().filename().string().rfind('.', 0) == 0;
      if (entry.is_regular_file()) files.push_back(entry.path());
      // A folder holding `<key>=<value>` folders is a partitioned table; any other folder (more
      // seed files, e.g. tests/data/catalog/) is not read.
      if (entry.is_directory() && !hidden && HoldsPartitionFolders(entry.path()))
        table_folders.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::sort(table_folders.begin(), table_folders.end());
  } else if (fs::is_regular_file(path)) {
    files.push_back(path);
  } else {
    throw std::runtime_error("seed path does not exist: " + path.string());
  }
  for (const auto& file : files) {
    const std::string ext = Lower(file.extension().string());
    UseDatabase(meta_conn_, "default");
    if (ext == ".sql") {
      std::ifstream in(file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      for (const auto& stmt : SplitSqlStatements(ss.str())) {
        try {
          ExecuteSeedStatement(stmt);
        } catch (const std::exception& e) {
          throw std::runtime_error("seed " + file.string() + ": " + e.what() +
                                   " in: " + stmt.substr(0, 200));
        }
      }
      spdlog::info("seeded {}", file.string());
    } else if (ext == ".csv" || ext == ".parquet") {
      const std::string table = Lower(file.stem().string());
      const std::string reader =
          ext == ".csv" ? "read_csv(" + QuoteLiteral(file.string()) + ", header = true)"
                        : "read_parquet(" + QuoteLiteral(file.string()) + ")";
      try {
        Exec(meta_conn_, "CREATE OR REPLACE TABLE \"default\"." + QuoteIdentifier(table) +
                             " AS SELECT * FROM " + reader);
      } catch (const std::exception& e) {
        throw std::runtime_error("seed " + file.string() + ": " + e.what());
      }
      spdlog::info("seeded table default.{} from {}", table, file.string());
    }
  }
  for (const auto& folder : table_folders) SeedHiveFolder(folder);
}

void Engine::SeedHiveFolder(const fs::path& folder) {
  const HiveLayout layout = ReadHiveLayout(folder);
  UseDatabase(meta_conn_, "default");
  try {
    Exec(meta_conn_, HiveTableSql(layout));
    std::vector<std::pair<std::string, std::string>> keys;
    for (size_t k = 0; k < layout.keys.size(); ++k) {
      keys.emplace_back(layout.keys[k], layout.key_types[k]);
    }
    RegisterPartitionedTable(meta_conn_, "default", layout.table, keys);
  } catch (const std::exception& e) {
    throw std::runtime_error("seed " + folder.string() + ": " + e.what());
  }
  spdlog::info("seeded partitioned table default.{} from {} ({} files)", layout.table,
               folder.string(), layout.files.size());
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
                                : SubstituteParameters(request.query, request.execution_parameters);
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
      OnFinished(info);
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

std::optional<QueryExecutionInfo> Engine::WaitFinished(const std::string& id,
                                                       std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = executions_.find(id);
  if (it == executions_.end()) return std::nullopt;
  const std::shared_ptr<Execution> exec = it->second;
  if (!finished_cv_.wait_for(lock, timeout, [&] { return exec->info.finished; })) {
    return std::nullopt;
  }
  return exec->info;
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
    OnFinished(exec.info);
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
  OnFinished(info);
}

void Engine::OnFinished(const QueryExecutionInfo& info) {
  if (query_log_) query_log_->Append(info);
  finished_cv_.notify_all();
}

// ---- running one execution --------------------------------------------------------------------

void Engine::Run(Execution& exec, duckdb_connection conn) {
  const std::optional<StartQueryRequest> request = EnterRunning(exec, conn);
  if (!request) return;
  const RunContext ctx = MakeRunContext(exec, conn, *request);
  std::string sql = exec.substituted_sql;
  const auto started = std::chrono::system_clock::now();
  try {
    const Statement st = PlanStatement(exec, *request, ctx, sql);
    const auto planned = std::chrono::system_clock::now();
    ThrowIfCancelled(ctx);
    const StatementOutcome outcome = StatementRunner(*this, ctx, st).Run();
    ThrowIfCancelled(ctx);
    FinishSucceeded(exec, ctx, st, outcome, started, planned);
  } catch (const QueryCancelled&) {
    Finish(exec, "CANCELLED", std::nullopt);
  } catch (const ScanLimitExceeded& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      exec.info.data_scanned_bytes = e.cutoff();
    }
    Finish(exec, "FAILED", e.error());
  } catch (const StatementFailed& e) {
    Finish(exec, "FAILED", e.error());
  } catch (const SqlError& e) {
    const std::string message = e.what();
    Finish(exec, "FAILED",
           UserError(e.error_type(),
                     message.rfind(e.name() + ":", 0) == 0 ? message : e.name() + ": " + message));
  } catch (const DuckDbError& e) {
    FinishDuckDbFailure(exec, ctx, sql, e.what());
  }
}

std::optional<StartQueryRequest> Engine::EnterRunning(Execution& exec, duckdb_connection conn) {
  const auto queued_delay = options_.query_delay / 2;
  if (!WaitDelay(exec, queued_delay)) {
    Finish(exec, "CANCELLED", std::nullopt);
    return std::nullopt;
  }
  StartQueryRequest request;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exec.info.finished) return std::nullopt;
    exec.info.state = "RUNNING";
    exec.info.start_time = std::chrono::system_clock::now();
    exec.info.queue_ms = MillisBetween(exec.info.submission_time, exec.info.start_time);
    exec.running_conn = conn;
    request = exec.info.request;
  }
  if (exec.cancel || !WaitDelay(exec, options_.query_delay - queued_delay)) {
    Finish(exec, "CANCELLED", std::nullopt);
    return std::nullopt;
  }
  return request;
}

RunContext Engine::MakeRunContext(Execution& exec, duckdb_connection conn,
                                  const StartQueryRequest& request) const {
  RunContext ctx;
  ctx.conn = conn;
  ctx.id = exec.info.id;
  ctx.database = Lower(request.database.empty() ? "default" : request.database);
  ctx.cancel = &exec.cancel;
  if (display_zone_) ctx.display_zone = DisplayZone{&*display_zone_, options_.time_zone};
  const std::string output = request.output_location.empty() ? options_.workgroup_output_location
                                                             : request.output_location;
  SplitOutputLocation(output, &ctx.bucket, &ctx.prefix);
  return ctx;
}

Statement Engine::PlanStatement(Execution& exec, const StartQueryRequest& request,
                                const RunContext& ctx, std::string& sql) {
  if (!request.execution_parameters.empty()) {
    sql = SubstituteParameters(request.query, request.execution_parameters);
  }
  if (!request.catalog.empty() && Lower(request.catalog) != kCatalog) {
    throw StatementFailed(
        1301, "CATALOG_NOT_FOUND: Catalog '" + Lower(request.catalog) + "' does not exist");
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
  if (SchemaExistsIn(ctx.conn, ctx.database)) {
    UseDatabase(ctx.conn, ctx.database);
  } else if (needs_database) {
    throw StatementFailed::SchemaNotFound(ctx.database);
  }
  return st;
}

void Engine::FinishSucceeded(Execution& exec, const RunContext& ctx, const Statement& st,
                             const StatementOutcome& outcome, TimePoint started,
                             TimePoint planned) {
  const auto done = std::chrono::system_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    QueryExecutionInfo& info = exec.info;
    info.result_rows = outcome.result_rows;
    info.result_bytes = outcome.result_bytes;
    info.data_scanned_bytes = outcome.data_scanned_bytes;
    info.has_update_count = outcome.has_update_count;
    info.update_count = outcome.update_count;
    info.manifest_location = outcome.manifest_location;
    info.planning_ms = MillisBetween(started, planned);
    info.engine_ms = MillisBetween(planned, done);
    const std::string ext = outcome.text_result || st.statement_type != "DML" ? ".txt" : ".csv";
    info.output_location = "s3://" + ctx.bucket + "/" + ctx.prefix + ctx.id + ext;
    info.result_key = st.kind == Statement::Kind::kQuery || outcome.text_result
                          ? ctx.prefix + ctx.id + ext
                          : std::string();
  }
  Finish(exec, "SUCCEEDED", std::nullopt);
}

void Engine::FinishDuckDbFailure(Execution& exec, const RunContext& ctx, const std::string& sql,
                                 const std::string& duckdb_message) {
  if (exec.cancel || IsInterruptMessage(duckdb_message)) {
    Finish(exec, "CANCELLED", std::nullopt);
    return;
  }
  auto schema_exists = [](void* c, const std::string& name) {
    return SchemaExistsIn(static_cast<duckdb_connection>(c), name);
  };
  Finish(exec, "FAILED",
         MapDuckDbError(duckdb_message, sql, ctx.database, schema_exists, ctx.conn));
}

// ---- catalog metadata -------------------------------------------------------------------------

std::vector<std::string> Engine::ListDatabases() {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return ListDatabaseNames(meta_conn_);
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
  return ListTableNames(meta_conn_, database);
}

std::optional<TableInfo> Engine::GetTable(const std::string& database, const std::string& table) {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  std::optional<TableInfo> info =
      ReadTableInfo(meta_conn_, Lower(database), Lower(table), start_time_);
  if (info && info->table_type == "EXTERNAL_TABLE") AddSizeParameters(*info, Lower(database));
  return info;
}

void Engine::AddSizeParameters(TableInfo& info, const std::string& database) {
  // The measurement DataScannedInBytes uses (kept until the table changes): a table's first
  // catalog call measures it for its first query, and the other way round.
  std::shared_ptr<const TableSizes> sizes;
  try {
    sizes = scan_sizes_.Get(meta_conn_, database, info.name);
  } catch (const DuckDbError& e) {
    spdlog::warn("table {}.{}: no size parameters: {}", database, info.name, e.what());
    return;
  }
  const uint64_t rows = sizes->TotalRows();
  const uint64_t bytes = sizes->TotalBytes();
  info.parameters.emplace_back("recordCount", std::to_string(rows));
  info.parameters.emplace_back("sizeKey", std::to_string(bytes));
  info.parameters.emplace_back("averageRecordSize", std::to_string(rows ? bytes / rows : 0));
}

}  // namespace ac::emulator
