#include "connector/result_fetcher.h"

#include <spdlog/spdlog.h>

#include "athena/get_query_results_reader.h"

namespace ac::connector {

ResultFetcherKind ParseResultFetcherName(std::string_view name) {
  if (name == "auto") return ResultFetcherKind::kAuto;
  if (name == "s3") return ResultFetcherKind::kS3;
  if (name == "unload") return ResultFetcherKind::kUnload;
  return ResultFetcherKind::kApi;
}

ResultFetcherFactory::ResultFetcherFactory(const Config& config, athena::AthenaClient& athena,
                                           std::shared_ptr<aws::ServiceClient> s3,
                                           const common::CancellationToken& cancel)
    : config_(config), athena_(athena), s3_(std::move(s3)), cancel_(cancel) {}

ResultFetcherFactory::~ResultFetcherFactory() = default;

FetchPlan ResultFetcherFactory::Plan(const std::string& sql, const std::string& /*token*/) const {
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kApi;
  plan.sql = sql;
  return plan;
}

std::unique_ptr<athena::ResultReader> ResultFetcherFactory::Open(const FetchPlan& /*plan*/,
                                                                 const athena::QueryExecution& execution,
                                                                 const athena::ResultPosition& start) {
  return std::make_unique<athena::GetQueryResultsReader>(athena_, execution, start);
}

void ResultFetcherFactory::Cleanup(const FetchPlan& /*plan*/, const athena::QueryExecution& /*execution*/) {}

}  // namespace ac::connector
