#include "results/fetcher_options.h"

namespace ac::results {

std::string_view ResultFetcherName(ResultFetcherKind kind) {
  switch (kind) {
    case ResultFetcherKind::kAuto:
      return "auto";
    case ResultFetcherKind::kApi:
      return "api";
    case ResultFetcherKind::kS3:
      return "s3";
    case ResultFetcherKind::kUnload:
      return "unload";
  }
  return "auto";
}

ResultFetcherKind ParseResultFetcherName(std::string_view name) {
  if (name == "auto") return ResultFetcherKind::kAuto;
  if (name == "s3") return ResultFetcherKind::kS3;
  if (name == "unload") return ResultFetcherKind::kUnload;
  return ResultFetcherKind::kApi;
}

}  // namespace ac::results
