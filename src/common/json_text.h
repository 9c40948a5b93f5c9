#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ac::common {

/// Length of the valid UTF-8 sequence at `p` (1..4 bytes; shortest form, no surrogates, at most
/// U+10FFFF), or 0 when the bytes there are not one.
size_t Utf8SequenceLength(const unsigned char* p, size_t available);

/// Appends `text` escaped for the inside of a JSON string: `"`, `\` and control characters
/// escaped (`\n`, `\u001f`, ...), valid UTF-8 kept as it is, each invalid byte as U+FFFD; with
/// `escape_del` also U+007F (a terminal control, for log lines).
void AppendJsonEscaped(std::string& out, std::string_view text, bool escape_del = false);

/// Appends `text` as a JSON string literal: `"` + AppendJsonEscaped + `"`.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace ac::common
