// Error: a status, a static context string, and a few numbers. Never allocates, so it is
// safe on hot paths; text with positions belongs in Diagnostic (diagnostic.h).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace esta {

// Numbers that make an error specific ("payload 1048577 > 1048576"). Unused fields stay
// at kUnset so formatting can skip them.
struct Detail {
    static constexpr std::uint64_t kUnset = ~std::uint64_t{0};
    std::uint64_t index = kUnset;
    std::uint64_t offset = kUnset;
    std::uint64_t limit = kUnset;
    std::uint64_t actual = kUnset;
};

struct Error {
    Status code = Status::Internal;
    const char* context = "";  // A static string: where and what ("endpoint.send").
    Detail detail{};

    // "AccessDenied: endpoint.send (index 3)": for logs and CLI messages.
    std::string to_string() const;
};

inline Error Err(Status code, const char* context, Detail detail = {}) {
    return Error{code, context, detail};
}

}  // namespace esta
