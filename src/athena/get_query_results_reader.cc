#include "athena/get_query_results_reader.h"

#include <fmt/format.h>

#include "common/error.h"

namespace ac::athena {
namespace {
constexpr size_t kPrefetchPages = 2;
}

GetQueryResultsReader::GetQueryResultsReader(AthenaClient& client, const QueryExecution& execution,
                                             ResultPosition start, int page_size)
    : client_(client), query_execution_id_(execution.id), page_size_(page_size), position_(std::move(start)) {
  position_.fetcher = "api";
  const bool first_page = position_.next_token.empty() && position_.rows_read == 0 && !position_.at_end;
  // Columns come with every page; the first fetched page tells them. Even a finished result is
  // asked once (for its columns) — a result that is gone fails here, before anything is emitted.
  RowBatch first;
  const std::string token = position_.at_end ? std::string() : position_.next_token;
  const bool skip_header = first_page && execution.HasHeaderRow();
  ResultsPage page = client_.GetQueryResults(query_execution_id_, token, position_.at_end ? 1 : page_size_,
                                             position_.at_end ? execution.HasHeaderRow() : skip_header, first);
  columns_ = std::move(page.columns);
  if (position_.at_end) {
    fetch_done_ = true;
    return;
  }
  Page ready;
  ready.rows = std::move(first);
  ready.next_token = page.next_token;
  ready_.push_back(std::move(ready));
  if (page.next_token.empty()) {
    fetch_done_ = true;
  } else {
    fetcher_ = std::thread(&GetQueryResultsReader::FetchLoop, this, page.next_token, false);
  }
}

GetQueryResultsReader::~GetQueryResultsReader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (fetcher_.joinable()) fetcher_.join();
}

void GetQueryResultsReader::FetchLoop(std::string token, bool skip_header) {
  while (true) {
    Page page;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || ready_.size() < kPrefetchPages; });
      if (stop_) return;
      if (!spare_.empty()) {
        page.rows = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    page.rows.Clear();
    try {
      ResultsPage result = client_.GetQueryResults(query_execution_id_, token, page_size_, skip_header, page.rows);
      if (result.columns.size() != columns_.size()) {
        throw common::ProtocolError(fmt::format("Athena GetQueryResults for {} changed its column count from {} to {}",
                                                query_execution_id_, columns_.size(), result.columns.size()));
      }
      page.next_token = result.next_token;
    } catch (...) {
      page.error = std::current_exception();
    }
    const bool last = page.error != nullptr || page.next_token.empty();
    token = page.next_token;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.push_back(std::move(page));
      if (last) fetch_done_ = true;
    }
    cv_.notify_all();
    if (last) return;
  }
}

bool GetQueryResultsReader::Next(RowBatch& batch) {
  Page page;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !ready_.empty() || fetch_done_; });
    if (ready_.empty()) return false;
    page = std::move(ready_.front());
    ready_.pop_front();
  }
  cv_.notify_all();
  if (page.error) std::rethrow_exception(page.error);
  std::swap(batch, page.rows);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.push_back(std::move(page.rows));
  }
  position_.rows_read += static_cast<int64_t>(batch.num_rows());
  position_.next_token = page.next_token;
  position_.at_end = page.next_token.empty();
  return true;
}

}  // namespace ac::athena
