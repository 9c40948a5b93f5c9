#include "athena/s3_result_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace ac::athena {
namespace {

/// Parsed batches waiting for the consumer.
constexpr size_t kMaxReadyBatches = 4;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::vector<Column> ResultColumns(AthenaClient& athena, const QueryExecution& execution) {
  RowBatch scratch;
  return athena.GetQueryResults(execution.id, "", 1, execution.HasHeaderRow(), scratch).columns;
}

aws::S3Uri ResultFile(const QueryExecution& execution) {
  if (execution.output_location.empty()) {
    throw common::ProtocolError(fmt::format(
        "query {} has no result OutputLocation (Athena-managed results); use result_fetcher api", execution.id));
  }
  return aws::S3Uri::Parse(execution.output_location, "the result OutputLocation");
}

}  // namespace

S3ResultReader::S3ResultReader(aws::S3Client& s3, AthenaClient& athena, const QueryExecution& execution,
                               ResultPosition start, S3ResultReaderOptions options,
                               const common::CancellationToken* cancel, std::optional<aws::S3ObjectInfo> head)
    : S3ResultReader(s3, ResultFile(execution), ResultColumns(athena, execution), std::move(start), options, cancel,
                     std::move(head)) {}

S3ResultReader::S3ResultReader(aws::S3Client& s3, aws::S3Uri file, std::vector<Column> columns,
                               ResultPosition start, S3ResultReaderOptions options,
                               const common::CancellationToken* cancel, std::optional<aws::S3ObjectInfo> head)
    : s3_(s3),
      file_(std::move(file)),
      columns_(std::move(columns)),
      position_(std::move(start)),
      options_(options),
      cancel_(cancel),
      clock_(s3.service().clock()) {
  position_.fetcher = "s3";
  options_.part_size_bytes = std::max<int64_t>(options_.part_size_bytes, 1);
  options_.concurrency = std::max(options_.concurrency, 1);
  options_.max_batch_rows = std::max<size_t>(options_.max_batch_rows, 1);
  try {
    Start(std::move(head));
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& worker : workers_) worker.join();
    if (parser_.joinable()) parser_.join();
    throw;
  }
}

S3ResultReader::~S3ResultReader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  if (parser_.joinable()) parser_.join();
}

void S3ResultReader::Start(std::optional<aws::S3ObjectInfo> head) {
  if (!head) head = s3_.HeadObject(file_.bucket, file_.key);
  file_size_ = head->size;
  if (EndsWith(file_.key, ".txt")) {
    ReadTextResult();
    return;
  }
  has_header_ = position_.byte_offset == 0 && position_.rows_read == 0;
  const int64_t begin = has_header_ ? 0 : position_.byte_offset;
  if (position_.at_end || begin >= file_size_) {
    // Nothing (left) to read: a zero-length file, or a resumed read that had reached the end.
    parse_done_ = true;
    return;
  }
  for (int64_t at = begin; at < file_size_; at += options_.part_size_bytes) {
    Part part;
    part.begin = at;
    part.end = std::min(file_size_, at + options_.part_size_bytes);
    parts_.push_back(std::move(part));
  }
  const size_t workers = std::min(parts_.size(), static_cast<size_t>(options_.concurrency));
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back(&S3ResultReader::WorkerLoop, this);
  // Fail here, before any row is handed out, when the file cannot be read at all.
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return parts_[0].state == Part::State::kDone || parts_[0].state == Part::State::kFailed; });
    if (parts_[0].state == Part::State::kFailed) std::rethrow_exception(parts_[0].error);
  }
  parser_ = std::thread(&S3ResultReader::ParserLoop, this);
}

void S3ResultReader::ReadTextResult() {
  // DDL/UTILITY results are small: read whole, split into rows, skip the rows already delivered.
  Ready ready;
  if (!position_.at_end && file_size_ > 0) {
    const std::string text = s3_.GetObject(file_.bucket, file_.key);
    RowBatch all(columns_.size());
    ParseAthenaTextResult(text, columns_.size(), all);
    ready.rows.Reset(columns_.size());
    for (size_t r = static_cast<size_t>(std::max<int64_t>(position_.rows_read, 0)); r < all.num_rows(); ++r) {
      for (size_t c = 0; c < columns_.size(); ++c) {
        if (all.is_null(r, c)) ready.rows.AppendNull();
        else ready.rows.AppendCell(all.cell(r, c));
      }
    }
    ready.rows_read = static_cast<int64_t>(all.num_rows());
    ready.byte_offset = file_size_;
    ready.last = true;
  }
  if (ready.rows.num_rows() > 0) ready_.push_back(std::move(ready));
  parse_done_ = true;
}

void S3ResultReader::WorkerLoop() {
  const size_t window = static_cast<size_t>(options_.concurrency) + 1;
  while (true) {
    size_t index = 0;
    std::string buffer;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || next_part_ >= parts_.size() || next_part_ < parse_part_ + window; });
      if (stop_ || next_part_ >= parts_.size()) return;
      index = next_part_++;
      parts_[index].state = Part::State::kDownloading;
      if (!free_buffers_.empty()) {
        buffer = std::move(free_buffers_.back());
        free_buffers_.pop_back();
      }
    }
    Part& part = parts_[index];  // parts_ is never resized once workers run
    std::exception_ptr error;
    try {
      Download(part, buffer);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) {
        part.state = Part::State::kFailed;
        part.error = error;
        free_buffers_.push_back(std::move(buffer));
      } else {
        part.state = Part::State::kDone;
        part.data = std::move(buffer);
      }
    }
    cv_.notify_all();
    if (error) return;
  }
}

void S3ResultReader::Download(Part& part, std::string& buffer) {
  const size_t size = static_cast<size_t>(part.end - part.begin);
  buffer.clear();
  buffer.reserve(size);
  int resumes = 0;
  while (buffer.size() < size) {
    const size_t before = buffer.size();
    try {
      s3_.GetObjectRange(file_.bucket, file_.key, part.begin + static_cast<int64_t>(before), part.end - 1,
                         [&](std::string_view chunk) {
                           if (stop_) return false;  // abandoned: the transport aborts the transfer
                           const size_t room = size - buffer.size();
                           buffer.append(chunk.data(), std::min(room, chunk.size()));
                           return true;
                         });
      if (buffer.size() < size) {
        throw common::TransientError(fmt::format("S3 GetObject of {} returned {} of the {} bytes requested",
                                                 file_.ToString(), buffer.size() - before, size - before));
      }
    } catch (const common::TransientError&) {
      // The service client retried what delivered nothing; a body that broke midway (or came back
      // short) is asked for again from the first missing byte.
      if (buffer.size() == before || ++resumes > options_.max_body_resumes) throw;
      if (clock_.SleepFor(options_.resume_delay * resumes, cancel_)) {
        throw common::CancelledError("reading the result file was cancelled");
      }
    }
  }
}

RowBatch S3ResultReader::TakeSpare() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spare_.empty()) return RowBatch(columns_.size());
  RowBatch batch = std::move(spare_.back());
  spare_.pop_back();
  return batch;
}

bool S3ResultReader::Push(Ready ready) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return stop_ || ready_.size() < kMaxReadyBatches; });
    if (stop_) return false;
    ready_.push_back(std::move(ready));
  }
  cv_.notify_all();
  return true;
}

void S3ResultReader::ParserLoop() {
  AthenaCsvOptions csv;
  csv.num_columns = columns_.size();
  csv.has_header = has_header_;
  csv.start_offset = has_header_ ? 0 : position_.byte_offset;
  csv.start_row = has_header_ ? 0 : position_.rows_read;
  try {
    AthenaCsvParser parser(csv);
    RowBatch batch = TakeSpare();
    batch.Reset(columns_.size());
    const size_t max_rows = options_.max_batch_rows;
    for (size_t index = 0; index < parts_.size(); ++index) {
      std::string data;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] {
          return stop_ || parts_[index].state == Part::State::kDone || parts_[index].state == Part::State::kFailed;
        });
        if (stop_) return;
        if (parts_[index].state == Part::State::kFailed) std::rethrow_exception(parts_[index].error);
        data = std::move(parts_[index].data);
      }
      std::string_view rest = data;
      while (!rest.empty()) {
        const size_t used = parser.FeedRows(rest, batch, max_rows - batch.num_rows());
        rest.remove_prefix(used);
        if (batch.num_rows() >= max_rows) {
          Ready ready;
          ready.byte_offset = parser.consumed_record_bytes();
          ready.rows_read = parser.rows();
          std::swap(ready.rows, batch);
          if (!Push(std::move(ready))) return;
          batch = TakeSpare();
          batch.Reset(columns_.size());
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        parse_part_ = index + 1;
        free_buffers_.push_back(std::move(data));
      }
      cv_.notify_all();
    }
    parser.Finish(batch);
    Ready last;
    last.byte_offset = file_size_;
    last.rows_read = parser.rows();
    last.last = true;
    std::swap(last.rows, batch);
    if (!Push(std::move(last))) return;
  } catch (...) {
    Ready failed;
    failed.error = std::current_exception();
    if (!Push(std::move(failed))) return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    parse_done_ = true;
  }
  cv_.notify_all();
}

bool S3ResultReader::Next(RowBatch& batch) {
  while (true) {
    Ready ready;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !ready_.empty() || parse_done_; });
      if (ready_.empty()) {
        position_.at_end = true;
        return false;
      }
      ready = std::move(ready_.front());
      ready_.pop_front();
    }
    cv_.notify_all();
    if (ready.error) std::rethrow_exception(ready.error);
    position_.byte_offset = ready.byte_offset;
    position_.rows_read = ready.rows_read;
    position_.at_end = ready.last;
    if (ready.rows.num_rows() == 0) continue;  // an empty last batch only carries the end position
    std::swap(batch, ready.rows);
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.push_back(std::move(ready.rows));
    return true;
  }
}

}  // namespace ac::athena
