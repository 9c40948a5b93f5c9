#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "athena/row_batch.h"
#include "athena/types.h"
#include "aws/service_client.h"

namespace ac::athena {

/// Status.AthenaError of a failed query.
struct AthenaErrorInfo {
  int category = 0;  ///< 1 system, 2 user, 3 other
  int type = 0;
  bool retryable = false;
  std::string message;
};

/// The parts of GetQueryExecution's QueryExecution this connector uses.
struct QueryExecution {
  std::string id;
  std::string query;
  std::string state;  ///< QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
  std::string state_change_reason;
  std::string statement_type;     ///< DML, DDL, UTILITY
  std::string substatement_type;  ///< SELECT, UNLOAD, ...
  std::string output_location;    ///< s3://.../<id>.csv ("" with Athena-managed results)
  std::string encryption_option;  ///< SSE_S3, SSE_KMS, CSE_KMS or ""
  std::string manifest_location;  ///< Statistics.DataManifestLocation
  bool managed_results = false;   ///< ManagedQueryResultsConfiguration.Enabled
  bool has_error = false;
  AthenaErrorInfo error;
  int64_t data_scanned_bytes = 0;
  int64_t engine_execution_ms = 0;
  int64_t total_execution_ms = 0;
  bool reused_previous_result = false;
  std::vector<std::string> execution_parameters;  ///< as submitted (ExecutionParameters)

  bool IsTerminal() const {
    return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
  }
  /// True for results whose first page starts with the column-name row (SELECT-like DML).
  bool HasHeaderRow() const;
};

struct StartQueryRequest {
  std::string sql;
  std::string database;
  std::string catalog;
  std::string workgroup;             ///< "" = not sent
  std::string output_location;       ///< "" = workgroup default
  std::string client_request_token;  ///< "" = a fresh random token
  /// > 0: Athena may answer with the result of an identical query at most this old
  /// (ResultReuseConfiguration); a reused result scans, and costs, nothing.
  int result_reuse_minutes = 0;
  /// Values of the statement's `?` placeholders, in order (ExecutionParameters): each is the SQL
  /// literal text of its value (`'2026-12-01'`, `42`, `DATE '2026-12-01'`). Empty = not sent.
  std::vector<std::string> execution_parameters;
};

/// One GetQueryResults page.
struct ResultsPage {
  std::vector<Column> columns;
  std::string next_token;  ///< "" on the last page
  int64_t update_count = 0;
  size_t rows = 0;  ///< data rows appended
};

struct TableMetadata {
  std::string name;
  std::string table_type;
  std::vector<Column> columns;         ///< declared types (Hive syntax parsed)
  std::vector<Column> partition_keys;  ///< appended after columns in SELECT *
  /// Parameters (what the catalog keeps of the table: a Glue crawler's `sizeKey`, `recordCount`,
  /// ...).
  std::map<std::string, std::string> parameters;
};

/// Athena's JSON 1.1 API (only what the connector needs), over a signed, retrying ServiceClient.
class AthenaClient {
 public:
  explicit AthenaClient(std::shared_ptr<aws::ServiceClient> service);

  std::string StartQueryExecution(const StartQueryRequest& request);
  QueryExecution GetQueryExecution(const std::string& query_execution_id);
  void StopQueryExecution(const std::string& query_execution_id);
  /// Fetches one page, appends its data rows to `rows` and sets `rows`' column count.
  /// With `skip_header_row` the first row (the column names of a SELECT's first page) is dropped.
  ResultsPage GetQueryResults(const std::string& query_execution_id, const std::string& next_token,
                              int max_results, bool skip_header_row, RowBatch& rows);
  TableMetadata GetTableMetadata(const std::string& catalog, const std::string& database,
                                 const std::string& table);
  /// Every table and view of `database` (all pages of ListTableMetadata), in Athena's order.
  std::vector<TableMetadata> ListTableMetadata(const std::string& catalog,
                                               const std::string& database);
  std::vector<std::string> ListDatabases(const std::string& catalog);

  aws::ServiceClient& service() { return *service_; }

 private:
  std::string Call(const char* operation, const std::string& body, bool cancellable = true);
  std::shared_ptr<aws::ServiceClient> service_;
};

/// Parses a GetQueryResults response body (exposed for tests and benchmarks).
ResultsPage ParseGetQueryResults(std::string_view body, bool skip_header_row, RowBatch& rows);

/// A random ClientRequestToken (36-char UUIDv4 text).
std::string NewClientRequestToken();

}  // namespace ac::athena
