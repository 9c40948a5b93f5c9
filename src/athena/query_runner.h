#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "athena/athena_client.h"
#include "aws/aws_error.h"
#include "aws/retry.h"
#include "common/clock.h"

namespace ac::athena {

struct QueryRunnerOptions {
  std::chrono::milliseconds poll_initial{100};  ///< first GetQueryExecution poll delay
  std::chrono::milliseconds poll_max{5000};     ///< backoff doubles up to this
  int max_attempts = 3;  ///< submissions of a query whose failure Athena marks Retryable
  /// Longest wait for one query to end (queued + running), counted from the first poll; then it is
  /// stopped (StopQueryExecution) and the wait fails with common::QueryFailedError naming the
  /// limit (configuration key query_timeout_minutes). 0 = no limit.
  std::chrono::milliseconds timeout{60 * 60 * 1000};
};

/// Runs one query to completion: StartQueryExecution (with a ClientRequestToken), polls
/// GetQueryExecution with exponential backoff, resubmits a query that failed with Retryable=true
/// (at most max_attempts submissions, each resubmission decided and delayed by the Athena client's
/// RetryPolicy), waits for capacity when Athena throttles the submission (active-query quota full,
/// or StartQueryExecution's call rate exceeded) beyond the request's own retries — up to the
/// policy's max_quota_wait, then fails naming the quota — and stops the query
/// (StopQueryExecution) when cancelled so nothing keeps running and billing. Holds no state of its
/// own: the tables of a sync share one.
class QueryRunner {
 public:
  QueryRunner(AthenaClient& client, common::Clock& clock, const common::CancellationToken& cancel,
              QueryRunnerOptions options = {});

  /// Starts `request` and waits; returns the SUCCEEDED execution. `on_started` (optional) learns
  /// each query id as soon as it exists (so a caller can checkpoint it). Throws
  /// common::QueryFailedError / NotFoundError / PermissionError (failed query, message from
  /// StateChangeReason and AthenaError), common::CancelledError.
  QueryExecution Run(const StartQueryRequest& request,
                     const std::function<void(const std::string& id)>& on_started = nullptr);
  /// Waits for an existing query to reach a terminal state and returns it (any terminal state).
  /// A query still not ended after options().timeout is stopped: common::QueryFailedError.
  QueryExecution Wait(const std::string& query_execution_id);

 private:
  /// StartQueryExecution answered `throttled` after its retries: sleeps the quota backoff, or
  /// throws common::TransientError naming the quota once the wait is used up.
  void WaitForQueryQuota(aws::RetryAttempts& attempts, const aws::AwsError& throttled);
  /// Stops a query that outlived options_.timeout and throws common::QueryFailedError.
  [[noreturn]] void StopAfterTimeout(const QueryExecution& execution);

  AthenaClient& client_;
  common::Clock& clock_;
  const common::CancellationToken& cancel_;
  QueryRunnerOptions options_;
};

/// The error to throw for a FAILED or CANCELLED execution: one line with the query id,
/// StateChangeReason and AthenaError; kind from the message (TABLE_NOT_FOUND -> NotFound, access
/// denied -> Permission, else QueryFailed).
[[noreturn]] void ThrowQueryFailure(const QueryExecution& execution);

}  // namespace ac::athena
