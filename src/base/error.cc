#include "base/error.h"

namespace esta {

std::string Error::to_string() const {
    std::string text(status_name(code));
    text += ": ";
    text += context;
    std::string numbers;
    auto add = [&numbers](const char* label, std::uint64_t value) {
        if (value == Detail::kUnset) return;
        if (!numbers.empty()) numbers += ", ";
        numbers += label;
        numbers += ' ';
        numbers += std::to_string(value);
    };
    add("index", detail.index);
    add("offset", detail.offset);
    add("limit", detail.limit);
    add("actual", detail.actual);
    if (!numbers.empty()) text += " (" + numbers + ")";
    return text;
}

}  // namespace esta
