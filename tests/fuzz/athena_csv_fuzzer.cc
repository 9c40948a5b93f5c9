// Athena's result CSV (results/athena_csv.h) fed in arbitrary pieces: the rows, the header, the
// consumed offset and the error message must not depend on where the input was cut.
//
// Input: byte 0 = options (bits 0-2 num_columns, 0 = from the header; bit 3 resume without
// header; bit 4 FeedRows with a few rows at a time; bit 5 max_record_bytes 64; bit 6 the .txt
// result parser instead), byte 1 = seed of the cut points, then the file's bytes.

#include <optional>
#include <string>
#include <vector>

#include "athena/row_batch.h"
#include "common/error.h"
#include "fuzz_input.h"
#include "fuzz_target.h"
#include "results/athena_csv.h"

namespace {

using ac::athena::RowBatch;
using ac::results::AthenaCsvOptions;
using ac::results::AthenaCsvParser;

struct Outcome {
  std::vector<std::string> header;
  std::vector<std::optional<std::string>> cells;
  int64_t consumed = 0;
  int64_t rows = 0;
  std::optional<std::string> error;
};

void Collect(RowBatch& batch, Outcome& outcome) {
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      outcome.cells.push_back(batch.is_null(r, c) ? std::nullopt
                                                  : std::optional(std::string(batch.cell(r, c))));
    }
  }
  batch.Clear();
}

Outcome Parse(std::string_view csv, const AthenaCsvOptions& options,
              const std::vector<size_t>& cuts, size_t max_rows) {
  Outcome outcome;
  AthenaCsvParser parser(options);
  RowBatch batch(options.num_columns);
  try {
    size_t begin = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      const size_t end = i < cuts.size() ? cuts[i] : csv.size();
      std::string_view piece = csv.substr(begin, end - begin);
      begin = end;
      if (max_rows == 0) {
        const size_t rows = parser.Feed(piece, batch);
        AC_FUZZ_CHECK(rows == batch.num_rows());
        Collect(batch, outcome);
        continue;
      }
      while (!piece.empty()) {
        const size_t used = parser.FeedRows(piece, batch, max_rows);
        AC_FUZZ_CHECK(used <= piece.size());
        AC_FUZZ_CHECK(batch.num_rows() <= max_rows);
        AC_FUZZ_CHECK(used > 0 || batch.num_rows() > 0);  // progress
        Collect(batch, outcome);
        piece.remove_prefix(used);
      }
    }
    parser.Finish(batch);
    Collect(batch, outcome);
    AC_FUZZ_CHECK(parser.carry_bytes() == 0);
    AC_FUZZ_CHECK(parser.consumed_record_bytes() ==
                  options.start_offset + static_cast<int64_t>(csv.size()));
  } catch (const ac::common::ProtocolError& e) {
    outcome.error = e.what();
    outcome.cells.clear();
  }
  outcome.header = parser.header();
  outcome.consumed = parser.consumed_record_bytes();
  outcome.rows = parser.rows();
  if (!outcome.error && parser.num_columns() > 0) {
    AC_FUZZ_CHECK(outcome.cells.size() ==
                  static_cast<size_t>(outcome.rows - options.start_row) * parser.num_columns());
  }
  return outcome;
}

bool TooLong(const Outcome& outcome) {
  return outcome.error && outcome.error->find("is longer than") != std::string::npos;
}

}  // namespace

AC_FUZZ_TARGET(athena_csv) {
  ac::fuzz::Input input(data, size);
  const uint8_t flags = input.Byte();
  const uint8_t seed = input.Byte();
  const std::string_view csv = input.rest();

  if (flags & 0x40) {
    const size_t columns = 1 + (flags & 7);
    RowBatch batch;
    ac::results::ParseAthenaTextResult(csv, columns, batch);
    AC_FUZZ_CHECK(batch.num_cells() == batch.num_rows() * columns);
    return 0;
  }

  AthenaCsvOptions options;
  options.num_columns = flags & 7;
  if (flags & 8) {
    options.has_header = false;
    if (options.num_columns == 0) options.num_columns = 1;
    options.start_offset = 1000;
    options.start_row = 7;
  }
  if (flags & 0x20) options.max_record_bytes = 64;
  const size_t max_rows = (flags & 0x10) ? 1 + seed % 3 : 0;

  const Outcome whole = Parse(csv, options, {}, 0);
  const Outcome pieces = Parse(csv, options, ac::fuzz::Cuts(csv.size(), seed), max_rows);
  // A record longer than max_record_bytes is refused only when it has to be carried over a cut.
  if (TooLong(whole) || TooLong(pieces)) return 0;
  AC_FUZZ_CHECK(whole.error == pieces.error);
  AC_FUZZ_CHECK(whole.header == pieces.header);
  if (!whole.error) {
    AC_FUZZ_CHECK(whole.cells == pieces.cells);
    AC_FUZZ_CHECK(whole.consumed == pieces.consumed);
    AC_FUZZ_CHECK(whole.rows == pieces.rows);
  }
  return 0;
}
