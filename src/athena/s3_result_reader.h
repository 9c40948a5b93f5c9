#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "athena/athena_client.h"
#include "athena/athena_csv.h"
#include "athena/result_reader.h"
#include "aws/s3_client.h"
#include "common/clock.h"

namespace ac::athena {

struct S3ResultReaderOptions {
  int64_t part_size_bytes = int64_t{4} << 20;  ///< bytes per ranged GET
  int concurrency = 8;                         ///< ranged GETs in flight
  size_t max_batch_rows = 8192;                ///< rows per batch handed out (bounds checkpoint spacing)
  int max_body_resumes = 10;                   ///< re-requests of one part whose body broke midway
  std::chrono::milliseconds resume_delay{200}; ///< backoff base between such re-requests
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
/// A range whose body breaks after some bytes is re-requested from where it stopped (the service
/// client retries only requests that delivered nothing). Position: byte offset of the next record
/// and rows read; a resumed reader starts its ranges at that offset with a parser that expects no
/// header. A zero-length file has no rows; `.txt` results (DDL/UTILITY) are read whole with
/// ParseAthenaTextResult.
///
/// The constructor waits for the first part, so an unreadable file (AccessDenied, a missing KMS
/// key) fails there, before any row is handed out.
class S3ResultReader final : public ResultReader {
 public:
  /// `head`: HeadObject of the result file if the caller already has it.
  S3ResultReader(aws::S3Client& s3, AthenaClient& athena, const QueryExecution& execution,
                 ResultPosition start, S3ResultReaderOptions options = {},
                 const common::CancellationToken* cancel = nullptr,
                 std::optional<aws::S3ObjectInfo> head = std::nullopt);
  /// Over a known file and columns (tests, benchmarks): no Athena call.
  S3ResultReader(aws::S3Client& s3, aws::S3Uri file, std::vector<Column> columns, ResultPosition start,
                 S3ResultReaderOptions options = {}, const common::CancellationToken* cancel = nullptr,
                 std::optional<aws::S3ObjectInfo> head = std::nullopt);
  ~S3ResultReader() override;

  const std::vector<Column>& columns() const override { return columns_; }
  bool Next(RowBatch& batch) override;
  ResultPosition position() const override { return position_; }

  /// Size of the result file (from HeadObject).
  int64_t file_size() const { return file_size_; }

 private:
  struct Part {
    int64_t begin = 0;
    int64_t end = 0;  ///< exclusive
    enum class State { kPending, kDownloading, kDone, kFailed } state = State::kPending;
    std::string data;
    std::exception_ptr error;
  };
  struct Ready {
    RowBatch rows;
    int64_t byte_offset = 0;
    int64_t rows_read = 0;
    bool last = false;
    std::exception_ptr error;
  };

  void Start(std::optional<aws::S3ObjectInfo> head);
  void ReadTextResult();
  void WorkerLoop();
  void Download(Part& part, std::string& buffer);
  void ParserLoop();
  /// Queues a parsed batch (waits while the queue is full); false when stopping.
  bool Push(Ready ready);
  RowBatch TakeSpare();

  aws::S3Client& s3_;
  aws::S3Uri file_;
  std::vector<Column> columns_;
  ResultPosition position_;
  S3ResultReaderOptions options_;
  const common::CancellationToken* cancel_;
  common::Clock& clock_;
  int64_t file_size_ = 0;
  bool has_header_ = true;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Part> parts_;
  size_t next_part_ = 0;   ///< next part a worker claims
  size_t parse_part_ = 0;  ///< part the parser is on (parts below it are released)
  std::vector<std::string> free_buffers_;
  std::deque<Ready> ready_;
  std::vector<RowBatch> spare_;
  bool parse_done_ = false;
  std::atomic<bool> stop_{false};  ///< written under mutex_, read by body callbacks without it
  std::vector<std::thread> workers_;
  std::thread parser_;
};

}  // namespace ac::athena
