#include "athena/athena_csv.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "common/error.h"

namespace ac::athena {
namespace {

constexpr size_t kNoEnd = std::numeric_limits<size_t>::max();

enum class RecordStatus { kComplete, kIncomplete };

/// Where the record being parsed sits, for error messages.
struct RecordContext {
  const char* data;  // start of the buffer being parsed
  int64_t base;      // absolute file offset of `data`
  int64_t row;       // 1-based data row number; 0 = the header
};

std::string RecordName(const RecordContext& ctx) {
  return ctx.row == 0 ? std::string("the header") : "row " + std::to_string(ctx.row);
}

[[noreturn]] __attribute__((noinline, cold)) void ThrowAt(const RecordContext& ctx,
                                                          const char* record, const char* at,
                                                          RowBatch& out, size_t first_cell,
                                                          const char* what) {
  out.TruncateCells(first_cell);
  throw common::ProtocolError("Athena result CSV: " + std::string(what) + " in " +
                              RecordName(ctx) + " (record at byte " +
                              std::to_string(ctx.base + (record - ctx.data)) + ", error at byte " +
                              std::to_string(ctx.base + (at - ctx.data)) + ")");
}

/// Parses the record starting at `pos`, appending its fields to `out`. On kComplete `pos` is
/// moved past the record's newline. On kIncomplete (the data ends inside the record) `pos` is
/// unchanged and `out` may hold some of the record's cells: the caller truncates them.
inline RecordStatus ParseRecord(const char*& pos, const char* end, RowBatch& out,
                                const RecordContext& ctx) {
  const char* p = pos;
  const char* const record = p;
  const size_t first_cell = out.num_cells();
  for (;;) {
    if (p == end) return RecordStatus::kIncomplete;
    const char c = *p;
    if (c == '"') {
      // Quoted cell: copy the spans between quotes; `""` is one literal quote.
      ++p;
      for (;;) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
        if (q == nullptr) return RecordStatus::kIncomplete;
        out.AppendToCell(std::string_view(p, static_cast<size_t>(q - p)));
        p = q + 1;
        if (p == end) return RecordStatus::kIncomplete;
        if (*p != '"') break;
        out.AppendToCell('"');
        ++p;
      }
      out.EndCell();
      const char d = *p;
      if (d == ',') {
        ++p;
        continue;
      }
      if (d == '\n') {
        pos = p + 1;
        return RecordStatus::kComplete;
      }
      if (d == '\r') {
        if (p + 1 == end) return RecordStatus::kIncomplete;
        if (p[1] == '\n') {
          pos = p + 2;
          return RecordStatus::kComplete;
        }
      }
      ThrowAt(ctx, record, p, out, first_cell, "unexpected character after a closing quote");
    }
    if (c == ',') {  // NULL cell
      out.AppendNull();
      ++p;
      continue;
    }
    if (c == '\n') {  // NULL last cell (or a single-column NULL row)
      out.AppendNull();
      pos = p + 1;
      return RecordStatus::kComplete;
    }
    // Unquoted text, which Athena never writes (other than `\r\n` after a NULL last cell):
    // tolerated as the text itself.
    const char* t = p;
    while (t != end && *t != ',' && *t != '\n' && *t != '"') ++t;
    if (t == end) return RecordStatus::kIncomplete;
    if (*t == '"') ThrowAt(ctx, record, t, out, first_cell, "quote inside an unquoted field");
    size_t length = static_cast<size_t>(t - p);
    if (*t == '\n' && t[-1] == '\r') --length;  // `\r\n` record end
    if (length == 0) {
      out.AppendNull();
    } else {
      out.AppendCell(std::string_view(p, length));
    }
    if (*t == ',') {
      p = t + 1;
      continue;
    }
    pos = t + 1;
    return RecordStatus::kComplete;
  }
}

/// Finds the newline ending the record that continues in `data` (quote state `in_quotes` at its
/// start): the first `\n` outside quotes. Returns its index, or kNoEnd; updates `in_quotes`.
/// For well-formed input the quote parity equals the parser's quoted state (`""` toggles twice).
size_t FindRecordEnd(std::string_view data, bool& in_quotes) {
  const char* p = data.data();
  const char* const end = p + data.size();
  while (p != end) {
    if (in_quotes) {
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (q == nullptr) return kNoEnd;
      in_quotes = false;
      p = q + 1;
      continue;
    }
    const char c = *p;
    if (c == '\n') return static_cast<size_t>(p - data.data());
    if (c == '"') in_quotes = true;
    ++p;
  }
  return kNoEnd;
}

void PrepareBatchFor(RowBatch& out, size_t num_columns) {
  if (out.num_columns() == num_columns) return;
  if (out.num_columns() == 0 && out.num_cells() == 0) {
    out.Reset(num_columns);
    return;
  }
  throw common::InternalError("Athena result parser: row batch has " +
                              std::to_string(out.num_columns()) + " columns, the result has " +
                              std::to_string(num_columns));
}

}  // namespace

AthenaCsvParser::AthenaCsvParser(AthenaCsvOptions options)
    : options_(options),
      num_columns_(options.num_columns),
      header_done_(!options.has_header),
      consumed_(options.start_offset),
      rows_(options.start_row) {
  if (num_columns_ == 0 && !options_.has_header) {
    throw common::InternalError("AthenaCsvParser: num_columns is required without a header");
  }
}

size_t AthenaCsvParser::Feed(std::string_view chunk, RowBatch& out) {
  size_t rows = 0;
  FeedImpl(chunk, out, std::numeric_limits<size_t>::max(), &rows);
  return rows;
}

size_t AthenaCsvParser::FeedRows(std::string_view chunk, RowBatch& out, size_t max_rows) {
  size_t rows = 0;
  return FeedImpl(chunk, out, max_rows, &rows);
}

size_t AthenaCsvParser::FeedImpl(std::string_view chunk, RowBatch& out, size_t max_rows,
                                 size_t* rows_appended) {
  if (finished_) throw common::InternalError("AthenaCsvParser: Feed after Finish");
  if (max_rows == 0) return 0;
  size_t pos = 0;
  if (!carry_.empty()) {
    // Complete the carried record with the bytes up to its end, then parse it whole.
    const size_t end = FindRecordEnd(chunk, carry_in_quotes_);
    const size_t take = end == kNoEnd ? chunk.size() : end + 1;
    if (carry_.size() + take > options_.max_record_bytes) {
      throw common::ProtocolError(
          "Athena result CSV: record at byte " + std::to_string(consumed_) + " is longer than " +
          std::to_string(options_.max_record_bytes) + " bytes (unterminated quote?)");
    }
    carry_.append(chunk.data(), take);
    if (end == kNoEnd) return chunk.size();
    const ParseResult r = ParseBuffer(carry_.data(), carry_.size(), consumed_, out, max_rows);
    if (r.incomplete || r.consumed != carry_.size()) {
      throw common::InternalError("AthenaCsvParser: carried record did not parse as one record");
    }
    carry_.clear();
    carry_in_quotes_ = false;
    pos = take;
    *rows_appended += r.rows;
  }
  if (pos < chunk.size() && *rows_appended < max_rows) {
    const ParseResult r = ParseBuffer(chunk.data() + pos, chunk.size() - pos, consumed_, out,
                                      max_rows - *rows_appended);
    *rows_appended += r.rows;
    pos += r.consumed;
    if (r.incomplete) {
      StartCarry(chunk.data() + pos, chunk.size() - pos);
      pos = chunk.size();
    }
  }
  return pos;
}

void AthenaCsvParser::StartCarry(const char* data, size_t size) {
  if (size > options_.max_record_bytes) {
    throw common::ProtocolError(
        "Athena result CSV: record at byte " + std::to_string(consumed_) + " is longer than " +
        std::to_string(options_.max_record_bytes) + " bytes (unterminated quote?)");
  }
  carry_.assign(data, size);
  carry_in_quotes_ = (std::count(data, data + size, '"') & 1) != 0;
}

AthenaCsvParser::ParseResult AthenaCsvParser::ParseBuffer(const char* data, size_t size,
                                                          int64_t base, RowBatch& out,
                                                          size_t max_rows) {
  ParseResult result;
  if (!header_done_) {
    ParseHeader(data, size, base, result);
    if (result.incomplete) return result;
  }
  PrepareBatchFor(out, num_columns_);
  const char* p = data + result.consumed;
  const char* const end = data + size;
  RecordContext ctx{data, base, 0};
  while (p != end && result.rows < max_rows) {
    const char* const record = p;
    const size_t first_cell = out.num_cells();
    ctx.row = rows_ + 1;
    if (ParseRecord(p, end, out, ctx) == RecordStatus::kIncomplete) {
      out.TruncateCells(first_cell);
      result.incomplete = true;
      break;
    }
    const size_t fields = out.num_cells() - first_cell;
    if (fields != num_columns_) {
      ThrowAt(ctx, record, p - 1, out, first_cell,
              ("wrong number of fields (" + std::to_string(fields) + ", expected " +
               std::to_string(num_columns_) + ")")
                  .c_str());
    }
    ++rows_;
    ++result.rows;
    consumed_ += p - record;
    result.consumed = static_cast<size_t>(p - data);
  }
  return result;
}

void AthenaCsvParser::ParseHeader(const char* data, size_t size, int64_t base,
                                  ParseResult& result) {
  header_cells_.Reset(1);  // one cell per "row"
  const char* p = data;
  const RecordContext ctx{data, base, 0};
  if (ParseRecord(p, data + size, header_cells_, ctx) == RecordStatus::kIncomplete) {
    header_cells_.Clear();
    result.incomplete = true;
    return;
  }
  const size_t fields = header_cells_.num_cells();
  if (num_columns_ != 0 && fields != num_columns_) {
    throw common::ProtocolError("Athena result CSV: the header has " + std::to_string(fields) +
                                " columns, expected " + std::to_string(num_columns_));
  }
  header_.clear();
  header_.reserve(fields);
  for (size_t i = 0; i < fields; ++i) header_.emplace_back(header_cells_.cell(i, 0));
  header_cells_.Clear();
  num_columns_ = fields;
  header_done_ = true;
  consumed_ += p - data;
  result.consumed = static_cast<size_t>(p - data);
}

size_t AthenaCsvParser::Finish(RowBatch& out) {
  if (finished_) return 0;
  finished_ = true;
  if (carry_.empty()) return 0;
  if (carry_in_quotes_) {
    throw common::ProtocolError(
        "Athena result CSV: quote still open at end of file in " +
        (header_done_ ? "row " + std::to_string(rows_ + 1) : std::string("the header")) +
        " (record at byte " + std::to_string(consumed_) + ")");
  }
  carry_.push_back('\n');  // the final record lacks its newline
  const ParseResult r = ParseBuffer(carry_.data(), carry_.size(), consumed_, out,
                                    std::numeric_limits<size_t>::max());
  if (r.incomplete || r.consumed != carry_.size()) {
    throw common::InternalError("AthenaCsvParser: final record did not parse as one record");
  }
  consumed_ -= 1;  // the synthetic newline is not in the file
  carry_.clear();
  return r.rows;
}

size_t ParseAthenaTextResult(std::string_view text, size_t num_columns, RowBatch& out) {
  if (num_columns == 0) throw common::InternalError("ParseAthenaTextResult: no columns");
  PrepareBatchFor(out, num_columns);
  size_t rows = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p != end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl == nullptr ? end : nl;
    if (line_end != p && line_end[-1] == '\r') --line_end;
    size_t column = 0;
    const char* f = p;
    for (; column + 1 < num_columns; ++column) {
      const char* tab =
          static_cast<const char*>(std::memchr(f, '\t', static_cast<size_t>(line_end - f)));
      if (tab == nullptr) break;
      out.AppendCell(std::string_view(f, static_cast<size_t>(tab - f)));
      f = tab + 1;
    }
    out.AppendCell(std::string_view(f, static_cast<size_t>(line_end - f)));
    for (++column; column < num_columns; ++column) out.AppendNull();
    ++rows;
    p = nl == nullptr ? end : nl + 1;
  }
  return rows;
}

}  // namespace ac::athena
