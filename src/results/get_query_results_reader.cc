#include "results/get_query_results_reader.h"

#include <fmt/format.h>

#include "common/error.h"

namespace ac::results {

GetQueryResultsReader::GetQueryResultsReader(athena::AthenaClient& client,
                                             const athena::QueryExecution& execution,
                                             ResultPosition start, int page_size)
    : client_(client),
      query_execution_id_(execution.id),
      page_size_(page_size),
      position_(std::move(start)),
      tokens_(fmt::format("Athena GetQueryResults of query {}", execution.id)) {
  position_.fetcher = "api";
  const bool first_page =
      position_.next_token.empty() && position_.rows_read == 0 && !position_.at_end;
  // Columns come with every page; the first fetched page tells them. Even a finished result is
  // asked once (for its columns) — a result that is gone fails here, before anything is emitted.
  athena::RowBatch first;
  const std::string token = position_.at_end ? std::string() : position_.next_token;
  const bool skip_header = first_page && execution.HasHeaderRow();
  athena::ResultsPage page =
      client_.GetQueryResults(query_execution_id_, token, position_.at_end ? 1 : page_size_,
                              position_.at_end ? execution.HasHeaderRow() : skip_header, first);
  columns_ = std::move(page.columns);
  if (position_.at_end) {
    pages_.Close();
    return;
  }
  tokens_.Next(token);
  tokens_.Next(page.next_token);
  const bool last = page.next_token.empty();
  pages_.Push(Page{std::move(first), page.next_token});
  if (last) {
    pages_.Close();
  } else {
    fetcher_ = std::thread(&GetQueryResultsReader::FetchLoop, this, page.next_token);
  }
}

GetQueryResultsReader::~GetQueryResultsReader() {
  pages_.Close();  // a fetcher waiting for room gives up
  if (fetcher_.joinable()) fetcher_.join();
}

void GetQueryResultsReader::FetchLoop(std::string token) {
  try {
    while (true) {
      Page page = pages_.TakeSpare();
      page.rows.Clear();
      const athena::ResultsPage result = client_.GetQueryResults(
          query_execution_id_, token, page_size_, /*skip_header_row=*/false, page.rows);
      if (result.columns.size() != columns_.size()) {
        throw common::ProtocolError(
            fmt::format("Athena GetQueryResults for {} changed its column count from {} to {}",
                        query_execution_id_, columns_.size(), result.columns.size()));
      }
      tokens_.Next(result.next_token);
      page.next_token = result.next_token;
      token = result.next_token;
      if (!pages_.Push(std::move(page))) return;  // the reader is going away
      if (token.empty()) {
        pages_.Close();
        return;
      }
    }
  } catch (...) {
    pages_.Fail(std::current_exception());
  }
}

bool GetQueryResultsReader::Next(athena::RowBatch& batch) {
  std::optional<Page> page = pages_.Pop();  // rethrows a failed fetch
  if (!page) return false;
  std::swap(batch, page->rows);
  position_.rows_read += static_cast<int64_t>(batch.num_rows());
  position_.next_token = page->next_token;
  position_.at_end = page->next_token.empty();
  pages_.Recycle(std::move(*page));
  return true;
}

}  // namespace ac::results
