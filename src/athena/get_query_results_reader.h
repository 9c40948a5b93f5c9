#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "athena/athena_client.h"
#include "athena/result_reader.h"

namespace ac::athena {

/// The `api` fetcher: pages through GetQueryResults (MaxResults 1000). A background thread fetches
/// the next page while the consumer decodes the current one. The column-name row is dropped from
/// the first page of a SELECT only — decided by the statement type, never by comparing values.
/// Resumes from a saved ResultPosition (NextToken of the next page).
class GetQueryResultsReader final : public ResultReader {
 public:
  static constexpr int kMaxResultsPerPage = 1000;

  GetQueryResultsReader(AthenaClient& client, const QueryExecution& execution, ResultPosition start = {},
                        int page_size = kMaxResultsPerPage);
  ~GetQueryResultsReader() override;

  const std::vector<Column>& columns() const override { return columns_; }
  bool Next(RowBatch& batch) override;
  ResultPosition position() const override { return position_; }

 private:
  struct Page {
    RowBatch rows;
    std::string next_token;
    std::exception_ptr error;
  };
  void FetchLoop(std::string token, bool skip_header);

  AthenaClient& client_;
  std::string query_execution_id_;
  int page_size_;
  std::vector<Column> columns_;
  ResultPosition position_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Page> ready_;  ///< fetched pages not yet handed out (at most kPrefetchPages)
  std::vector<RowBatch> spare_;  ///< batches returned by the consumer, reused by the fetcher
  bool stop_ = false;
  bool fetch_done_ = false;
  std::thread fetcher_;
};

}  // namespace ac::athena
