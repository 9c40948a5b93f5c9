#include "results/result_fetcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "athena/query_runner.h"
#include "common/sql_quote.h"
#include "results/get_query_results_reader.h"
#include "results/s3_result_reader.h"
#include "results/unload_result_reader.h"

namespace ac::results {
namespace {

using common::QuoteLiteral;

constexpr std::string_view kUnloadHead = "UNLOAD (\n";
constexpr std::string_view kUnloadTail = "\n) TO '";

/// `sql` without trailing whitespace and semicolons.
std::string_view TrimStatement(std::string_view sql) {
  while (!sql.empty() &&
         (std::isspace(static_cast<unsigned char>(sql.back())) != 0 || sql.back() == ';')) {
    sql.remove_suffix(1);
  }
  return sql;
}

}  // namespace

bool IsUnloadableQuery(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      const size_t end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])) != 0) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
    ++i;
  }
  return word == "SELECT" || word == "WITH";
}

std::string UnloadStatement(std::string_view sql, std::string_view prefix) {
  // The query goes on lines of its own, so a trailing `-- comment` cannot swallow the `)`.
  return fmt::format("{}{}\n) TO {} WITH (format = 'PARQUET', compression = 'SNAPPY')", kUnloadHead,
                     TrimStatement(sql), QuoteLiteral(prefix));
}

std::string UnloadedQuery(std::string_view statement) {
  if (statement.substr(0, kUnloadHead.size()) != kUnloadHead) return {};
  const size_t tail = statement.rfind(kUnloadTail);
  if (tail == std::string_view::npos || tail < kUnloadHead.size()) return {};
  return std::string(statement.substr(kUnloadHead.size(), tail - kUnloadHead.size()));
}

ResultFetcherFactory::ResultFetcherFactory(ResultFetcherOptions options,
                                           athena::AthenaClient& athena,
                                           std::shared_ptr<aws::ServiceClient> s3,
                                           const common::CancellationToken& cancel)
    : options_(std::move(options)),
      athena_(athena),
      s3_(std::move(s3)),
      cancel_(cancel),
      s3_client_(
          s3_ ? std::make_unique<aws::S3Client>(s3_, /*force_path_style=*/options_.s3_path_style)
              : nullptr) {}

ResultFetcherFactory::~ResultFetcherFactory() = default;

size_t ResultFetcherFactory::BatchRows() const {
  return static_cast<size_t>(std::clamp<int64_t>(options_.checkpoint_interval_rows, 1,
                                                 static_cast<int64_t>(kFetcherBatchRows)));
}

FetchPlan ResultFetcherFactory::Plan(const std::string& sql, const std::string& token,
                                     std::vector<std::string> parameters) const {
  FetchPlan plan;
  plan.sql = sql;
  plan.parameters = std::move(parameters);
  plan.fetcher = options_.fetcher;
  if (plan.fetcher != ResultFetcherKind::kUnload) return plan;
  if (!IsUnloadableQuery(sql)) {
    spdlog::info(
        "Result fetcher unload: the query is not a SELECT or WITH query, which UNLOAD cannot wrap; "
        "reading its result with the auto fetcher (s3, else api)");
    plan.fetcher = ResultFetcherKind::kAuto;
    return plan;
  }
  plan.unload_prefix = options_.staging + "unload/" + token + "/";
  plan.sql = UnloadStatement(sql, plan.unload_prefix);
  return plan;
}

std::optional<FetchPlan> ResultFetcherFactory::PlanAfterFailure(const FetchPlan& failed,
                                                                const std::string& sql,
                                                                const common::Error& error) const {
  // A query UNLOAD cannot express (TIME columns, unnamed expressions, types Parquet cannot hold)
  // fails as a user error of the UNLOAD; missing tables, permissions and cancellation would fail
  // the plain query just the same.
  if (failed.fetcher != ResultFetcherKind::kUnload ||
      error.kind() != common::ErrorKind::kQueryFailed) {
    return std::nullopt;
  }
  spdlog::info(
      "Result fetcher unload: UNLOAD cannot run this query ({}); running it as a plain query read "
      "with the auto fetcher (s3, else api)",
      error.what());
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kAuto;
  plan.sql = sql;
  plan.parameters = failed.parameters;
  return plan;
}

std::unique_ptr<ResultReader> ResultFetcherFactory::Open(const FetchPlan& plan,
                                                         const athena::QueryExecution& execution,
                                                         const ResultPosition& start) {
  switch (plan.fetcher) {
    case ResultFetcherKind::kApi:
      return OpenApi(execution, start);
    case ResultFetcherKind::kS3:
      return OpenS3(execution, start);
    case ResultFetcherKind::kUnload:
      return OpenUnload(plan, execution, start);
    case ResultFetcherKind::kAuto:
      break;
  }
  // A resumed auto read continues with the fetcher that produced its position.
  if (start.fetcher == "api") return OpenApi(execution, start);
  if (start.fetcher == "s3" && (start.rows_read > 0 || start.byte_offset > 0 || start.at_end)) {
    return OpenS3(execution, start);
  }
  return OpenAuto(execution, start);
}

std::unique_ptr<ResultReader> ResultFetcherFactory::OpenApi(const athena::QueryExecution& execution,
                                                            const ResultPosition& start) {
  if (!start.fetcher.empty() && start.fetcher != "api" && (start.rows_read > 0 || start.at_end)) {
    throw common::InternalError(fmt::format(
        "cannot resume an {} read of query {} with the api fetcher", start.fetcher, execution.id));
  }
  return std::make_unique<GetQueryResultsReader>(athena_, execution,
                                                 start.fetcher == "api" ? start : ResultPosition{});
}

std::unique_ptr<ResultReader> ResultFetcherFactory::OpenS3(const athena::QueryExecution& execution,
                                                           const ResultPosition& start) {
  if (!s3_client_) throw common::InternalError("the s3 fetcher needs an S3 client");
  S3ResultReaderOptions options;
  options.part_size_bytes = options_.s3_part_size_bytes;
  options.concurrency = options_.s3_concurrency;
  options.max_batch_rows = BatchRows();
  return std::make_unique<S3ResultReader>(*s3_client_, athena_, execution, start, options,
                                          &cancel_);
}

std::unique_ptr<ResultReader> ResultFetcherFactory::OpenAuto(
    const athena::QueryExecution& execution, const ResultPosition& start) {
  std::string reason;
  if (execution.managed_results || execution.output_location.empty()) {
    reason = "the workgroup keeps Athena-managed query results (no S3 OutputLocation)";
  } else if (execution.encryption_option == "CSE_KMS") {
    reason = "its result file is encrypted client-side (CSE_KMS), which only Athena can decrypt";
  } else if (!s3_client_) {
    reason = "no S3 client is configured";
  } else {
    try {
      return OpenS3(execution, start);
    } catch (const common::Error& e) {
      if (e.kind() != common::ErrorKind::kPermission) throw;
      reason = fmt::format("its result file is not readable from S3 ({})", e.what());
    }
  }
  spdlog::info(
      "Result fetcher auto: reading the result of query {} with GetQueryResults (api) because {}",
      execution.id, reason);
  return OpenApi(execution, start);
}

std::vector<athena::Column> ResultFetcherFactory::QueryColumns(
    const std::string& sql, const std::vector<std::string>& parameters) {
  athena::QueryRunnerOptions runner_options;
  runner_options.max_attempts = options_.query_max_attempts;
  runner_options.timeout = std::chrono::minutes(options_.query_timeout_minutes);
  athena::QueryRunner runner(athena_, athena_.service().clock(), cancel_, runner_options);
  athena::StartQueryRequest request;
  request.sql = fmt::format("SELECT * FROM (\n{}\n) LIMIT 0", TrimStatement(sql));
  request.database = options_.database;
  request.catalog = options_.catalog;
  request.workgroup = options_.workgroup;
  request.output_location = options_.staging;
  request.execution_parameters = parameters;
  const athena::QueryExecution execution = runner.Run(request);
  athena::RowBatch rows;
  return athena_.GetQueryResults(execution.id, "", 1, execution.HasHeaderRow(), rows).columns;
}

std::unique_ptr<ResultReader> ResultFetcherFactory::OpenUnload(
    const FetchPlan& plan, const athena::QueryExecution& execution, const ResultPosition& start) {
  if (!s3_client_) throw common::InternalError("the unload fetcher needs an S3 client");
  const std::string inner = UnloadedQuery(plan.sql.empty() ? execution.query : plan.sql);
  std::vector<aws::S3Uri> files = ListUnloadFiles(*s3_client_, execution, plan.unload_prefix);
  UnloadReaderOptions options;
  options.concurrency = options_.s3_concurrency;
  options.max_batch_rows = BatchRows();
  options.temp_root = options_.download_root;
  options.query_execution_id = execution.id;
  ResultPosition position = start;
  if (position.fetcher != "unload") position = {};
  return std::make_unique<UnloadResultReader>(
      *s3_client_, std::move(files), position, options, &cancel_, [&] {
        if (inner.empty()) {
          throw common::InternalError(
              fmt::format("query {} is not an UNLOAD this connector wrote", execution.id));
        }
        return QueryColumns(
            inner, plan.parameters.empty() ? execution.execution_parameters : plan.parameters);
      });
}

void ResultFetcherFactory::Cleanup(const FetchPlan& plan, const athena::QueryExecution& execution) {
  if (plan.fetcher != ResultFetcherKind::kUnload || !s3_client_) return;
  try {
    // The manifest first: a cleanup cut short leaves files that a listing still finds.
    std::vector<aws::S3Uri> files = ListUnloadFiles(*s3_client_, execution, plan.unload_prefix);
    if (!execution.manifest_location.empty()) {
      const aws::S3Uri manifest =
          aws::S3Uri::Parse(execution.manifest_location, "the UNLOAD data manifest location");
      s3_client_->DeleteObject(manifest.bucket, manifest.key);
    }
    if (!plan.unload_prefix.empty()) {
      const aws::S3Uri prefix = aws::S3Uri::Parse(plan.unload_prefix, "the UNLOAD prefix");
      for (auto& object : s3_client_->ListAllObjects(prefix.bucket, prefix.key)) {
        files.push_back(aws::S3Uri{prefix.bucket, std::move(object.key)});
      }
    }
    std::sort(files.begin(), files.end(),
              [](const aws::S3Uri& a, const aws::S3Uri& b) { return a.ToString() < b.ToString(); });
    files.erase(std::unique(files.begin(), files.end(),
                            [](const aws::S3Uri& a, const aws::S3Uri& b) {
                              return a.ToString() == b.ToString();
                            }),
                files.end());
    for (const auto& file : files) s3_client_->DeleteObject(file.bucket, file.key);
    spdlog::info("Removed the {} UNLOAD files of query {} under {}", files.size(), execution.id,
                 plan.unload_prefix);
  } catch (const common::CancelledError&) {
    throw;
  } catch (const common::Error& e) {
    spdlog::warn("Could not remove the UNLOAD files of query {} under {}: {}", execution.id,
                 plan.unload_prefix, e.what());
  }
}

}  // namespace ac::results
