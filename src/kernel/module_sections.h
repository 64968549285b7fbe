// The top-level sections of a wasm binary as byte ranges, without decoding their contents:
// what the module loader needs to find, strip and append the custom sections the kernel
// reads (`estalogic.manifest`, `estalogic.signature`) while keeping every other byte as it
// is. The full decode and validation stay the engine's (wasm::compile).
// Spec: https://webassembly.github.io/spec/core/binary/modules.html#sections
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

namespace esta::kernel {

inline constexpr std::string_view kManifestSectionName = "estalogic.manifest";
inline constexpr std::string_view kSignatureSectionName = "estalogic.signature";

// One section: [start, end) spans its id byte, size and contents; for a custom section,
// `name` is its name and [payload_start, end) the bytes after the name.
struct RawSection {
    u8 id = 0;
    std::string name;  // Custom sections only.
    u32 start = 0;
    u32 payload_start = 0;
    u32 end = 0;

    bool is_custom(std::string_view wanted) const { return id == 0 && name == wanted; }
    ByteSpan payload(ByteSpan module) const {
        return module.subspan(payload_start, end - payload_start);
    }
};

// Walks the sections of `module`. Status::Malformed (context says what, Detail::offset
// where) when the preamble is wrong, a size runs past the end, or a custom section's name
// is not a well-formed name. Cost: linear in the number of sections; never reads payloads.
Result<std::vector<RawSection>> list_sections(ByteSpan module);

// The sections named `name` (custom sections only), in module order.
std::vector<const RawSection*> find_custom_sections(const std::vector<RawSection>& sections,
                                                    std::string_view name);

// `module` without the custom sections named `name`; every other byte stays in place.
std::vector<u8> without_custom_sections(ByteSpan module, const std::vector<RawSection>& sections,
                                        std::string_view name);

// Appends a custom section `name` holding `payload` at the end of `module`.
void append_custom_section(std::vector<u8>& module, std::string_view name, ByteSpan payload);

}  // namespace esta::kernel
