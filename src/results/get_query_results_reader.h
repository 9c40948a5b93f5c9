#pragma once

#include <string>
#include <thread>
#include <vector>

#include "athena/athena_client.h"
#include "common/bounded_queue.h"
#include "common/page_tokens.h"
#include "results/result_reader.h"

namespace ac::results {

/// The `api` fetcher: pages through GetQueryResults (MaxResults 1000). A background thread fetches
/// the next page while the consumer decodes the current one. The column-name row is dropped from
/// the first page of a SELECT only — decided by the statement type, never by comparing values.
/// Resumes from a saved ResultPosition (NextToken of the next page).
class GetQueryResultsReader final : public ResultReader {
 public:
  static constexpr int kMaxResultsPerPage = 1000;

  GetQueryResultsReader(athena::AthenaClient& client, const athena::QueryExecution& execution,
                        ResultPosition start = {}, int page_size = kMaxResultsPerPage);
  ~GetQueryResultsReader() override;

  const std::vector<athena::Column>& columns() const override { return columns_; }
  bool Next(athena::RowBatch& batch) override;
  ResultPosition position() const override { return position_; }

 private:
  /// Pages fetched ahead of the consumer: one waits in the queue while the fetcher holds the next.
  static constexpr size_t kPrefetchPages = 2;

  struct Page {
    athena::RowBatch rows;
    std::string next_token;
  };
  void FetchLoop(std::string token);

  athena::AthenaClient& client_;
  std::string query_execution_id_;
  int page_size_;
  std::vector<athena::Column> columns_;
  ResultPosition position_;
  /// Every NextToken of this read (the start's included): a token handed out twice is a loop.
  /// Used by the constructor, then by the fetcher thread alone.
  common::PageTokens tokens_;

  /// Fetched pages not yet handed out; its spares are the consumer's emptied batches.
  common::BoundedQueue<Page> pages_{kPrefetchPages - 1};
  std::thread fetcher_;
};

}  // namespace ac::results
