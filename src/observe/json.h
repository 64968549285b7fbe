// Minimal JSON text helpers shared by the log formatter, the flight recorder export and the
// audit CLI. Writing only: observe never parses JSON.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/types.h"

namespace esta::observe {

// Appends `text` as a quoted JSON string (RFC 8259 escapes; control characters as \u00XX).
// Bytes that are not valid UTF-8 are replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

// Appends a JSON number for a double; NaN and infinities become strings ("NaN", "Infinity"),
// since JSON has no literal for them.
void append_json_double(std::string& out, f64 value);

// Lower-case hex of `bytes`.
std::string to_hex(ByteSpan bytes);

}  // namespace esta::observe
