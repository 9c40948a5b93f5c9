#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "athena/athena_client.h"
#include "aws/s3_client.h"
#include "common/clock.h"
#include "results/batch_queue.h"
#include "results/ordered_downloads.h"
#include "results/result_reader.h"

namespace ac::results {

struct S3ResultReaderOptions {
  int64_t part_size_bytes = int64_t{4} << 20;  ///< bytes per ranged GET
  int concurrency = 8;                         ///< ranged GETs in flight
  size_t max_batch_rows = 8192;  ///< rows per batch handed out (bounds checkpoint spacing)
};

/// The `s3` fetcher: reads the query's result file (`OutputLocation`, athena-wire.md section 4)
/// straight from S3.
///
/// Columns come from GetQueryResults' ColumnInfo (one call, MaxResults 1); HeadObject gives the
/// size. The file is cut into byte ranges of `part_size_bytes`, downloaded by `concurrency` worker
/// threads (each over its own connection), and fed IN ORDER to one AthenaCsvParser on a parser
/// thread, which hands batches of at most `max_batch_rows` rows to the consumer through a short
/// queue. So downloading, parsing and the consumer (decoding, the sink) overlap, and memory stays
/// about (concurrency + 1) x part size plus a few batches, whatever the result size: a worker
/// starts a part only when it is within that window of the part being parsed.
///
/// A range whose body breaks after some bytes is re-requested from where it stopped
/// (S3Client::DownloadRange: each resumed request is one more attempt under the S3 client's
/// RetryPolicy). Every ranged GET sends `If-Match` with HeadObject's ETag (checked against the
/// saved one on a resume), so a file replaced while it is read fails the read (ProtocolError)
/// instead of mixing two versions' rows. Position: byte offset of the next record and rows read; a
/// resumed reader starts its ranges at that offset with a parser that expects no header. A
/// zero-length file has no rows;
/// `.txt` results (DDL/UTILITY) are read whole with ParseAthenaTextResult.
///
/// The constructor waits for the first part, so an unreadable file (AccessDenied, a missing KMS
/// key) fails there, before any row is handed out.
class S3ResultReader final : public ResultReader {
 public:
  /// `head`: HeadObject of the result file if the caller already has it.
  S3ResultReader(aws::S3Client& s3, athena::AthenaClient& athena,
                 const athena::QueryExecution& execution, ResultPosition start,
                 S3ResultReaderOptions options = {},
                 const common::CancellationToken* cancel = nullptr,
                 std::optional<aws::S3ObjectInfo> head = std::nullopt);
  /// Over a known file and columns (tests, benchmarks): no Athena call.
  S3ResultReader(aws::S3Client& s3, aws::S3Uri file, std::vector<athena::Column> columns,
                 ResultPosition start, S3ResultReaderOptions options = {},
                 const common::CancellationToken* cancel = nullptr,
                 std::optional<aws::S3ObjectInfo> head = std::nullopt);
  ~S3ResultReader() override;

  const std::vector<athena::Column>& columns() const override { return columns_; }
  bool Next(athena::RowBatch& batch) override;
  ResultPosition position() const override { return position_; }

  /// Size of the result file (from HeadObject).
  int64_t file_size() const { return file_size_; }

 private:
  /// One byte range of the file; `data` is filled by the worker that downloads it.
  struct Part {
    int64_t begin = 0;
    int64_t end = 0;  ///< exclusive
    std::string data;
  };

  void Start(std::optional<aws::S3ObjectInfo> head);
  /// Throws common::ProtocolError when the saved start position cannot be a place in this file
  /// (past its end, or another ETag than the one saved).
  void CheckSavedPosition(const aws::S3ObjectInfo& head) const;
  void ReadTextResult();
  void DownloadPart(size_t index);
  void ParserLoop();
  void StopThreads();
  std::string TakeBuffer();
  void ReturnBuffer(std::string buffer);

  aws::S3Client& s3_;
  aws::S3Uri file_;
  std::vector<athena::Column> columns_;
  ResultPosition position_;
  S3ResultReaderOptions options_;
  const common::CancellationToken* cancel_;
  int64_t file_size_ = 0;
  std::string etag_;  ///< HeadObject's ETag: every ranged GET sends If-Match with it
  bool has_header_ = true;

  std::vector<Part> parts_;  ///< never resized once the downloads run
  std::mutex buffers_mutex_;
  std::vector<std::string> free_buffers_;  ///< part buffers the parser is done with, for reuse
  BatchQueue ready_;
  OrderedDownloads downloads_;
  std::thread parser_;
};

}  // namespace ac::results
