#include "observe/trace/span_data.h"

namespace esta::observe {

std::string_view truncate_utf8(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    // Back up over continuation bytes (10xxxxxx) to the start of the cut sequence.
    while (end > 0 && (static_cast<u8>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

bool put_attribute(std::vector<Attribute>& attributes, std::string_view key, AttributeValue value) {
    if (auto* text = std::get_if<std::string>(&value))
        if (text->size() > kMaxAttributeValueLength)
            text->resize(truncate_utf8(*text, kMaxAttributeValueLength).size());
    for (Attribute& attribute : attributes) {
        if (attribute.key == key) {
            attribute.value = std::move(value);
            return true;
        }
    }
    if (attributes.size() >= kMaxSpanAttributes) return false;
    attributes.push_back({std::string(truncate_utf8(key, kMaxSpanNameLength)), std::move(value)});
    return true;
}

}  // namespace esta::observe
