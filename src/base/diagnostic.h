// Diagnostic: a user-facing message with a position, for cold paths (a validation error
// with section and offset, a manifest error with file, line and key, every failed envelope
// check). May allocate; hot paths use Error instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace esta {

struct Diagnostic {
    Status code = Status::Invalid;
    std::string message;                  // Plain words: what is wrong, and what to do.
    std::string where;                    // "section code", "app.toml", "envelope.id"...
    std::optional<std::uint64_t> offset;  // Byte offset, when the input is binary.
    std::optional<std::uint32_t> line;    // Line, when the input is text.
    std::optional<std::uint32_t> index;   // Function, record or element index.

    // "app.toml:12: processes.rules.priority: must be one of ..." / "code section, function
    // 3, offset 0x1a2: type mismatch".
    std::string to_string() const;
    static Diagnostic from_error(const Error& error, std::string where = {});
};

using Diagnostics = std::vector<Diagnostic>;

// One line per diagnostic.
std::string to_string(const Diagnostics& diagnostics);

}  // namespace esta
