#include "results/athena_csv.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"

namespace ac::results {
namespace {

using athena::RowBatch;

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
  throw common::ProtocolError("Athena result CSV: " + std::string(what) + " in " + RecordName(ctx) +
                              " (record at byte " + std::to_string(ctx.base + (record - ctx.data)) +
                              ", error at byte " + std::to_string(ctx.base + (at - ctx.data)) +
                              ")");
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

// ---- Bulk scanning of data records -----------------------------------------------------------
// The buffer is classified 64 bytes at a time into bit masks of `"`, `,` and `\n`. The running XOR
// of the quote bits marks the bytes inside quotes (a doubled quote toggles twice), so the commas
// and newlines outside quotes are the field and record ends, visited with count-trailing-zeros.
// Each field is then checked and copied in one span; only cells with doubled quotes are unescaped.
// For well-formed input this is exactly the strict grammar; when a field or record fails the
// checks, the strict scalar parser (ParseRecord) re-reads the record to name the precise error.

struct BlockMasks {
  uint64_t quote;
  uint64_t comma;
  uint64_t newline;
};

inline BlockMasks Classify64(const char* p) {
  BlockMasks m{0, 0, 0};
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const int shift = 16 * i;
    m.quote |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)))}
               << shift;
    m.comma |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)))}
               << shift;
    m.newline |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)))}
                 << shift;
  }
#else
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (p[i] == '"') m.quote |= bit;
    if (p[i] == ',') m.comma |= bit;
    if (p[i] == '\n') m.newline |= bit;
  }
#endif
  return m;
}

/// Bit i of the result = XOR of bits 0..i: set from an opening quote up to (not including) the
/// closing one.
inline uint64_t PrefixXor(uint64_t m) {
  m ^= m << 1;
  m ^= m << 2;
  m ^= m << 4;
  m ^= m << 8;
  m ^= m << 16;
  m ^= m << 32;
  return m;
}

/// Unescapes a quoted field [f, e) that contains doubled quotes. Returns false (cell bytes possibly
/// half-appended: the caller truncates the record) if the field is not `"` (text | `""`)* `"`.
bool AppendQuotedSlow(const char* f, const char* e, RowBatch& out) {
  if (e - f < 2 || e[-1] != '"') return false;
  const char* p = f + 1;
  const char* const b = e - 1;
  for (;;) {
    const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(b - p)));
    if (q == nullptr) break;
    if (q + 1 == b || q[1] != '"') return false;
    out.AppendToCell(std::string_view(p, static_cast<size_t>(q + 1 - p)));
    p = q + 2;
  }
  out.AppendToCell(std::string_view(p, static_cast<size_t>(b - p)));
  out.EndCell();
  return true;
}

/// Appends the field [f, e) (its separator and a `\r` before a `\n` excluded). `block` and
/// `quote_mask` describe the 64-byte block holding the separator. Returns false if malformed.
inline bool AppendField(const char* f, const char* e, const char* block, uint64_t quote_mask,
                        RowBatch& out) {
  const size_t length = static_cast<size_t>(e - f);
  if (length == 0) {
    out.AppendNull();
    return true;
  }
  if (*f == '"') {
    if (length >= 2 && e[-1] == '"') {
      const char* const a = f + 1;
      const size_t n = length - 2;
      bool clean;
      if (f >= block) {  // the whole field is in this block: check its inner quote bits
        const unsigned lo = static_cast<unsigned>(a - block);  // <= 62
        clean = n == 0 || ((quote_mask >> lo) & ((uint64_t{1} << n) - 1)) == 0;
      } else {
        clean = std::memchr(a, '"', n) == nullptr;
      }
      if (clean) {
        out.AppendCell(std::string_view(a, n));
        return true;
      }
    }
    return AppendQuotedSlow(f, e, out);
  }
  // Unquoted text: Athena never writes it; tolerated unless it holds a quote.
  if (std::memchr(f, '"', length) != nullptr) return false;
  out.AppendCell(std::string_view(f, length));
  return true;
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
      throw common::ProtocolError("Athena result CSV: record at byte " + std::to_string(consumed_) +
                                  " is longer than " + std::to_string(options_.max_record_bytes) +
                                  " bytes (unterminated quote?)");
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
    throw common::ProtocolError("Athena result CSV: record at byte " + std::to_string(consumed_) +
                                " is longer than " + std::to_string(options_.max_record_bytes) +
                                " bytes (unterminated quote?)");
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
  ParseRows(data, size, base, out, max_rows, result);
  return result;
}

void AthenaCsvParser::ParseRows(const char* data, size_t size, int64_t base, RowBatch& out,
                                size_t max_rows, ParseResult& result) {
  const char* const end = data + size;
  const char* record = data + result.consumed;
  const char* field = record;
  size_t first_cell = out.num_cells();
  uint64_t inside_carry = 0;  // all ones when the previous block ended inside quotes
  char tail[64];
  for (size_t at = result.consumed; at < size; at += 64) {
    const char* const block = data + at;
    BlockMasks m;
    if (size - at >= 64) {
      m = Classify64(block);
    } else {
      std::memset(tail, ' ', sizeof tail);
      std::memcpy(tail, block, static_cast<size_t>(end - block));
      m = Classify64(tail);
    }
    const uint64_t inside = PrefixXor(m.quote) ^ inside_carry;
    inside_carry = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
    uint64_t separators = (m.comma | m.newline) & ~inside;
    while (separators != 0) {
      const unsigned offset = static_cast<unsigned>(__builtin_ctzll(separators));
      separators &= separators - 1;
      const char* const separator = block + offset;
      const bool newline = ((m.newline >> offset) & 1) != 0;
      const char* field_end = separator;
      if (newline && field_end != field && field_end[-1] == '\r') --field_end;
      if (!AppendField(field, field_end, block, m.quote, out)) {
        FailRecord(data, base, record, end, out, first_cell, separator, "malformed field");
      }
      field = separator + 1;
      if (newline) {
        if (out.num_cells() - first_cell != num_columns_) {
          FailRecord(data, base, record, end, out, first_cell, separator, "wrong number of fields");
        }
        ++rows_;
        ++result.rows;
        consumed_ += field - record;
        record = field;
        first_cell = out.num_cells();
        result.consumed = static_cast<size_t>(record - data);
        if (result.rows == max_rows) return;
      }
    }
  }
  if (record != end) {
    out.TruncateCells(first_cell);
    result.incomplete = true;
  }
}

void AthenaCsvParser::FailRecord(const char* data, int64_t base, const char* record,
                                 const char* end, RowBatch& out, size_t first_cell, const char* at,
                                 const char* what) {
  out.TruncateCells(first_cell);
  // The strict parser names the precise error; a record it accepts has a wrong field count.
  RowBatch scratch(1);
  const RecordContext ctx{data, base, rows_ + 1};
  const char* p = record;
  size_t fields = 0;
  if (ParseRecord(p, end, scratch, ctx) == RecordStatus::kComplete) fields = scratch.num_cells();
  std::string message = "Athena result CSV: ";
  if (fields != 0 && fields != num_columns_) {
    message += "wrong number of fields (" + std::to_string(fields) + ", expected " +
               std::to_string(num_columns_) + ")";
  } else {
    message += what;
  }
  throw common::ProtocolError(message + " in row " + std::to_string(rows_ + 1) +
                              " (record at byte " + std::to_string(base + (record - data)) +
                              ", error at byte " + std::to_string(base + (at - data)) + ")");
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
    // A stray quote earlier in the record also leaves the quote open: name it if so.
    RowBatch scratch(1);
    const char* p = carry_.data();
    ParseRecord(p, carry_.data() + carry_.size(), scratch,
                RecordContext{carry_.data(), consumed_, header_done_ ? rows_ + 1 : 0});
    throw common::ProtocolError(
        "Athena result CSV: quote still open at end of file in " +
        (header_done_ ? "row " + std::to_string(rows_ + 1) : std::string("the header")) +
        " (record at byte " + std::to_string(consumed_) + ")");
  }
  carry_.push_back('\n');  // the final record lacks its newline
  const ParseResult r =
      ParseBuffer(carry_.data(), carry_.size(), consumed_, out, std::numeric_limits<size_t>::max());
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

}  // namespace ac::results
