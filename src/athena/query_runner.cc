#include "athena/query_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "aws/aws_error.h"
#include "aws/retry.h"
#include "common/error.h"

namespace ac::athena {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

QueryRunner::QueryRunner(AthenaClient& client, common::Clock& clock,
                         const common::CancellationToken& cancel, QueryRunnerOptions options)
    : client_(client), clock_(clock), cancel_(cancel), options_(options) {}

QueryExecution QueryRunner::Wait(const std::string& query_execution_id) {
  auto delay = options_.poll_initial;
  const common::SystemTimePoint started = clock_.Now();
  // An interrupted sync stops its query: Athena would otherwise run (and bill) it to the end.
  auto stop = [&] {
    try {
      client_.StopQueryExecution(query_execution_id);
      spdlog::info("Stopped Athena query {} (sync interrupted)", query_execution_id);
    } catch (const std::exception& e) {
      spdlog::warn("Could not stop Athena query {}: {}", query_execution_id, e.what());
    }
  };
  while (true) {
    QueryExecution execution;
    try {
      execution = client_.GetQueryExecution(query_execution_id);
    } catch (const common::CancelledError&) {
      stop();  // interrupted during the poll itself
      throw;
    }
    if (execution.IsTerminal()) return execution;
    if (options_.timeout.count() > 0 && clock_.Now() - started >= options_.timeout) {
      StopAfterTimeout(execution);
    }
    if (clock_.SleepFor(delay, &cancel_) || cancel_.IsCancelled()) {
      stop();
      throw common::CancelledError(fmt::format("interrupted while Athena query {} was {}",
                                               query_execution_id, execution.state));
    }
    delay = std::min(delay * 2, options_.poll_max);
  }
}

QueryExecution QueryRunner::Run(const StartQueryRequest& request,
                                const std::function<void(const std::string& id)>& on_started) {
  // A query Athena failed as retryable is resubmitted as the retry policy of the Athena client
  // decides (backoff, quota), at most max_attempts submissions in all. A submission Athena
  // throttles (its active-query quota is full, or StartQueryExecution's call rate is exceeded)
  // after the request's own retries waits for capacity, as long as the policy's max_quota_wait.
  aws::RetryAttempts attempts(client_.service().retry(), clock_, &cancel_,
                              "submitting the Athena query", options_.max_attempts);
  StartQueryRequest this_request = request;
  int token_attempt = 0;  // the attempt this_request's ClientRequestToken belongs to
  while (true) {
    const int attempt = attempts.attempt();
    if (cancel_.IsCancelled())
      throw common::CancelledError("interrupted before the Athena query started");
    // A resubmission is a new query: it needs a new idempotency token. A throttled submission
    // created nothing and goes again with the same one.
    if (token_attempt != attempt) {
      if (attempt > 1 || this_request.client_request_token.empty()) {
        this_request.client_request_token = NewClientRequestToken();
      }
      token_attempt = attempt;
    }
    std::string id;
    try {
      id = client_.StartQueryExecution(this_request);
    } catch (const aws::AwsError& e) {
      if (e.failure_class() != aws::FailureClass::kThrottling) throw;
      WaitForQueryQuota(attempts, e);
      continue;
    }
    spdlog::info("Started Athena query {}", id);
    if (on_started) on_started(id);
    QueryExecution execution = Wait(id);
    if (execution.state == "SUCCEEDED") {
      spdlog::info("Athena query {} succeeded: {} bytes scanned, {} ms{}", id,
                   execution.data_scanned_bytes, execution.total_execution_ms,
                   execution.reused_previous_result ? " (reused result)" : "");
      attempts.Succeeded();
      return execution;
    }
    if (execution.state == "FAILED" && execution.has_error && execution.error.retryable &&
        attempts.Retry(aws::FailureClass::kTransient, "QueryFailedRetryable")) {
      spdlog::warn(
          "Athena query {} failed with a retryable error ({}); resubmitting (attempt {} of {})", id,
          execution.state_change_reason, attempt + 1, options_.max_attempts);
      continue;
    }
    ThrowQueryFailure(execution);
  }
}

void QueryRunner::StopAfterTimeout(const QueryExecution& execution) {
  const auto minutes = std::chrono::duration<double>(options_.timeout).count() / 60;
  try {
    client_.StopQueryExecution(execution.id);
    spdlog::warn("Stopped Athena query {}: still {} after {:g} min (query_timeout_minutes)",
                 execution.id, execution.state, minutes);
  } catch (const std::exception& e) {
    spdlog::warn("Could not stop Athena query {}: {}", execution.id, e.what());
  }
  throw common::QueryFailedError(fmt::format(
      "Athena query {} was still {} after {:g} minutes, the limit query_timeout_minutes; it was "
      "stopped. Raise query_timeout_minutes or make the query cheaper",
      execution.id, execution.state, minutes));
}

void QueryRunner::WaitForQueryQuota(aws::RetryAttempts& attempts, const aws::AwsError& throttled) {
  if (attempts.WaitForQuota(throttled.code())) {
    spdlog::info(
        "Athena StartQueryExecution is throttled ({}); submitting again after {:.1f} s waiting for "
        "capacity",
        throttled.code(), static_cast<double>(attempts.quota_waited().count()) / 1000);
    return;
  }
  const auto limit = std::chrono::duration_cast<std::chrono::seconds>(
      client_.service().retry().options().max_quota_wait);
  throw common::TransientError(fmt::format(
      "Athena kept refusing new queries for {} s ({}: {}): the account's quota of active queries "
      "(running + queued DML queries per region, TooManyRequestsException) or of "
      "StartQueryExecution calls per second (ThrottlingException) is exhausted. Lower "
      "max_parallel_tables, wait for other workloads to finish, or ask for a higher Athena quota "
      "in the Service Quotas console",
      limit.count(), throttled.code(), throttled.aws_message()));
}

void ThrowQueryFailure(const QueryExecution& execution) {
  const std::string& reason = !execution.state_change_reason.empty() ? execution.state_change_reason
                                                                     : execution.error.message;
  if (Contains(reason, "Bytes scanned limit was exceeded")) {
    // The workgroup's data usage control (BytesScannedCutoffPerQuery) stopped it; Athena reports
    // it FAILED or CANCELLED depending on the engine.
    throw common::QueryFailedError(fmt::format(
        "Athena query {} was stopped by its workgroup's per-query data usage control "
        "(BytesScannedCutoffPerQuery: {}): it would scan more than the workgroup allows one query. "
        "Raise the workgroup's limit (Athena console: Workgroups, Data usage controls), deselect "
        "columns the destination does not need, or read a partitioned table by partitions "
        "(strategy partitions, a smaller partitions_per_query) so that each query scans less",
        execution.id, reason));
  }
  if (execution.state == "CANCELLED") {
    throw common::QueryFailedError(fmt::format("Athena query {} was cancelled{}{}", execution.id,
                                               reason.empty() ? "" : ": ", reason));
  }
  std::string detail;
  if (execution.has_error) {
    const char* category = execution.error.category == 1   ? "system"
                           : execution.error.category == 2 ? "user"
                                                           : "other";
    detail =
        fmt::format(" (AthenaError category {} ({}), type {}{})", execution.error.category,
                    category, execution.error.type, execution.error.retryable ? ", retryable" : "");
  }
  const std::string message = fmt::format("Athena query {} failed: {}{}", execution.id,
                                          reason.empty() ? "no reason given" : reason, detail);
  if (Contains(reason, "TABLE_NOT_FOUND") || Contains(reason, "SCHEMA_NOT_FOUND") ||
      Contains(reason, "does not exist") || Contains(reason, "not found")) {
    throw common::NotFoundError(message);
  }
  if (Contains(reason, "Access denied") || Contains(reason, "AccessDenied") ||
      Contains(reason, "PERMISSION_DENIED") || Contains(reason, "not authorized")) {
    throw common::PermissionError(message);
  }
  throw common::QueryFailedError(message);
}

}  // namespace ac::athena
