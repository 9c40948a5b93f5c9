#include "results/s3_result_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "results/athena_csv.h"

namespace ac::results {
namespace {

using athena::Column;
using athena::RowBatch;

/// Parsed batches waiting for the consumer.
constexpr size_t kMaxReadyBatches = 4;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<Column> ResultColumns(athena::AthenaClient& athena,
                                  const athena::QueryExecution& execution) {
  RowBatch scratch;
  return athena.GetQueryResults(execution.id, "", 1, execution.HasHeaderRow(), scratch).columns;
}

aws::S3Uri ResultFile(const athena::QueryExecution& execution) {
  if (execution.output_location.empty()) {
    throw common::ProtocolError(fmt::format(
        "query {} has no result OutputLocation (Athena-managed results); use result_fetcher api",
        execution.id));
  }
  return aws::S3Uri::Parse(execution.output_location, "the result OutputLocation");
}

}  // namespace

S3ResultReader::S3ResultReader(aws::S3Client& s3, athena::AthenaClient& athena,
                               const athena::QueryExecution& execution, ResultPosition start,
                               S3ResultReaderOptions options,
                               const common::CancellationToken* cancel,
                               std::optional<aws::S3ObjectInfo> head)
    : S3ResultReader(s3, ResultFile(execution), ResultColumns(athena, execution), std::move(start),
                     options, cancel, std::move(head)) {}

S3ResultReader::S3ResultReader(aws::S3Client& s3, aws::S3Uri file, std::vector<Column> columns,
                               ResultPosition start, S3ResultReaderOptions options,
                               const common::CancellationToken* cancel,
                               std::optional<aws::S3ObjectInfo> head)
    : s3_(s3),
      file_(std::move(file)),
      columns_(std::move(columns)),
      position_(std::move(start)),
      options_(options),
      cancel_(cancel),
      ready_(kMaxReadyBatches) {
  position_.fetcher = "s3";
  options_.part_size_bytes = std::max<int64_t>(options_.part_size_bytes, 1);
  options_.concurrency = std::max(options_.concurrency, 1);
  options_.max_batch_rows = std::max<size_t>(options_.max_batch_rows, 1);
  try {
    Start(std::move(head));
  } catch (...) {
    StopThreads();
    throw;
  }
}

S3ResultReader::~S3ResultReader() {
  StopThreads();
}

void S3ResultReader::StopThreads() {
  ready_.Close();     // a parser waiting for room gives up
  downloads_.Stop();  // so does one waiting for a part; the workers are joined
  if (parser_.joinable()) parser_.join();
}

void S3ResultReader::Start(std::optional<aws::S3ObjectInfo> head) {
  if (!head) head = s3_.HeadObject(file_.bucket, file_.key);
  file_size_ = head->size;
  CheckSavedPosition(*head);
  position_.etag = head->etag;
  etag_ = head->etag;
  if (EndsWith(file_.key, ".txt")) {
    ReadTextResult();
    return;
  }
  has_header_ = position_.byte_offset == 0 && position_.rows_read == 0;
  const int64_t begin = has_header_ ? 0 : position_.byte_offset;
  if (position_.at_end || begin >= file_size_) {
    // Nothing (left) to read: a zero-length file, or a resumed read that had reached the end.
    ready_.Close();
    return;
  }
  for (int64_t at = begin; at < file_size_; at += options_.part_size_bytes) {
    Part part;
    part.begin = at;
    part.end = std::min(file_size_, at + options_.part_size_bytes);
    parts_.push_back(std::move(part));
  }
  downloads_.Start(parts_.size(), options_.concurrency,
                   static_cast<size_t>(options_.concurrency) + 1,
                   [this](size_t index) { DownloadPart(index); });
  // Fail here, before any row is handed out, when the file cannot be read at all.
  downloads_.Wait(0);
  parser_ = std::thread(&S3ResultReader::ParserLoop, this);
}

void S3ResultReader::CheckSavedPosition(const aws::S3ObjectInfo& head) const {
  // The position comes from a saved state: untrusted. Reading from a wrong place would deliver
  // nothing (or garbage) and call it a success.
  const std::string file = fmt::format("s3://{}/{}", file_.bucket, file_.key);
  if (!position_.etag.empty() && !head.etag.empty() && position_.etag != head.etag) {
    throw common::ProtocolError(fmt::format(
        "the saved position does not match the result file {}: its ETag is {}, the state saved {}",
        file, head.etag, position_.etag));
  }
  if (position_.byte_offset > head.size) {
    throw common::ProtocolError(
        fmt::format("the saved position (byte {}) is past the end of the result file {} ({} bytes)",
                    position_.byte_offset, file, head.size));
  }
  if (position_.at_end && position_.byte_offset != head.size) {
    throw common::ProtocolError(fmt::format(
        "the saved position (at the end, byte {}) does not match the result file {} ({} bytes)",
        position_.byte_offset, file, head.size));
  }
  if (!EndsWith(file_.key, ".txt") && position_.byte_offset == 0 && position_.rows_read > 0 &&
      head.size > 0) {
    throw common::ProtocolError(
        fmt::format("the saved position ({} rows read at byte 0) does not match the result file {}",
                    position_.rows_read, file));
  }
}

void S3ResultReader::ReadTextResult() {
  // DDL/UTILITY results are small: read whole, split into rows, skip the rows already delivered.
  if (!position_.at_end && file_size_ > 0) {
    const std::string text = s3_.GetObject(file_.bucket, file_.key);
    RowBatch all(columns_.size());
    ParseAthenaTextResult(text, columns_.size(), all);
    RowBatch rows(columns_.size());
    for (size_t r = static_cast<size_t>(std::max<int64_t>(position_.rows_read, 0));
         r < all.num_rows(); ++r) {
      for (size_t c = 0; c < columns_.size(); ++c) {
        if (all.is_null(r, c))
          rows.AppendNull();
        else
          rows.AppendCell(all.cell(r, c));
      }
    }
    if (rows.num_rows() > 0) {
      ResultPosition end = position_;
      end.rows_read = static_cast<int64_t>(all.num_rows());
      end.byte_offset = file_size_;
      end.at_end = true;
      ready_.Push(rows, end);
    }
  }
  ready_.Close();
}

std::string S3ResultReader::TakeBuffer() {
  std::lock_guard<std::mutex> lock(buffers_mutex_);
  if (free_buffers_.empty()) return std::string();
  std::string buffer = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  return buffer;
}

void S3ResultReader::ReturnBuffer(std::string buffer) {
  std::lock_guard<std::mutex> lock(buffers_mutex_);
  free_buffers_.push_back(std::move(buffer));
}

void S3ResultReader::DownloadPart(size_t index) {
  Part& part = parts_[index];
  std::string buffer = TakeBuffer();
  buffer.clear();
  buffer.reserve(static_cast<size_t>(part.end - part.begin));
  try {
    s3_.DownloadRange(
        file_.bucket, file_.key, part.begin, part.end - 1,
        [&](std::string_view chunk) {
          if (downloads_.stopped()) return false;  // abandoned: the transport aborts the transfer
          buffer.append(chunk.data(), chunk.size());
          return true;
        },
        cancel_, etag_);
  } catch (...) {
    ReturnBuffer(std::move(buffer));
    throw;
  }
  part.data = std::move(buffer);
}

void S3ResultReader::ParserLoop() {
  AthenaCsvOptions csv;
  csv.num_columns = columns_.size();
  csv.has_header = has_header_;
  csv.start_offset = has_header_ ? 0 : position_.byte_offset;
  csv.start_row = has_header_ ? 0 : position_.rows_read;
  try {
    AthenaCsvParser parser(csv);
    RowBatch batch(columns_.size());
    ResultPosition at = position_;
    const size_t max_rows = options_.max_batch_rows;
    for (size_t index = 0; index < parts_.size(); ++index) {
      if (!downloads_.Wait(index)) return;  // the reader is going away
      std::string data = std::move(parts_[index].data);
      std::string_view rest = data;
      while (!rest.empty()) {
        const size_t used = parser.FeedRows(rest, batch, max_rows - batch.num_rows());
        rest.remove_prefix(used);
        if (batch.num_rows() >= max_rows) {
          at.byte_offset = parser.consumed_record_bytes();
          at.rows_read = parser.rows();
          if (!ready_.Push(batch, at)) return;
        }
      }
      ReturnBuffer(std::move(data));
      downloads_.Release(index);
    }
    parser.Finish(batch);
    at.byte_offset = file_size_;
    at.rows_read = parser.rows();
    at.at_end = true;
    if (!ready_.Push(batch, at)) return;
    ready_.Close();
  } catch (...) {
    ready_.Fail(std::current_exception());
  }
}

bool S3ResultReader::Next(RowBatch& batch) {
  return ready_.Next(batch, position_);
}

}  // namespace ac::results
