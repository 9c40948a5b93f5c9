#pragma once

#include <duckdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "athena/athena_client.h"
#include "athena/result_reader.h"
#include "aws/s3_client.h"
#include "common/clock.h"
#include "connector/parquet_cells.h"

namespace ac::connector {

struct UnloadReaderOptions {
  int concurrency = 8;                          ///< files downloaded at once
  size_t max_batch_rows = 8192;                 ///< rows per batch handed out
  std::filesystem::path temp_root;              ///< where the download folder goes ("" = system temp)
  int max_body_resumes = 10;                    ///< re-requests of a file whose body broke midway
  std::chrono::milliseconds resume_delay{200};  ///< backoff base between such re-requests
};

/// The Parquet files an UNLOAD wrote: from the data manifest (`Statistics.DataManifestLocation`,
/// one s3:// URI per line), else a listing of `unload_prefix`; sorted, so every read of the same
/// result sees the same order.
std::vector<aws::S3Uri> ListUnloadFiles(aws::S3Client& s3, const athena::QueryExecution& execution,
                                        const std::string& unload_prefix);

/// The `unload` fetcher's reader: the Parquet files of an `UNLOAD (...) TO '<prefix>' WITH (format
/// = 'PARQUET')` are downloaded in parallel (up to `concurrency` files, each within a window of
/// concurrency + 1 files of the one being read, so the temp folder stays bounded) into a temp
/// folder, read one after the other with DuckDB's Parquet reader on a reader thread, and converted
/// to Athena's text cells (ParquetCellConverter), so values decode exactly as with the other
/// fetchers. Local files are removed once read, the folder when the reader goes.
///
/// Position: `files_done` (file names fully read), `file_rows_done` (rows already read from the
/// next file), `rows_read`. Columns come from the first file's Parquet schema; when the UNLOAD
/// wrote no file (or all are done), from `columns_without_files`.
class UnloadResultReader final : public athena::ResultReader {
 public:
  UnloadResultReader(aws::S3Client& s3, std::vector<aws::S3Uri> files, athena::ResultPosition start,
                     UnloadReaderOptions options, const common::CancellationToken* cancel,
                     const std::function<std::vector<athena::Column>()>& columns_without_files);
  ~UnloadResultReader() override;

  const std::vector<athena::Column>& columns() const override { return columns_; }
  bool Next(athena::RowBatch& batch) override;
  athena::ResultPosition position() const override { return position_; }

 private:
  struct File {
    aws::S3Uri uri;
    std::string name;  ///< last path segment: the id kept in files_done
    std::filesystem::path local;
    enum class State { kPending, kDownloading, kDone, kFailed } state = State::kPending;
    std::exception_ptr error;
  };
  struct Ready {
    athena::RowBatch rows;
    athena::ResultPosition position;
    std::exception_ptr error;
  };
  /// A streaming DuckDB query over one local Parquet file.
  struct ParquetScan {
    duckdb_prepared_statement statement = nullptr;
    duckdb_result result{};
    bool has_result = false;
    ~ParquetScan();
  };

  void WorkerLoop();
  void Download(File& file);
  void WaitForFile(size_t index);
  std::unique_ptr<ParquetScan> OpenScan(const File& file);
  void ReaderLoop(std::unique_ptr<ParquetScan> first);
  bool Push(Ready ready);
  athena::RowBatch TakeSpare();
  void StopThreads();

  aws::S3Client& s3_;
  athena::ResultPosition position_;
  UnloadReaderOptions options_;
  const common::CancellationToken* cancel_;
  common::Clock& clock_;
  std::vector<athena::Column> columns_;
  std::filesystem::path temp_dir_;
  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
  std::unique_ptr<ParquetCellConverter> converter_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<File> files_;  ///< files still to read, in order
  size_t next_file_ = 0;     ///< next file a worker downloads
  size_t read_file_ = 0;     ///< file the reader is on
  std::deque<Ready> ready_;
  std::vector<athena::RowBatch> spare_;
  bool read_done_ = false;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  std::thread reader_;
};

}  // namespace ac::connector
