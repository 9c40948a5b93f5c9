#pragma once

// Streaming parser for Athena's result files in S3 (athena-wire.md section 4):
//
//  - `<QueryID>.csv` (SELECT results): comma separated, UTF-8, first record = header of column
//    names. Every non-NULL cell is wrapped in `"` (numbers and booleans too) with embedded `"`
//    doubled; NULL is an UNQUOTED EMPTY field and stays apart from `""` (the empty string); line
//    breaks (`\n`, `\r\n`) inside quotes belong to the value and are kept byte for byte. Records
//    end with `\n`; `\r\n` between records is accepted too. A single-column NULL row is an empty
//    line.
//  - `<QueryID>.txt` (DDL/UTILITY results): tab separated, no header, no quoting
//    (ParseAthenaTextResult below).
//
// Parallel downloads: a safe record boundary cannot be found inside an arbitrary byte range of such
// a CSV (a `\n` may be inside a quoted value, and whether it is depends on every quote before it),
// so the S3 fetcher downloads byte-range parts in parallel but feeds them IN ORDER to ONE
// AthenaCsvParser (possibly on its own thread). Parts may be cut at any byte: the parser carries
// the incomplete last record over to the next Feed().
//
// Resume: consumed_record_bytes() is the absolute offset of the first byte after the last complete
// record. A reader checkpoints it (once the rows before it reached the sink) and later resumes with
// a fresh parser fed from that offset, with `has_header = false` and `start_offset` set.
//
// Speed: data records are scanned 64 bytes at a time into bit masks of quotes, commas and newlines
// (SSE2); a prefix XOR of the quote bits gives the quoted regions, so the field and record ends are
// found without a byte-by-byte state machine. Each cell is appended in one span; only cells with
// doubled quotes are unescaped. Nothing is allocated per cell (RowBatch keeps one byte buffer).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "athena/row_batch.h"

namespace ac::results {

struct AthenaCsvOptions {
  /// Expected number of columns (from GetQueryResults' ColumnInfo). 0 = take it from the header
  /// (only with has_header).
  size_t num_columns = 0;
  /// The first record is the header of column names: it is parsed, validated against num_columns
  /// and returned by header(), never as a row. False when resuming in the middle of a file.
  bool has_header = true;
  /// Absolute byte offset in the file of the first byte fed (when resuming).
  int64_t start_offset = 0;
  /// Data rows before start_offset (when resuming); only used in counts and error messages.
  int64_t start_row = 0;
  /// A record (its raw bytes) longer than this fails with ProtocolError instead of growing the
  /// carry buffer without bound (e.g. an unterminated quote in a multi-GB file).
  size_t max_record_bytes = size_t{256} << 20;
};

/// Incremental parser of Athena's result CSV into RowBatch rows.
///
/// Rows are appended to the caller's batch only when complete: the parser stops at the last
/// complete record of each chunk and keeps the raw bytes of the incomplete one in its own carry
/// buffer (with its quote state), so a batch never holds a partial row, and the caller may Clear()
/// or hand off the batch between calls. Quote state is all that is needed to find where the carried
/// record ends in the next chunk; the carried record is then parsed as a whole.
///
/// Errors (common::ProtocolError, naming the data row number and the byte offset): characters
/// after a closing quote other than `,`, `\n` or `\r\n`; a `"` inside an unquoted field; a record
/// with the wrong number of fields; a quote still open at Finish(); a record above
/// max_record_bytes. On error the batch keeps only the complete rows before the bad record and
/// the parser must not be used further. A stray quote flips the quoted state for what follows, so
/// the error may surface only at the end of the input; it is still reported against the record
/// that holds the stray quote, with the same message wherever the input was split.
///
/// Tolerance: unquoted non-empty text (which Athena never writes) is accepted as that text, with
/// a trailing `\r` before the record's `\n` removed.
///
/// An empty file (PyAthena treats ContentLength 0 as "no rows") yields no header and no rows. A
/// final record without trailing newline is parsed by Finish(); as a consequence, trailing bytes
/// that are empty cannot stand for a single-column NULL row (Athena ends every record with `\n`).
class AthenaCsvParser {
 public:
  explicit AthenaCsvParser(AthenaCsvOptions options);

  /// Consumes all of `chunk`, appending its complete rows to `out` (whose column count must be
  /// num_columns(); a batch with 0 columns and no cells is Reset to it). Returns rows appended.
  size_t Feed(std::string_view chunk, athena::RowBatch& out);

  /// Like Feed but appends at most `max_rows` rows, and returns how many bytes of `chunk` it
  /// consumed; the caller passes the rest (chunk.substr(returned)) again later. Bounds batch size.
  size_t FeedRows(std::string_view chunk, athena::RowBatch& out, size_t max_rows);

  /// End of input: parses a final record that lacks its trailing newline; throws ProtocolError if
  /// a quote is still open. Returns rows appended. No Feed after Finish.
  size_t Finish(athena::RowBatch& out);

  /// Column count: from the options, or from the header once it has been parsed (else 0).
  size_t num_columns() const { return num_columns_; }
  /// True once the header has been parsed (always true without has_header).
  bool header_done() const { return header_done_; }
  /// Column names from the header (empty without has_header or before it was parsed).
  const std::vector<std::string>& header() const { return header_; }
  /// Absolute offset of the first byte after the last complete record (header included).
  int64_t consumed_record_bytes() const { return consumed_; }
  /// Data rows parsed so far, including options.start_row.
  int64_t rows() const { return rows_; }
  /// Bytes of an incomplete record currently held in the carry buffer.
  size_t carry_bytes() const { return carry_.size(); }

 private:
  struct ParseResult {
    size_t consumed = 0;      // bytes of complete records
    size_t rows = 0;          // data rows appended
    bool incomplete = false;  // stopped because the data ended inside a record
  };

  size_t FeedImpl(std::string_view chunk, athena::RowBatch& out, size_t max_rows,
                  size_t* rows_appended);
  void PrepareBatch(athena::RowBatch& out) const;
  // Parses complete records of [data, data + size), which starts at absolute offset `base`: the
  // header first if not done yet, then up to max_rows data rows.
  ParseResult ParseBuffer(const char* data, size_t size, int64_t base, athena::RowBatch& out,
                          size_t max_rows);
  void ParseHeader(const char* data, size_t size, int64_t base, ParseResult& result);
  // The data records of ParseBuffer, from data + result.consumed.
  void ParseRows(const char* data, size_t size, int64_t base, athena::RowBatch& out,
                 size_t max_rows, ParseResult& result);
  [[noreturn]] void FailRecord(const char* data, int64_t base, const char* record, const char* end,
                               athena::RowBatch& out, size_t first_cell, const char* at,
                               const char* what);
  void StartCarry(const char* data, size_t size);

  AthenaCsvOptions options_;
  size_t num_columns_ = 0;
  bool header_done_ = false;
  bool finished_ = false;
  std::vector<std::string> header_;
  int64_t consumed_ = 0;
  int64_t rows_ = 0;
  std::string carry_;              // raw bytes of the incomplete record (starts at consumed_)
  bool carry_in_quotes_ = false;   // quote state at the end of carry_
  athena::RowBatch header_cells_;  // scratch for the header (one cell per "row")
};

/// Parses a `.txt` result (DDL/UTILITY statements): one row per line (`\n`, a `\r` before it is
/// dropped, a final line without newline counts, an empty text has no rows), fields separated by
/// TAB, no header and no quoting, so no NULLs except for missing fields. A line is split at its
/// first num_columns - 1 tabs: the last column keeps the rest of the line, tabs included (so with
/// one column, e.g. DESCRIBE's tab-joined `name \t type \t comment` entries or SHOW CREATE TABLE
/// lines, the whole line is the value, as GetQueryResults returns it); columns a line with fewer
/// tabs lacks are NULL (an empty line is "" in column 0, NULL elsewhere). Appends to `out`, which
/// must have num_columns columns (a batch with 0 columns and no cells is Reset). Returns rows
/// appended.
size_t ParseAthenaTextResult(std::string_view text, size_t num_columns, athena::RowBatch& out);

}  // namespace ac::results
