// Athena's text of array/map/row values to JSON (athena/complex_json.h): whatever the text, the
// writer either refuses it (false, output unchanged) or appends exactly one valid JSON value.
//
// Input: first line = the declared type (Hive or Trino syntax, e.g.
// `array<struct<a:int,b:string>>`; a bare `array`/`map`/`row` is ColumnInfo's type without element
// types), the rest = the value's text, e.g. `[{a=1, b=x}]`.

#include <nlohmann/json.hpp>

#include <string>

#include "athena/complex_json.h"
#include "athena/types.h"
#include "fuzz_input.h"
#include "fuzz_target.h"

AC_FUZZ_TARGET(complex_json) {
  ac::fuzz::Input input(data, size);
  const std::string_view type_text = input.Line();
  const std::string_view text = input.rest();
  ac::athena::AthenaType type = ac::athena::ParseDeclaredType(type_text);
  // The round trip of the type's own text must give the same type back.
  AC_FUZZ_CHECK(ac::athena::ParseDeclaredType(type.ToString()).ToString() == type.ToString());
  if (!type.is_complex()) type = ac::athena::TypeFromColumnInfo(type_text, 0, 0);
  if (!type.is_complex()) return 0;

  const std::string prefix = "[1,";
  std::string out = prefix;
  ac::athena::ComplexJsonWriter writer;
  if (!writer.Append(type, text, out)) {
    AC_FUZZ_CHECK(out == prefix);
    return 0;
  }
  if (!nlohmann::json::accept(out + "]")) {
    std::fprintf(stderr, "type %s: not JSON: %s]\n", type.ToString().c_str(), out.c_str());
    AC_FUZZ_CHECK(false);
  }
  // A second call on the same (reused) writer gives the same JSON.
  std::string again;
  AC_FUZZ_CHECK(writer.Append(type, text, again));
  AC_FUZZ_CHECK(prefix + again == out);
  return 0;
}
