#include "wasm/section.h"

#include <array>
#include <cstring>

namespace esta::wasm {

namespace {

// ByteReader's messages (base/bytes.cc), in the order of SectionMessages' fields.
constexpr std::array<const char*, 4> kReaderMessages = {
    "unexpected end of input", "integer too large", "integer representation too long",
    "malformed UTF-8 encoding"};

using SectionMessages = std::array<const char*, 4>;

#define ESTA_SECTION_MESSAGES(name)                                                     \
    SectionMessages {                                                                   \
        name ": unexpected end", name ": integer too large",                            \
            name ": integer representation too long", name ": malformed UTF-8 encoding" \
    }

constexpr std::array<SectionMessages, kLastSectionId + 1> kSectionMessages = {
    ESTA_SECTION_MESSAGES("custom"),     ESTA_SECTION_MESSAGES("type"),
    ESTA_SECTION_MESSAGES("import"),     ESTA_SECTION_MESSAGES("function"),
    ESTA_SECTION_MESSAGES("table"),      ESTA_SECTION_MESSAGES("memory"),
    ESTA_SECTION_MESSAGES("global"),     ESTA_SECTION_MESSAGES("export"),
    ESTA_SECTION_MESSAGES("start"),      ESTA_SECTION_MESSAGES("element"),
    ESTA_SECTION_MESSAGES("code"),       ESTA_SECTION_MESSAGES("data"),
    ESTA_SECTION_MESSAGES("data count"),
};

#undef ESTA_SECTION_MESSAGES

}  // namespace

Error in_section(Error error, SectionId section) {
    const auto id = static_cast<u8>(section);
    if (id > kLastSectionId) return error;
    for (std::size_t i = 0; i < kReaderMessages.size(); ++i) {
        if (std::strcmp(error.context, kReaderMessages[i]) == 0) {
            error.context = kSectionMessages[id][i];
            break;
        }
    }
    return error;
}

}  // namespace esta::wasm
