#include "connector/unload_result_reader.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "aws/aws_error.h"
#include "common/error.h"
#include "common/sql_quote.h"

namespace ac::connector {
namespace {

constexpr size_t kMaxReadyBatches = 4;

std::string LastSegment(const std::string& key) {
  const size_t slash = key.rfind('/');
  return slash == std::string::npos ? key : key.substr(slash + 1);
}

/// Closes a FILE* on scope exit.
struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

}  // namespace

std::vector<aws::S3Uri> ListUnloadFiles(aws::S3Client& s3, const athena::QueryExecution& execution,
                                        const std::string& unload_prefix) {
  std::vector<aws::S3Uri> files;
  bool listed = false;
  if (!execution.manifest_location.empty()) {
    const aws::S3Uri manifest = aws::S3Uri::Parse(execution.manifest_location, "the UNLOAD data manifest location");
    try {
      const std::string text = s3.GetObject(manifest.bucket, manifest.key);
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) files.push_back(aws::S3Uri::Parse(line, "an UNLOAD data manifest entry"));
        pos = end + 1;
      }
      listed = true;
    } catch (const aws::AwsError& e) {
      if (e.kind() != common::ErrorKind::kNotFound) throw;
    }
  }
  if (!listed) {
    // No manifest: the files are what is under the prefix.
    const aws::S3Uri prefix = aws::S3Uri::Parse(unload_prefix, "the UNLOAD prefix");
    for (auto& object : s3.ListAllObjects(prefix.bucket, prefix.key)) {
      if (object.key.empty() || object.key.back() == '/') continue;
      files.push_back(aws::S3Uri{prefix.bucket, std::move(object.key)});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const aws::S3Uri& a, const aws::S3Uri& b) { return a.ToString() < b.ToString(); });
  return files;
}

UnloadResultReader::ParquetScan::~ParquetScan() {
  if (has_result) duckdb_destroy_result(&result);
  if (statement != nullptr) duckdb_destroy_prepare(&statement);
}

UnloadResultReader::UnloadResultReader(aws::S3Client& s3, std::vector<aws::S3Uri> files,
                                       athena::ResultPosition start, UnloadReaderOptions options,
                                       const common::CancellationToken* cancel,
                                       const std::function<std::vector<athena::Column>()>& columns_without_files)
    : s3_(s3),
      position_(std::move(start)),
      options_(options),
      cancel_(cancel),
      clock_(s3.service().clock()) {
  position_.fetcher = "unload";
  options_.concurrency = std::max(options_.concurrency, 1);
  options_.max_batch_rows = std::max<size_t>(options_.max_batch_rows, 1);
  const std::set<std::string> done(position_.files_done.begin(), position_.files_done.end());
  if (!position_.at_end) {
    for (auto& uri : files) {
      File file;
      file.name = LastSegment(uri.key);
      if (done.count(file.name) != 0) continue;
      file.uri = std::move(uri);
      files_.push_back(std::move(file));
    }
  }
  if (files_.empty()) {
    columns_ = columns_without_files();
    read_done_ = true;
    return;
  }
  try {
    std::filesystem::path root = options_.temp_root.empty() ? std::filesystem::temp_directory_path() : options_.temp_root;
    std::filesystem::create_directories(root);
    std::string pattern = (root / "athena-connector-unload-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw common::InternalError(fmt::format("cannot create a temporary folder under {}", root.string()));
    }
    temp_dir_ = pattern;
    for (size_t i = 0; i < files_.size(); ++i) files_[i].local = temp_dir_ / fmt::format("{:06}.parquet", i);

    if (duckdb_open(nullptr, &database_) != DuckDBSuccess || duckdb_connect(database_, &connection_) != DuckDBSuccess) {
      throw common::InternalError("cannot open an in-memory DuckDB database to read the UNLOAD Parquet files");
    }
    const size_t workers = std::min(files_.size(), static_cast<size_t>(options_.concurrency));
    for (size_t i = 0; i < workers; ++i) workers_.emplace_back(&UnloadResultReader::WorkerLoop, this);
    // The first file's schema gives the columns (and an unreadable result fails here).
    WaitForFile(0);
    std::unique_ptr<ParquetScan> first = OpenScan(files_[0]);
    converter_ = std::make_unique<ParquetCellConverter>(first->result);
    columns_ = converter_->columns();
    reader_ = std::thread(&UnloadResultReader::ReaderLoop, this, std::move(first));
  } catch (...) {
    StopThreads();
    throw;
  }
}

UnloadResultReader::~UnloadResultReader() { StopThreads(); }

void UnloadResultReader::StopThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  if (reader_.joinable()) reader_.join();
  converter_.reset();
  if (connection_ != nullptr) duckdb_disconnect(&connection_);
  if (database_ != nullptr) duckdb_close(&database_);
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir_, ignored);
    temp_dir_.clear();
  }
}

void UnloadResultReader::WorkerLoop() {
  const size_t window = static_cast<size_t>(options_.concurrency) + 1;
  while (true) {
    size_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || next_file_ >= files_.size() || next_file_ < read_file_ + window; });
      if (stop_ || next_file_ >= files_.size()) return;
      index = next_file_++;
      files_[index].state = File::State::kDownloading;
    }
    File& file = files_[index];
    std::exception_ptr error;
    try {
      Download(file);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      file.state = error ? File::State::kFailed : File::State::kDone;
      file.error = error;
    }
    cv_.notify_all();
    if (error) return;
  }
}

void UnloadResultReader::Download(File& file) {
  std::unique_ptr<std::FILE, FileCloser> out(std::fopen(file.local.c_str(), "wb"));
  if (!out) throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
  int64_t written = 0;
  int resumes = 0;
  bool complete = false;
  while (!complete) {
    const int64_t before = written;
    try {
      s3_.GetObjectRange(file.uri.bucket, file.uri.key, written, -1, [&](std::string_view chunk) {
        if (stop_) return false;
        if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) {
          throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
        }
        written += static_cast<int64_t>(chunk.size());
        return true;
      });
      complete = true;
    } catch (const common::TransientError&) {
      if (written == before || ++resumes > options_.max_body_resumes) throw;
      if (clock_.SleepFor(options_.resume_delay * resumes, cancel_)) {
        throw common::CancelledError("downloading the UNLOAD files was cancelled");
      }
    } catch (const aws::AwsError& e) {
      // A resumed request at exactly the end of the object: nothing was left to read.
      if (e.http_status() != 416 || written == 0) throw;
      complete = true;
    }
  }
  if (std::fflush(out.get()) != 0) throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
}

void UnloadResultReader::WaitForFile(size_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] {
    return stop_ || files_[index].state == File::State::kDone || files_[index].state == File::State::kFailed;
  });
  if (stop_) throw common::CancelledError("reading the UNLOAD files was stopped");
  if (files_[index].state == File::State::kFailed) std::rethrow_exception(files_[index].error);
}

std::unique_ptr<UnloadResultReader::ParquetScan> UnloadResultReader::OpenScan(const File& file) {
  auto scan = std::make_unique<ParquetScan>();
  const std::string sql = "SELECT * FROM read_parquet(" + common::QuoteLiteral(file.local.string()) + ")";
  if (duckdb_prepare(connection_, sql.c_str(), &scan->statement) != DuckDBSuccess) {
    throw common::ProtocolError(fmt::format("cannot read UNLOAD file {} as Parquet: {}", file.uri.ToString(),
                                            duckdb_prepare_error(scan->statement)));
  }
  const duckdb_state state = duckdb_execute_prepared_streaming(scan->statement, &scan->result);
  scan->has_result = true;
  if (state != DuckDBSuccess) {
    throw common::ProtocolError(fmt::format("cannot read UNLOAD file {} as Parquet: {}", file.uri.ToString(),
                                            duckdb_result_error(&scan->result)));
  }
  return scan;
}

athena::RowBatch UnloadResultReader::TakeSpare() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spare_.empty()) return athena::RowBatch(columns_.size());
  athena::RowBatch batch = std::move(spare_.back());
  spare_.pop_back();
  return batch;
}

bool UnloadResultReader::Push(Ready ready) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return stop_ || ready_.size() < kMaxReadyBatches; });
    if (stop_) return false;
    ready_.push_back(std::move(ready));
  }
  cv_.notify_all();
  return true;
}

void UnloadResultReader::ReaderLoop(std::unique_ptr<ParquetScan> scan) {
  athena::ResultPosition at = position_;
  try {
    athena::RowBatch batch = TakeSpare();
    batch.Reset(columns_.size());
    const size_t max_rows = options_.max_batch_rows;
    for (size_t index = 0; index < files_.size(); ++index) {
      if (index > 0) {
        WaitForFile(index);
        scan = OpenScan(files_[index]);
        if (duckdb_column_count(&scan->result) != columns_.size()) {
          throw common::ProtocolError(fmt::format("UNLOAD file {} has {} columns, the first file has {}",
                                                  files_[index].uri.ToString(), duckdb_column_count(&scan->result),
                                                  columns_.size()));
        }
      }
      // Rows of this file read before a resume are skipped.
      int64_t skip = index == 0 ? at.file_rows_done : 0;
      at.file_rows_done = 0;
      int64_t skipped = 0;
      while (true) {
        if (stop_) return;
        duckdb_data_chunk chunk = duckdb_fetch_chunk(scan->result);
        if (chunk == nullptr) {
          const char* error = duckdb_result_error(&scan->result);
          if (error != nullptr && *error != '\0') {
            throw common::ProtocolError(fmt::format("reading UNLOAD file {} failed: {}", files_[index].uri.ToString(), error));
          }
          break;
        }
        const size_t size = duckdb_data_chunk_get_size(chunk);
        size_t row = 0;
        if (skipped < skip) {
          row = static_cast<size_t>(std::min<int64_t>(skip - skipped, static_cast<int64_t>(size)));
          skipped += static_cast<int64_t>(row);
          at.file_rows_done += static_cast<int64_t>(row);
        }
        try {
          while (row < size) {
            const size_t take = std::min(size - row, max_rows - batch.num_rows());
            converter_->Append(chunk, row, row + take, batch);
            row += take;
            at.file_rows_done += static_cast<int64_t>(take);
            at.rows_read += static_cast<int64_t>(take);
            if (batch.num_rows() >= max_rows) {
              Ready ready;
              ready.position = at;
              std::swap(ready.rows, batch);
              if (!Push(std::move(ready))) {
                duckdb_destroy_data_chunk(&chunk);
                return;
              }
              batch = TakeSpare();
              batch.Reset(columns_.size());
            }
          }
        } catch (...) {
          duckdb_destroy_data_chunk(&chunk);
          throw;
        }
        duckdb_destroy_data_chunk(&chunk);
      }
      scan.reset();
      at.files_done.push_back(files_[index].name);
      at.file_rows_done = 0;
      std::error_code ignored;
      std::filesystem::remove(files_[index].local, ignored);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        read_file_ = index + 1;
      }
      cv_.notify_all();
    }
    Ready last;
    at.at_end = true;
    last.position = at;
    std::swap(last.rows, batch);
    if (!Push(std::move(last))) return;
  } catch (...) {
    Ready failed;
    failed.error = std::current_exception();
    if (!Push(std::move(failed))) return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    read_done_ = true;
  }
  cv_.notify_all();
}

bool UnloadResultReader::Next(athena::RowBatch& batch) {
  while (true) {
    Ready ready;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !ready_.empty() || read_done_; });
      if (ready_.empty()) {
        position_.at_end = true;
        return false;
      }
      ready = std::move(ready_.front());
      ready_.pop_front();
    }
    cv_.notify_all();
    if (ready.error) std::rethrow_exception(ready.error);
    position_ = std::move(ready.position);
    position_.fetcher = "unload";
    if (ready.rows.num_rows() == 0) continue;
    std::swap(batch, ready.rows);
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.push_back(std::move(ready.rows));
    return true;
  }
}

}  // namespace ac::connector
