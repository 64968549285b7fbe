#include "kernel/module_sections.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace esta::kernel {
namespace {

constexpr std::array<u8, 8> kPreamble = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

Error malformed(const char* context, std::size_t offset) {
    return Err(Status::Malformed, context, Detail{.offset = offset});
}

void append_leb_u32(std::vector<u8>& out, u32 value) {
    do {
        u8 byte = value & 0x7f;
        value >>= 7;
        if (value != 0) byte |= 0x80;
        out.push_back(byte);
    } while (value != 0);
}

}  // namespace

Result<std::vector<RawSection>> list_sections(ByteSpan module) {
    if (module.size() < kPreamble.size() ||
        !std::equal(kPreamble.begin(), kPreamble.end(), module.begin()))
        return malformed("not a WebAssembly 1.0 binary (magic or version)", 0);
    if (module.size() > UINT32_MAX) return malformed("module larger than 4 GiB", 0);
    ByteReader reader(module);
    (void)reader.skip(kPreamble.size());
    std::vector<RawSection> sections;
    while (!reader.at_end()) {
        RawSection section;
        section.start = static_cast<u32>(reader.position());
        section.id = ESTA_TRY(reader.read_u8());
        auto size = reader.read_leb_u32();
        if (!size) return malformed("section size is not a valid LEB128 u32", reader.offset());
        if (*size > reader.remaining())
            return malformed("section size runs past the end of the module", reader.offset());
        const std::size_t contents_start = reader.position();
        section.end = static_cast<u32>(contents_start + *size);
        section.payload_start = static_cast<u32>(contents_start);
        if (section.id == 0) {
            auto contents = ESTA_TRY(reader.sub_reader(*size));
            auto name = contents.read_name();
            if (!name) return malformed("custom section name is malformed", contents_start);
            section.name = std::string(*name);
            section.payload_start = static_cast<u32>(contents_start + contents.position());
        } else {
            (void)reader.skip(*size);
        }
        sections.push_back(std::move(section));
    }
    return sections;
}

std::vector<const RawSection*> find_custom_sections(const std::vector<RawSection>& sections,
                                                    std::string_view name) {
    std::vector<const RawSection*> found;
    for (const RawSection& section : sections)
        if (section.is_custom(name)) found.push_back(&section);
    return found;
}

std::vector<u8> without_custom_sections(ByteSpan module, const std::vector<RawSection>& sections,
                                        std::string_view name) {
    std::vector<u8> out;
    out.reserve(module.size());
    std::size_t copied = 0;
    for (const RawSection& section : sections) {
        if (!section.is_custom(name)) continue;
        out.insert(out.end(), module.begin() + copied, module.begin() + section.start);
        copied = section.end;
    }
    out.insert(out.end(), module.begin() + copied, module.end());
    return out;
}

void append_custom_section(std::vector<u8>& module, std::string_view name, ByteSpan payload) {
    std::vector<u8> contents;
    append_leb_u32(contents, static_cast<u32>(name.size()));
    contents.insert(contents.end(), name.begin(), name.end());
    contents.insert(contents.end(), payload.begin(), payload.end());
    module.push_back(0);
    append_leb_u32(module, static_cast<u32>(contents.size()));
    module.insert(module.end(), contents.begin(), contents.end());
}

}  // namespace esta::kernel
