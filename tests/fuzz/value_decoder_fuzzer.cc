// Athena's text cells to typed values (athena::ValueDecoder), for any declared type: a cell is
// decoded or refused with a ProtocolError naming it, never anything else.
//
// Input: first line = the column's type (declared syntax, e.g. `decimal(10,2)`,
// `timestamp with time zone`, `map<string,int>`; a ColumnInfo name when that gives nothing), then
// one cell per line; a line that is exactly `\N` is NULL.

#include <string>
#include <vector>

#include "athena/row_batch.h"
#include "athena/types.h"
#include "athena/value_decoder.h"
#include "common/error.h"
#include "common/value.h"
#include "fuzz_input.h"
#include "fuzz_target.h"

AC_FUZZ_TARGET(value_decoder) {
  ac::fuzz::Input input(data, size);
  const std::string_view type_text = input.Line();
  ac::athena::AthenaType type = ac::athena::ParseDeclaredType(type_text);
  if (type.id == ac::athena::TypeId::kUnknown) {
    type = ac::athena::TypeFromColumnInfo(type_text, 18, 3);
  }
  ac::athena::RowBatch rows(2);
  size_t lines = 0;
  while (!input.empty()) {
    const std::string_view cell = input.Line();
    if (cell == "\\N") {
      rows.AppendNull();
    } else {
      rows.AppendCell(cell);
    }
    rows.AppendCell(cell);  // the same text as varchar beside it
    ++lines;
  }
  ac::athena::AthenaType varchar;
  varchar.id = ac::athena::TypeId::kVarchar;
  ac::athena::ValueDecoder decoder({{"c", type}, {"s", varchar}});
  ac::common::ValueBatch values;
  try {
    decoder.Decode(rows, values);
  } catch (const ac::common::ProtocolError&) {
    return 0;
  }
  AC_FUZZ_CHECK(values.num_rows() == lines);
  for (size_t r = 0; r < lines; ++r) {
    AC_FUZZ_CHECK(values.at(r, 0).is_null == rows.is_null(r, 0));
    AC_FUZZ_CHECK(!values.at(r, 1).is_null);
    AC_FUZZ_CHECK(values.at(r, 1).type == ac::common::DataType::kString);
  }
  return 0;
}
