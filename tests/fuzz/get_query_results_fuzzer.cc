// GetQueryResults response bodies (athena::ParseGetQueryResults, the api fetcher's page decoder)
// into a RowBatch, then through the ValueDecoder with the page's ColumnInfo types.
//
// Input: byte 0 = bit 0 skip the header row (a SELECT's first page), then the JSON body.

#include <string>

#include "athena/athena_client.h"
#include "athena/row_batch.h"
#include "athena/value_decoder.h"
#include "common/error.h"
#include "common/value.h"
#include "fuzz_input.h"
#include "fuzz_target.h"

AC_FUZZ_TARGET(get_query_results) {
  ac::fuzz::Input input(data, size);
  const bool skip_header = (input.Byte() & 1) != 0;
  ac::athena::RowBatch rows;
  ac::athena::ResultsPage page;
  try {
    page = ac::athena::ParseGetQueryResults(input.rest(), skip_header, rows);
  } catch (const ac::common::ProtocolError&) {
    return 0;
  }
  AC_FUZZ_CHECK(rows.num_columns() == page.columns.size());
  AC_FUZZ_CHECK(rows.num_cells() == page.rows * page.columns.size());
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    for (size_t c = 0; c < rows.num_columns(); ++c) {
      if (rows.is_null(r, c)) AC_FUZZ_CHECK(rows.cell(r, c).empty());
    }
  }
  ac::athena::ValueDecoder decoder(page.columns);
  ac::common::ValueBatch values;
  try {
    decoder.Decode(rows, values);
  } catch (const ac::common::ProtocolError&) {
  }
  return 0;
}
