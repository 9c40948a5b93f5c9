#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ac::results {

/// How result rows are fetched (api is GetQueryResults pages; s3 the result CSV; unload Parquet).
enum class ResultFetcherKind { kAuto, kApi, kS3, kUnload };
/// "auto" | "api" | "s3" | "unload" (as saved in state).
std::string_view ResultFetcherName(ResultFetcherKind kind);
/// Parses "auto" | "api" | "s3" | "unload" (as saved in state); "" gives kApi.
ResultFetcherKind ParseResultFetcherName(std::string_view name);

/// What the factory needs to know of the connector's configuration.
/// (connector::Config::FetcherOptions() fills it from the configuration keys of the same names.)
struct ResultFetcherOptions {
  ResultFetcherKind fetcher = ResultFetcherKind::kAuto;  ///< result_fetcher
  std::string staging;         ///< `s3://bucket/prefix/` of query results; unload folders go below
  bool s3_path_style = false;  ///< address buckets path-style (a custom S3 endpoint)
  int64_t s3_part_size_bytes = int64_t{4} << 20;
  int s3_concurrency = 8;
  int64_t checkpoint_interval_rows = 100'000;  ///< caps the rows per batch
  int query_max_attempts = 3;      ///< submissions of a query Athena failed as retryable
  int query_timeout_minutes = 60;  ///< longest wait for one query (QueryRunnerOptions::timeout)
  std::string database;  ///< context of the queries the factory runs itself (UNLOAD columns)
  std::string catalog = "AwsDataCatalog";
  std::string workgroup;
  /// Where the unload fetcher's download folders go (not a configuration key: the `debug`
  /// command's working dir; "" = the system temp dir).
  std::filesystem::path download_root;
};

}  // namespace ac::results
