// The `name` custom section, read leniently: names only ever improve messages, so a
// broken name section must never cost the module.
// Spec: https://webassembly.github.io/spec/core/appendix/custom.html#name-section
#include <string>
#include <unordered_map>

#include "wasm/parser.h"

namespace esta::wasm {

namespace {

constexpr u8 kModuleNameSubsection = 0;
constexpr u8 kFunctionNamesSubsection = 1;

Result<std::string> read_module_name(ByteReader& reader) {
    const std::string_view name = ESTA_TRY(reader.read_name());
    return std::string(name);
}

Result<std::unordered_map<u32, std::string>> read_function_names(ByteReader& reader,
                                                                 u32 max_names) {
    const u32 count = ESTA_TRY(reader.read_leb_u32());
    // A map entry costs far more memory than its two bytes of input, so the count is
    // capped as well.
    if (count > max_names) {
        return Err(Status::Limit, "name: too many function names",
                   Detail{.offset = reader.offset(), .limit = max_names, .actual = count});
    }
    // Each entry takes at least two bytes; a larger count is malformed, and checking it
    // first keeps the map's growth bounded by the input.
    if (count > reader.remaining() / 2) {
        return Err(Status::Malformed, "name: unexpected end", Detail{.offset = reader.offset()});
    }
    std::unordered_map<u32, std::string> names;
    names.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        const u32 index = ESTA_TRY(reader.read_leb_u32());
        const std::string_view name = ESTA_TRY(reader.read_name());
        names.insert_or_assign(index, std::string(name));
    }
    return names;
}

}  // namespace

void decode_name_section(ByteSpan contents, std::size_t base_offset, u32 max_function_names,
                         Module& module) {
    ByteReader reader(contents, base_offset);
    while (!reader.at_end()) {
        const auto id = reader.read_u8();
        if (!id) return;
        const auto size = reader.read_leb_u32();
        if (!size) return;
        auto subsection = reader.sub_reader(*size);
        if (!subsection) return;
        if (*id == kModuleNameSubsection) {
            auto name = read_module_name(*subsection);
            if (name && subsection->at_end()) module.module_name = std::move(*name);
        } else if (*id == kFunctionNamesSubsection) {
            auto names = read_function_names(*subsection, max_function_names);
            if (names && subsection->at_end()) module.function_names = std::move(*names);
        }
        // Other subsections (locals, labels, ...) are not used yet.
    }
}

}  // namespace esta::wasm
