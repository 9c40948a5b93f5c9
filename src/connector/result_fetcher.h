#pragma once

#include <memory>
#include <string>

#include "athena/athena_client.h"
#include "athena/result_reader.h"
#include "aws/service_client.h"
#include "common/clock.h"
#include "connector/config.h"

namespace ac::connector {

/// How one table's query is submitted and its result read, decided before the query runs.
struct FetchPlan {
  ResultFetcherKind fetcher = ResultFetcherKind::kApi;  ///< never kAuto once planned
  std::string sql;            ///< the statement to submit (an UNLOAD wrapper for the unload fetcher)
  std::string unload_prefix;  ///< unload: s3://.../unload/<token>/ the Parquet files go to
};

/// Parses "auto" | "api" | "s3" | "unload" (as saved in state); "" gives kApi.
ResultFetcherKind ParseResultFetcherName(std::string_view name);

/// Chooses and opens the result fetcher behind the one ResultReader interface:
/// `api` (GetQueryResults pages), `s3` (the result CSV read with parallel ranged GETs), `unload`
/// (UNLOAD to Parquet, files listed from the manifest), `auto` (s3 when the result file is
/// readable, else api, saying why in one log line).
class ResultFetcherFactory {
 public:
  ResultFetcherFactory(const Config& config, athena::AthenaClient& athena,
                       std::shared_ptr<aws::ServiceClient> s3, const common::CancellationToken& cancel);
  ~ResultFetcherFactory();

  /// The plan for `sql` (the table's SELECT); `token` names the unload folder uniquely.
  FetchPlan Plan(const std::string& sql, const std::string& token) const;
  /// Opens a reader over the finished `execution` at `start` (a saved position or {}).
  std::unique_ptr<athena::ResultReader> Open(const FetchPlan& plan, const athena::QueryExecution& execution,
                                             const athena::ResultPosition& start);
  /// Removes what the plan left behind once the result is fully delivered (unload files).
  void Cleanup(const FetchPlan& plan, const athena::QueryExecution& execution);

 private:
  const Config& config_;
  athena::AthenaClient& athena_;
  std::shared_ptr<aws::ServiceClient> s3_;
  const common::CancellationToken& cancel_;
};

}  // namespace ac::connector
