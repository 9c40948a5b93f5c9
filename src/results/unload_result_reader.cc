#include "results/unload_result_reader.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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
    // Nothing left to read: a download folder of this query left behind goes.
    const std::filesystem::path leftover =
        UnloadDownloadRoot(options_.temp_root) /
        (std::string(kUnloadDownloadPrefix) + options_.query_execution_id);
    if (!options_.query_execution_id.empty() && std::filesystem::exists(leftover)) {
      UnloadDownloadDir(options_.temp_root, options_.query_execution_id).Remove();
    }
    columns_ = columns_without_files();
    ready_.Close();
    return;
  }
  try {
    dir_ = std::make_unique<UnloadDownloadDir>(options_.temp_root, options_.query_execution_id);
    std::set<std::string> wanted;
    for (auto& file : files_) {
      file.local = dir_->path() / LocalFileName(file.name);
      wanted.insert(file.local.filename().string());
      wanted.insert(SidecarPath(file.local).filename().string());
    }
    // What an earlier read of the query left that this one does not need (files it had read).
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_->path(), ec)) {
      const std::string name = entry.path().filename().string();
      if (name != ".lock" && wanted.count(name) == 0) {
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
      }
    }

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
  } catch (const common::ProtocolError&) {
    // The result cannot be read from here (the position's file was replaced, a file is not
    // Parquet): what was downloaded is of no use to anyone.
    discard_downloads_ = true;
    StopThreads();
    throw;
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
  // An unfinished read keeps the query's folder for the read that resumes it (a private folder
  // goes with its UnloadDownloadDir).
  if (dir_ && (finished_.load() || discard_downloads_)) dir_->Remove();
  dir_.reset();
}

void UnloadResultReader::Download(size_t index) {
  File& file = files_[index];
  // The size first: the download is bounded by it (a body that does not end is an error).
  const aws::S3ObjectInfo head = s3_.HeadObject(file.uri.bucket, file.uri.key);
  if (index == 0 && !resume_etag_.empty() && !head.etag.empty() && head.etag != resume_etag_) {
    // Rows of this file were delivered from another version: skipping them in this one is wrong.
    RemoveDownload(file.local);
    throw common::ProtocolError(fmt::format(
        "the saved position does not match UNLOAD file {}: its ETag is {}, the state saved {}",
        file.uri.ToString(), head.etag, resume_etag_));
  }
  file.etag = index == 0 && !resume_etag_.empty() ? resume_etag_ : head.etag;
  const int64_t size = head.size;

  // What an earlier read of this query downloaded: used when the sidecar names this version.
  int64_t have = 0;
  {
    const std::optional<DownloadSidecar> saved = ReadSidecar(file.local);
    std::error_code ec;
    const auto local_size = std::filesystem::file_size(file.local, ec);
    if (saved && !ec && !file.etag.empty() && saved->etag == file.etag && saved->size == size &&
        static_cast<int64_t>(local_size) <= size) {
      have = static_cast<int64_t>(local_size);
    } else if (saved || !ec) {
      if (saved && saved->etag != file.etag) {
        spdlog::info(
            "UNLOAD file {} changed since it was partly downloaded (ETag {}, the download had {}): "
            "downloading it again from the start",
            file.uri.ToString(), file.etag, saved->etag);
      }
      RemoveDownload(file.local);
    }
  }
  if (have > 0 && have == size) {
    spdlog::info("UNLOAD file {} is already downloaded ({} bytes): not downloading it again",
                 file.uri.ToString(), size);
    return;
  }
  if (have > 0) {
    spdlog::info("Continuing the download of UNLOAD file {} at byte {} of {}", file.uri.ToString(),
                 have, size);
  } else {
    WriteSidecar(file.local, DownloadSidecar{file.etag, size});
  }
  std::unique_ptr<std::FILE, FileCloser> out(
      std::fopen(file.local.c_str(), have > 0 ? "ab" : "wb"));
  if (!out) throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
  if (size == 0) return;
  try {
    s3_.DownloadRange(
        file.uri.bucket, file.uri.key, have, size - 1,
        [&](std::string_view chunk) {
          if (downloads_.stopped()) return false;  // abandoned: the transport aborts the transfer
          if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) {
            throw common::InternalError(fmt::format("cannot write {}", file.local.string()));
          }
          return true;
        },
        cancel_, file.etag);
  } catch (const common::ProtocolError&) {
    // The object is no longer the version on disk (412 on If-Match): those bytes are worthless.
    out.reset();
    RemoveDownload(file.local);
    throw;
  }
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
  size_t index = 0;
  try {
    athena::RowBatch batch(columns_.size());
    const size_t max_rows = options_.max_batch_rows;
    for (index = 0; index < files_.size(); ++index) {
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
      RemoveDownload(files_[index].local);
      downloads_.Release(index);
    }
    // Every file is read: the folder goes now (a kill from here on resumes inside the last file,
    // which is then downloaded again).
    finished_.store(true);
    if (dir_ && dir_->persistent()) dir_->Remove();
    at.at_end = true;
    if (!ready_.Push(batch, at)) return;
    ready_.Close();
  } catch (const common::ProtocolError&) {
    // A file that cannot be read as Parquet is not kept for a later read to fail on again.
    if (index < files_.size()) RemoveDownload(files_[index].local);
    ready_.Fail(std::current_exception());
  } catch (...) {
    ready_.Fail(std::current_exception());
  }
}

bool UnloadResultReader::Next(athena::RowBatch& batch) {
  return ready_.Next(batch, position_);
}

}  // namespace ac::results
