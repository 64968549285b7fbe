#include "base/diagnostic.h"

#include <cstdio>

namespace esta {

std::string Diagnostic::to_string() const {
    // Built by appending only: g++ 12 at -O3 misreports -Wrestrict on chains of
    // `a + b + c` with temporaries.
    std::string text = where;
    if (line) {
        text += ':';
        text += std::to_string(*line);
    }
    auto separate = [&text] {
        if (!text.empty()) text += ", ";
    };
    if (index) {
        separate();
        text += "index ";
        text += std::to_string(*index);
    }
    if (offset) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "offset 0x%llx",
                      static_cast<unsigned long long>(*offset));
        separate();
        text += buffer;
    }
    if (!text.empty()) text += ": ";
    text += message;
    return text;
}

Diagnostic Diagnostic::from_error(const Error& error, std::string where) {
    Diagnostic diagnostic;
    diagnostic.code = error.code;
    diagnostic.message = error.context;
    diagnostic.where = std::move(where);
    if (error.detail.offset != Detail::kUnset) diagnostic.offset = error.detail.offset;
    if (error.detail.index != Detail::kUnset)
        diagnostic.index = static_cast<std::uint32_t>(error.detail.index);
    return diagnostic;
}

std::string to_string(const Diagnostics& diagnostics) {
    std::string text;
    for (const auto& diagnostic : diagnostics) {
        text += diagnostic.to_string();
        text += '\n';
    }
    return text;
}

}  // namespace esta
