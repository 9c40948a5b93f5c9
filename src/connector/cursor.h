#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "athena/types.h"
#include "athena/value_decoder.h"
#include "common/value.h"

namespace ac::connector {

/// SQL literal of a cursor value of the given Athena type. The value is checked against the
/// grammar of the type's literal (integers are re-printed from their parsed value; decimals,
/// doubles, dates and timestamps must be digits and separators only), other types are quoted:
/// text from a saved state never reaches the SQL otherwise. Throws common::ConfigError (a state
/// this connector did not write) for a value that is not of its type.
std::string CursorLiteral(const std::string& type_text, const std::string& value);

/// The condition of an incremental read, `"<cursor_column>" >= ?`, with the literal of the saved
/// cursor value (of Athena type `cursor_type`, CursorLiteral) appended to `parameters`: the value
/// travels as an ExecutionParameter, never in the SQL text.
std::string CursorCondition(const std::string& cursor_column, const std::string& cursor_type,
                            const std::string& cursor_value, std::vector<std::string>& parameters);

/// Orders two non-null decoded cursor values of the same type.
int CompareCursor(const common::Value& a, const common::Value& b);

/// Running maximum of the cursor column over the rows delivered (owned copies of text payloads).
class CursorTracker {
 public:
  explicit CursorTracker(const athena::Column& column) : decoder_({column}) {}

  void Offer(std::string_view athena_text, const common::Value& value);
  /// Starts from a previously saved Athena text.
  void Seed(const std::string& athena_text);
  bool has_value() const { return has_value_; }
  const std::string& text() const { return text_; }

 private:
  athena::ValueDecoder decoder_;
  bool has_value_ = false;
  std::string text_;
  std::string payload_;
  common::Value value_;
};

}  // namespace ac::connector
