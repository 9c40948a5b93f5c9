#pragma once

// Athena result files: `<id>.csv` (header line, every non-NULL cell quoted, NULL an unquoted empty
// field), `<id>.txt` (DDL/UTILITY: tab-separated, no header, no quoting) and the
// `<id>.csv.metadata` / `<id>.txt.metadata` companion (here: a small JSON document of our own
// holding the column info; GetQueryResults reads it).

#include <duckdb.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "athena_text/cell_formatter.h"
#include "emulator/athena_type.h"

namespace ac::emulator {

struct ResultColumn {
  std::string name;
  ColumnType type;
};

struct ResultMetadata {
  enum class Format { kCsv, kText, kNone };
  Format format = Format::kCsv;
  std::vector<ResultColumn> columns;
  uint64_t rows = 0;  ///< data rows in the file (header excluded)

  std::string ToJson() const;
  /// Throws std::runtime_error on a malformed document.
  static ResultMetadata FromJson(std::string_view json);
};

/// Streams rows into a result file with large buffered writes.
class ResultFileWriter {
 public:
  /// Creates (truncates) `path`. Throws std::runtime_error on I/O failure.
  ResultFileWriter(std::filesystem::path path, ResultMetadata::Format format);
  ~ResultFileWriter();
  ResultFileWriter(const ResultFileWriter&) = delete;
  ResultFileWriter& operator=(const ResultFileWriter&) = delete;

  /// CSV header line: every name quoted.
  void WriteHeader(const std::vector<std::string>& names);
  /// One formatter per column, used by WriteChunk.
  void SetFormatters(std::vector<std::unique_ptr<athena_text::CellFormatter>> formatters);
  /// Formats every row of a DuckDB chunk.
  void WriteChunk(duckdb_data_chunk chunk);
  /// A text row (tab-joined cells; CSV: quoted cells).
  void WriteRow(const std::vector<std::string>& cells);
  /// Flushes and closes; throws on I/O failure.
  void Finish();

  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void FlushIfFull();
  void Flush();

  std::filesystem::path path_;
  ResultMetadata::Format format_;
  int fd_ = -1;
  std::string buffer_;
  std::vector<std::unique_ptr<athena_text::CellFormatter>> formatters_;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
};

/// One parsed result row: cells with a NULL flag (a Datum without VarCharValue).
struct ResultCell {
  std::string_view text;
  bool is_null = false;
};

/// Reads rows of a result file starting at a byte offset (GetQueryResults pages).
class ResultFileReader {
 public:
  /// Throws std::runtime_error when the file cannot be opened.
  ResultFileReader(const std::filesystem::path& path, ResultMetadata::Format format,
                   uint64_t offset);
  ~ResultFileReader();
  ResultFileReader(const ResultFileReader&) = delete;
  ResultFileReader& operator=(const ResultFileReader&) = delete;

  /// Parses the next row into `cells` (views valid until the next call); false at end of file.
  bool Next(std::vector<ResultCell>& cells);
  /// Byte offset of the next unread row.
  uint64_t offset() const { return offset_; }

 private:
  bool Fill();  // reads more bytes; false at EOF

  int fd_ = -1;
  ResultMetadata::Format format_;
  std::string buffer_;
  size_t pos_ = 0;  ///< parse position in buffer_
  bool eof_ = false;
  uint64_t offset_ = 0;
  std::string scratch_;  ///< unescaped cell texts of the current row
};

}  // namespace ac::emulator
