#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "athena/types.h"
#include "common/json_text.h"

namespace ac::athena {

/// Appends `text` as a JSON string literal (common/json_text.h: invalid UTF-8 bytes become U+FFFD,
/// so the output is always valid JSON).
using common::AppendJsonString;

/// True when `text` is a number in JSON's grammar (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`).
bool IsJsonNumber(std::string_view text);

/// Converts Athena's printed array/map/row values to JSON (see AppendComplexAsJson). Reusable:
/// keeps its working memory between calls, so converting many cells allocates nothing per cell.
///
/// Athena prints arrays as `[a, b]`, maps as `{k=v, k2=v2}` and rows as `{f=v, g=w}`, joining with
/// ", " and never quoting strings, so the text alone is ambiguous. The parser takes the outer span
/// of every value as exact (a container is its first to last character) and splits container
/// contents at ", " candidates, backtracking when an element does not parse as its declared type
/// (a bounded search). With a declared type tree, row fields are found by their names
/// (`, <next field>=`), numbers/booleans are checked, and strings may contain any character.
/// Map keys without ", " are preferred (`{k=a, b, k2=c}` reads as {"k":"a, b","k2":"c"}).
/// Limits that no parser can lift: a string element containing ", " inside an array is split in
/// two; a string whose text is exactly `null` becomes JSON null; an array holding one
/// empty string prints as `[]` and reads as an empty array; map keys containing `=` split at the
/// first `=`.
/// Without a type tree (ColumnInfo gives only `array`/`map`/`row`), scalars are inferred: `null`,
/// `true`/`false`, JSON-grammar numbers, everything else a string; `{...}` becomes an object
/// whether it was a map or a row. When a declared tree does not fit the text (e.g. engine v2's
/// `field0` names), the inference is used instead, keeping the outer kind.
class ComplexJsonWriter {
 public:
  /// Appends the JSON of `text`, a value of complex `type`; false (and `out` unchanged) when the
  /// text cannot be read as such a value.
  bool Append(const AthenaType& type, std::string_view text, std::string& out);

 private:
  struct Frame {
    size_t start;     ///< element start within the sequence content
    size_t search;    ///< where to look for the next ", " candidate (kDone when exhausted)
    size_t out_size;  ///< output size before this element
  };
  enum class Mode : uint8_t { kTyped, kInferStrict, kInferLenient };
  template <typename ElementFn>
  bool Sequence(std::string_view content, std::string& out, size_t& count, ElementFn&& element);

  bool Value(const AthenaType* type, std::string_view text, std::string& out);
  bool Scalar(TypeId id, std::string_view text, std::string& out);
  bool Array(const AthenaType* element, std::string_view text, std::string& out);
  bool Map(const AthenaType* key, const AthenaType* value, std::string_view text, std::string& out);
  bool MapEntry(const AthenaType* key, const AthenaType* value, size_t index,
                std::string_view entry, std::string& out);
  bool Row(const AthenaType& type, std::string_view text, std::string& out);
  bool RowFields(const AthenaType& type, std::string_view content, size_t index, size_t pos,
                 std::string& out);
  bool PositionalRow(const AthenaType& type, std::string_view content, std::string& out);
  void Infer(std::string_view text, std::string& out);
  bool Spend();

  Mode mode_ = Mode::kTyped;
  bool relaxed_keys_ = false;  ///< map keys may contain ", " (tried after the stricter reading)
  int64_t budget_ = 0;
  std::vector<Frame> frames_;
  std::string name_scratch_;
};

}  // namespace ac::athena
