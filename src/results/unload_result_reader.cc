#include "results/unload_result_reader.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "aws/aws_error.h"
#include "common/error.h"
#include "common/sql_quote.h"

namespace ac::results {
namespace {

/// Converted batches waiting for the consumer.
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
    const aws::S3Uri manifest =
        aws::S3Uri::Parse(execution.manifest_location, "the UNLOAD data manifest location");
    try {
      const std::string text = s3.GetObject(manifest.bucket, manifest.key);
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty())
          files.push_back(aws::S3Uri::Parse(line, "an UNLOAD data manifest entry"));
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

UnloadResultReader::UnloadResultReader(
    aws::S3Client& s3, std::vector<aws::S3Uri> files, ResultPosition start,
    UnloadReaderOptions options, const common::CancellationToken* cancel,
    const std::function<std::vector<athena::Column>()>& columns_without_files)
    : s3_(s3),
      position_(std::move(start)),
      options_(options),
      cancel_(cancel),
      ready_(kMaxReadyBatches) {
  position_.fetcher = "unload";
  options_.concurrency = std::max(options_.concurrency, 1);
  options_.max_batch_rows = std::max<size_t>(options_.max_batch_rows, 1);
  if (position_.file_rows_done > 0) resume_etag_ = position_.etag;
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
    ready_.Close();
    return;
  }
  try {
    std::filesystem::path root =
        options_.temp_root.empty() ? std::filesystem::temp_directory_path() : options_.temp_root;
    std::filesystem::create_directories(root);
    std::string pattern = (root / "athena-connector-unload-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw common::InternalError(
          fmt::format("cannot create a temporary folder under {}", root.string()));
    }
    temp_dir_ = pattern;
    for (size_t i = 0; i < files_.size(); ++i)
      files_[i].local = temp_dir_ / fmt::format("{:06}.parquet", i);

    if (duckdb_open(nullptr, &database_) != DuckDBSuccess ||
        duckdb_connect(database_, &connection_) != DuckDBSuccess) {
      throw common::InternalError(
          "cannot open an in-memory DuckDB database to read the UNLOAD Parquet files");
    }
    downloads_.Start(files_.size(), options_.concurrency,
                     static_cast<size_t>(options_.concurrency) + 1,
                     [this](size_t index) { Download(index); });
    // The first file's schema gives the columns (and an unreadable result fails here).
    downloads_.Wait(0);
    std::unique_ptr<ParquetScan> first = OpenScan(files_[0]);
    converter_ = std::make_unique<ParquetCellConverter>(first->result);
    columns_ = converter_->columns();
    reader_ = std::thread(&UnloadResultReader::ReaderLoop, this, std::move(first));
  } catch (...) {
    StopThreads();
    throw;
  }
}

UnloadResultReader::~UnloadResultReader() {
  StopThreads();
}

void UnloadResultReader::StopThreads() {
  ready_.Close();     // a reader thread waiting for room gives up
  downloads_.Stop();  // so does one waiting for a file; the workers are joined
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

void UnloadResultReader::Download(size_t index) {
  File& file = files_[index];
  std::unique_ptr<std::FILE, FileCloser> out(std::fopen(file.local.c_str(), "wb"));
  if (!out) throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
  // The size first: the download is bounded by it (a body that does not end is an error).
  const aws::S3ObjectInfo head = s3_.HeadObject(file.uri.bucket, file.uri.key);
  if (index == 0 && !resume_etag_.empty() && !head.etag.empty() && head.etag != resume_etag_) {
    // Rows of this file were delivered from another version: skipping them in this one is wrong.
    throw common::ProtocolError(fmt::format(
        "the saved position does not match UNLOAD file {}: its ETag is {}, the state saved {}",
        file.uri.ToString(), head.etag, resume_etag_));
  }
  file.etag = index == 0 && !resume_etag_.empty() ? resume_etag_ : head.etag;
  const int64_t size = head.size;
  if (size == 0) return;
  s3_.DownloadRange(
      file.uri.bucket, file.uri.key, 0, size - 1,
      [&](std::string_view chunk) {
        if (downloads_.stopped()) return false;  // abandoned: the transport aborts the transfer
        if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) {
          throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
        }
        return true;
      },
      cancel_, file.etag);
  if (std::fflush(out.get()) != 0)
    throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
}

std::unique_ptr<UnloadResultReader::ParquetScan> UnloadResultReader::OpenScan(const File& file) {
  auto scan = std::make_unique<ParquetScan>();
  const std::string sql =
      "SELECT * FROM read_parquet(" + common::QuoteLiteral(file.local.string()) + ")";
  if (duckdb_prepare(connection_, sql.c_str(), &scan->statement) != DuckDBSuccess) {
    throw common::ProtocolError(fmt::format("cannot read UNLOAD file {} as Parquet: {}",
                                            file.uri.ToString(),
                                            duckdb_prepare_error(scan->statement)));
  }
  const duckdb_state state = duckdb_execute_prepared_streaming(scan->statement, &scan->result);
  scan->has_result = true;
  if (state != DuckDBSuccess) {
    throw common::ProtocolError(fmt::format("cannot read UNLOAD file {} as Parquet: {}",
                                            file.uri.ToString(),
                                            duckdb_result_error(&scan->result)));
  }
  return scan;
}

void UnloadResultReader::ReaderLoop(std::unique_ptr<ParquetScan> scan) {
  ResultPosition at = position_;
  try {
    athena::RowBatch batch(columns_.size());
    const size_t max_rows = options_.max_batch_rows;
    for (size_t index = 0; index < files_.size(); ++index) {
      if (index > 0) {
        if (!downloads_.Wait(index)) return;  // the reader is going away
        scan = OpenScan(files_[index]);
        if (duckdb_column_count(&scan->result) != columns_.size()) {
          throw common::ProtocolError(fmt::format(
              "UNLOAD file {} has {} columns, the first file has {}", files_[index].uri.ToString(),
              duckdb_column_count(&scan->result), columns_.size()));
        }
      }
      at.etag = files_[index].etag;
      // Rows of this file read before a resume are skipped.
      int64_t skip = index == 0 ? at.file_rows_done : 0;
      at.file_rows_done = 0;
      int64_t skipped = 0;
      while (true) {
        if (downloads_.stopped()) return;
        duckdb_data_chunk chunk = duckdb_fetch_chunk(scan->result);
        if (chunk == nullptr) {
          const char* error = duckdb_result_error(&scan->result);
          if (error != nullptr && *error != '\0') {
            throw common::ProtocolError(fmt::format("reading UNLOAD file {} failed: {}",
                                                    files_[index].uri.ToString(), error));
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
            if (batch.num_rows() >= max_rows && !ready_.Push(batch, at)) {
              duckdb_destroy_data_chunk(&chunk);
              return;
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
      downloads_.Release(index);
    }
    at.at_end = true;
    if (!ready_.Push(batch, at)) return;
    ready_.Close();
  } catch (...) {
    ready_.Fail(std::current_exception());
  }
}

bool UnloadResultReader::Next(athena::RowBatch& batch) {
  return ready_.Next(batch, position_);
}

}  // namespace ac::results
