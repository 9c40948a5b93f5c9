#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "athena/athena_client.h"
#include "aws/s3_client.h"
#include "aws/service_client.h"
#include "common/clock.h"
#include "common/error.h"
#include "results/fetcher_options.h"
#include "results/result_reader.h"

namespace ac::results {

/// How one table's query is submitted and its result read, decided before the query runs.
struct FetchPlan {
  /// kApi, kS3 or kUnload; kAuto when the choice between s3 and api waits for the finished
  /// execution (Open decides: s3 when the result file is readable, else api).
  ResultFetcherKind fetcher = ResultFetcherKind::kApi;
  std::string sql;  ///< the statement to submit (an UNLOAD wrapper for the unload fetcher)
  std::string unload_prefix;  ///< unload: s3://.../unload/<token>/ the Parquet files go to
  /// Values of the `?` placeholders of `sql` (ExecutionParameters), submitted with it.
  std::vector<std::string> parameters;
};

/// True when `sql` is a query UNLOAD can wrap: it starts (after comments and parentheses) with
/// SELECT or WITH.
bool IsUnloadableQuery(std::string_view sql);
/// `UNLOAD (<sql>) TO '<prefix>' WITH (format = 'PARQUET', compression = 'SNAPPY')`.
std::string UnloadStatement(std::string_view sql, std::string_view prefix);
/// The query inside an UnloadStatement() text; "" if `statement` is not one.
std::string UnloadedQuery(std::string_view statement);

/// Rows per batch the s3 and unload readers hand out (capped by checkpoint_interval_rows).
inline constexpr size_t kFetcherBatchRows = 8192;

/// Chooses and opens the result fetcher behind the one ResultReader interface:
/// `api` (GetQueryResults pages), `s3` (the result CSV read with parallel ranged GETs), `unload`
/// (UNLOAD to Parquet, files listed from the manifest), `auto` (s3 when the result file is
/// readable, else api, saying why in one log line).
class ResultFetcherFactory {
 public:
  ResultFetcherFactory(ResultFetcherOptions options, athena::AthenaClient& athena,
                       std::shared_ptr<aws::ServiceClient> s3,
                       const common::CancellationToken& cancel);
  ~ResultFetcherFactory();

  /// The plan for `sql` (the table's SELECT) with the values of its `?` placeholders; `token`
  /// names the unload folder uniquely.
  FetchPlan Plan(const std::string& sql, const std::string& token,
                 std::vector<std::string> parameters = {}) const;
  /// When the query of `failed` failed with `error` and a plan without UNLOAD may succeed (UNLOAD
  /// cannot express e.g. TIME columns or unnamed expressions), that plan for `sql` (logged in one
  /// line); nullopt otherwise.
  std::optional<FetchPlan> PlanAfterFailure(const FetchPlan& failed, const std::string& sql,
                                            const common::Error& error) const;
  /// Opens a reader over the finished `execution` at `start` (a saved position or {}).
  std::unique_ptr<ResultReader> Open(const FetchPlan& plan, const athena::QueryExecution& execution,
                                     const ResultPosition& start);
  /// Removes what the plan left behind once the result is fully delivered (unload files).
  void Cleanup(const FetchPlan& plan, const athena::QueryExecution& execution);

 private:
  std::unique_ptr<ResultReader> OpenApi(const athena::QueryExecution& execution,
                                        const ResultPosition& start);
  std::unique_ptr<ResultReader> OpenS3(const athena::QueryExecution& execution,
                                       const ResultPosition& start);
  std::unique_ptr<ResultReader> OpenAuto(const athena::QueryExecution& execution,
                                         const ResultPosition& start);
  std::unique_ptr<ResultReader> OpenUnload(const FetchPlan& plan,
                                           const athena::QueryExecution& execution,
                                           const ResultPosition& start);
  /// Column names and types of `sql` (with the values of its `?` placeholders) from a
  /// `SELECT * FROM (...) LIMIT 0` query (submitted up to query_max_attempts times, like every
  /// query).
  std::vector<athena::Column> QueryColumns(const std::string& sql,
                                           const std::vector<std::string>& parameters);
  size_t BatchRows() const;

  const ResultFetcherOptions options_;
  athena::AthenaClient& athena_;
  std::shared_ptr<aws::ServiceClient> s3_;
  const common::CancellationToken& cancel_;
  std::unique_ptr<aws::S3Client> s3_client_;
};

}  // namespace ac::results
