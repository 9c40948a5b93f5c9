#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "athena/row_batch.h"
#include "athena/types.h"

namespace ac::results {

/// Where a reader stands in a query's result, so a later sync can resume reading the same result.
/// Which fields matter depends on the fetcher.
struct ResultPosition {
  std::string fetcher;      ///< "api", "s3", "unload"
  int64_t rows_read = 0;    ///< data rows handed out so far
  std::string next_token;   ///< api: NextToken of the next page ("" = first page or end)
  int64_t byte_offset = 0;  ///< s3: offset of the first unread record in the result CSV
  std::string etag;         ///< s3: ETag of the result file read (a resume checks it)
  std::vector<std::string> files_done;  ///< unload: Parquet files fully read
  int64_t file_rows_done = 0;  ///< unload: rows already read from the next file not in files_done
  bool at_end = false;         ///< every row has been handed out
};

/// Streams the rows of one finished query, whatever the fetcher. Not thread-safe; one consumer.
class ResultReader {
 public:
  virtual ~ResultReader() = default;
  /// Result columns (names and types), known before the first Next().
  virtual const std::vector<athena::Column>& columns() const = 0;
  /// Fills `batch` (Reset to the column count) with the next rows; returns false at the end.
  virtual bool Next(athena::RowBatch& batch) = 0;
  /// Position after the rows returned so far.
  virtual ResultPosition position() const = 0;
};

}  // namespace ac::results
