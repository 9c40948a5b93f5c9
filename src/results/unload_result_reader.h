#pragma once

#include <duckdb.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "athena/athena_client.h"
#include "aws/s3_client.h"
#include "common/clock.h"
#include "results/batch_queue.h"
#include "results/ordered_downloads.h"
#include "results/parquet_cells.h"
#include "results/result_reader.h"
#include "results/unload_download_dir.h"

namespace ac::results {

struct UnloadReaderOptions {
  int concurrency = 8;              ///< files downloaded at once
  size_t max_batch_rows = 8192;     ///< rows per batch handed out
  std::filesystem::path temp_root;  ///< where the download folder goes ("" = system temp)
  /// Names the download folder (UnloadDownloadDir), which then outlives an unfinished read: a
  /// resumed read of the same query continues its downloads. "" = a private folder, removed when
  /// the reader goes.
  std::string query_execution_id;
};

/// The Parquet files an UNLOAD wrote: from the data manifest (`Statistics.DataManifestLocation`,
/// one s3:// URI per line), else a listing of `unload_prefix`; sorted, so every read of the same
/// result sees the same order.
std::vector<aws::S3Uri> ListUnloadFiles(aws::S3Client& s3, const athena::QueryExecution& execution,
                                        const std::string& unload_prefix);

/// The `unload` fetcher's reader: the Parquet files of an `UNLOAD (...) TO '<prefix>' WITH (format
/// = 'PARQUET')` are downloaded in parallel (up to `concurrency` files, each within a window of
/// concurrency + 1 files of the one being read, so the download folder stays bounded) into the
/// query's download folder (UnloadDownloadDir: `<temp_root>/athena-connector-unload-<query id>`),
/// read one after the other with DuckDB's Parquet reader on a reader thread, and converted to
/// Athena's text cells (ParquetCellConverter), so values decode exactly as with the other
/// fetchers. A download whose body breaks midway continues where it stopped
/// (S3Client::DownloadRange, under the S3 client's RetryPolicy); every request of a file sends
/// `If-Match` with its HeadObject ETag, so a file replaced meanwhile fails the read (ProtocolError)
/// instead of mixing two versions.
///
/// Local files: each is named after its object (LocalFileName), with a `.etag` sidecar recording
/// the object's ETag and size, written before its first byte. A read of the same query later (a
/// resumed sync after a kill, a failure or a cancellation) finds them: a file as large as the
/// object, of the same ETag, is not downloaded again; a shorter one continues from its size (a
/// ranged GET with If-Match); one of another ETag (or a 412 on the continuation) is discarded.
/// Files are removed once read, the folder when the read completes (or, unfinished, only when the
/// folder is private or the result cannot be read: a ProtocolError from the constructor).
///
/// Position: `files_done` (file names fully read), `file_rows_done` (rows already read from the
/// next file), `etag` (that file's ETag: a resume inside a file checks the file is still that
/// version, else ProtocolError from the constructor), `rows_read`. Columns come from the first
/// file's Parquet schema; when the UNLOAD wrote no file (or all are done), from
/// `columns_without_files`.
class UnloadResultReader final : public ResultReader {
 public:
  UnloadResultReader(aws::S3Client& s3, std::vector<aws::S3Uri> files, ResultPosition start,
                     UnloadReaderOptions options, const common::CancellationToken* cancel,
                     const std::function<std::vector<athena::Column>()>& columns_without_files);
  ~UnloadResultReader() override;

  const std::vector<athena::Column>& columns() const override { return columns_; }
  bool Next(athena::RowBatch& batch) override;
  ResultPosition position() const override { return position_; }

 private:
  struct File {
    aws::S3Uri uri;
    std::string name;  ///< last path segment: the id kept in files_done
    std::filesystem::path local;
    std::string etag;  ///< HeadObject's, set by Download (read after downloads_.Wait)
  };
  /// A streaming DuckDB query over one local Parquet file.
  struct ParquetScan {
    duckdb_prepared_statement statement = nullptr;
    duckdb_result result{};
    bool has_result = false;
    ~ParquetScan();
  };

  void Download(size_t index);
  std::unique_ptr<ParquetScan> OpenScan(const File& file);
  void ReaderLoop(std::unique_ptr<ParquetScan> first);
  void StopThreads();

  aws::S3Client& s3_;
  ResultPosition position_;
  UnloadReaderOptions options_;
  const common::CancellationToken* cancel_;
  /// ETag of the file a resumed read is inside of (the saved position's; "" otherwise): the file
  /// must still be that version.
  std::string resume_etag_;
  std::vector<athena::Column> columns_;
  std::unique_ptr<UnloadDownloadDir> dir_;
  /// Set by the reader thread once every file is read (the folder is then removed).
  std::atomic<bool> finished_{false};
  /// The constructor failed with a ProtocolError: nothing downloaded is of use (the folder goes).
  bool discard_downloads_ = false;
  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
  std::unique_ptr<ParquetCellConverter> converter_;

  std::vector<File> files_;  ///< files still to read, in order
  BatchQueue ready_;
  OrderedDownloads downloads_;
  std::thread reader_;
};

}  // namespace ac::results
