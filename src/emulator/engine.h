#pragma once

// The query side of athena-local: a DuckDB database whose schemas are the Athena databases of
// catalog AwsDataCatalog, a registry of query executions, and a worker pool that runs them
// QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, writing Athena-format result files into
// the bucket store.

#include <duckdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/time_zone.h"
#include "emulator/bucket_store.h"
#include "emulator/catalog.h"
#include "emulator/result_file.h"
#include "emulator/scan_bytes.h"
#include "emulator/sql_errors.h"

namespace ac::emulator {

class QueryLog;
struct RunContext;
struct Statement;
struct StatementOutcome;

using TimePoint = std::chrono::system_clock::time_point;

/// Thrown by Engine API methods for requests Athena rejects synchronously (mapped to the JSON
/// error body by the API layer).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message, std::string athena_code = "")
      : std::runtime_error(message),
        status_(status),
        type_(std::move(type)),
        athena_code_(std::move(athena_code)) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }
  const std::string& athena_code() const { return athena_code_; }

 private:
  int status_;
  std::string type_;
  std::string athena_code_;
};

/// Athena's smallest BytesScannedCutoffPerQuery (10 MB).
constexpr uint64_t kMinBytesScannedCutoff = 10000000;

struct EngineOptions {
  std::filesystem::path data_dir;
  int workers = 4;
  int duckdb_threads = 0;  ///< 0 = DuckDB default
  std::chrono::milliseconds query_delay{0};
  std::string workgroup_output_location;  ///< primary workgroup default, e.g. s3://athena-results/
  /// The zone `timestamp with time zone` results are shown in, with its id, as Athena prints the
  /// values of a session or an `AT TIME ZONE` in that zone: `UTC` (default) or an IANA name.
  std::string time_zone = "UTC";
  /// When set, every query execution reaching a final state appends a line here (query_log.h).
  std::filesystem::path query_log;
  /// Workgroup primary's BytesScannedCutoffPerQuery (0 = none, else >= kMinBytesScannedCutoff):
  /// a statement whose DataScannedInBytes would exceed it fails before it runs.
  uint64_t bytes_scanned_cutoff = 0;
  /// Above 0, UNLOAD writes Parquet files of about this many rows each (tests of multi-file
  /// results); 0: files of up to 256 MB, as Athena.
  int64_t unload_rows_per_file = 0;
};

struct StartQueryRequest {
  std::string query;
  std::string database;  ///< QueryExecutionContext.Database (may be empty)
  std::string catalog;   ///< QueryExecutionContext.Catalog (may be empty)
  bool has_context = false;
  std::string output_location;            ///< ResultConfiguration.OutputLocation (may be empty)
  std::string result_configuration_json;  ///< the request's ResultConfiguration, echoed back
  std::string workgroup = "primary";
  std::vector<std::string> execution_parameters;
  bool reuse_enabled = false;
  int reuse_max_age_minutes = 60;
  std::string client_request_token;
};

/// A consistent copy of one query execution's state.
struct QueryExecutionInfo {
  std::string id;
  StartQueryRequest request;
  std::string statement_type;
  std::string substatement_type;
  std::string state = "QUEUED";
  std::string state_change_reason;
  std::optional<AthenaErrorInfo> error;
  TimePoint submission_time;
  TimePoint start_time;       ///< entered RUNNING (== submission when never run)
  TimePoint completion_time;  ///< valid when finished
  bool finished = false;
  std::string output_location;  ///< s3:// URI of the result file (or folder for UNLOAD)
  std::string result_bucket;
  std::string result_key;  ///< key of <id>.csv / <id>.txt (empty when there is none)
  std::string manifest_location;
  uint64_t data_scanned_bytes = 0;
  uint64_t result_rows = 0;
  uint64_t result_bytes = 0;
  int64_t update_count = 0;
  bool has_update_count = false;
  bool reused_previous_result = false;
  int64_t planning_ms = 0;
  int64_t engine_ms = 0;
  int64_t queue_ms = 0;
  int64_t processing_ms = 0;
};

class Engine {
 public:
  /// Opens (or creates) the database under data_dir/.athena-local and starts the workers.
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Loads a .sql file or a directory of .sql/.csv/.parquet files and Hive-partitioned table
  /// folders (hive_seed.h). Throws std::runtime_error.
  void Seed(const std::filesystem::path& path);

  /// StartQueryExecution: validates, deduplicates by ClientRequestToken, reuses results, queues.
  std::string StartQuery(const StartQueryRequest& request);
  /// Throws ApiError(InvalidRequestException) for an unknown id.
  QueryExecutionInfo Describe(const std::string& id) const;
  std::optional<QueryExecutionInfo> TryDescribe(const std::string& id) const;
  void StopQuery(const std::string& id);
  /// Waits until the execution is final, at most `timeout`; returns it then, else nullopt (also
  /// for an unknown id).
  std::optional<QueryExecutionInfo> WaitFinished(const std::string& id,
                                                 std::chrono::milliseconds timeout) const;

  std::vector<std::string> ListDatabases();
  bool DatabaseExists(const std::string& name);
  std::vector<std::string> ListTables(const std::string& database);
  /// nullopt when the table does not exist.
  std::optional<TableInfo> GetTable(const std::string& database, const std::string& table);

  BucketStore& buckets() { return buckets_; }
  /// Stored sizes of the tables' columns (DataScannedInBytes); statements that change a table
  /// invalidate it.
  ScanSizeCache& scan_sizes() { return scan_sizes_; }
  const EngineOptions& options() const { return options_; }
  TimePoint start_time() const { return start_time_; }

  /// Stops the workers (running queries are interrupted). Idempotent.
  void Shutdown();

 private:
  struct Execution;
  struct Worker;

  void WorkerLoop(Worker* worker);
  /// Runs one execution on a worker's connection: plan the statement, run it (StatementRunner),
  /// then finish it SUCCEEDED, FAILED or CANCELLED.
  void Run(Execution& exec, duckdb_connection conn);
  /// Waits out the query delay (half QUEUED, half RUNNING) and marks the execution RUNNING on
  /// `conn`; returns its request, or nullopt when it was cancelled or finished meanwhile.
  std::optional<StartQueryRequest> EnterRunning(Execution& exec, duckdb_connection conn);
  /// The execution as its worker sees it: connection, context database, output location.
  RunContext MakeRunContext(Execution& exec, duckdb_connection conn,
                            const StartQueryRequest& request) const;
  /// Substitutes the execution parameters into `sql`, checks the catalog, classifies and
  /// translates the statement, and makes the context database current. Throws like a statement.
  Statement PlanStatement(Execution& exec, const StartQueryRequest& request, const RunContext& ctx,
                          std::string& sql);
  /// Records a statement's outcome on the execution and finishes it SUCCEEDED.
  void FinishSucceeded(Execution& exec, const RunContext& ctx, const Statement& st,
                       const StatementOutcome& outcome, TimePoint started, TimePoint planned);
  /// Finishes an execution DuckDB failed: CANCELLED when interrupted, else FAILED with the
  /// error in Athena's words.
  void FinishDuckDbFailure(Execution& exec, const RunContext& ctx, const std::string& sql,
                           const std::string& duckdb_message);
  bool WaitDelay(Execution& exec, std::chrono::milliseconds delay);
  void Finish(Execution& exec, const std::string& state, std::optional<AthenaErrorInfo> error);
  /// Called with mutex_ held right when an execution becomes final: appends its query-log line
  /// (so whoever sees it final finds its line written) and wakes WaitFinished.
  void OnFinished(const QueryExecutionInfo& info);
  void ExecuteSeedStatement(const std::string& sql);
  /// Glue crawler's size parameters of a table (recordCount, sizeKey = the bytes of a full read,
  /// averageRecordSize), from ScanSizeCache. Called with meta_mutex_ held.
  void AddSizeParameters(TableInfo& info, const std::string& database);
  /// Creates default.<folder name> from a Hive-partitioned folder (hive_seed.h).
  void SeedHiveFolder(const std::filesystem::path& folder);
  /// Throws InvalidRequestException (MALFORMED_QUERY) when DuckDB cannot parse the statement.
  void CheckParses(const std::string& duckdb_sql, const std::string& athena_sql);

  EngineOptions options_;
  std::optional<common::TimeZone> display_zone_;  ///< options_.time_zone unless UTC
  std::unique_ptr<QueryLog> query_log_;
  BucketStore buckets_;
  ScanSizeCache scan_sizes_;
  TimePoint start_time_;
  duckdb_database db_ = nullptr;
  duckdb_connection meta_conn_ = nullptr;  ///< metadata API + seeding, guarded by meta_mutex_
  std::mutex meta_mutex_;

  mutable std::mutex mutex_;  ///< guards executions_, tokens_, queue_
  std::condition_variable queue_cv_;
  mutable std::condition_variable finished_cv_;  ///< an execution became final
  std::map<std::string, std::shared_ptr<Execution>> executions_;
  std::map<std::string, std::pair<std::string, std::string>>
      tokens_;  ///< token -> (id, fingerprint)
  std::deque<std::shared_ptr<Execution>> queue_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool stopping_ = false;
};

}  // namespace ac::emulator
