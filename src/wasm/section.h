// Section ids of the binary format, and the naming of decoding errors by section: the
// shared ByteReader reports "integer too large" without knowing where it was reading, and
// in_section() turns that into "type: integer too large" (Error::context is a static
// string, so every combination is spelled out once, here).
// Spec: https://webassembly.github.io/spec/core/binary/modules.html#sections
#pragma once

#include "base/error.h"
#include "base/types.h"

namespace esta::wasm {

enum class SectionId : u8 {
    Custom = 0,
    Type = 1,
    Import = 2,
    Function = 3,
    Table = 4,
    Memory = 5,
    Global = 6,
    Export = 7,
    Start = 8,
    Element = 9,
    Code = 10,
    Data = 11,
    DataCount = 12,
};
inline constexpr u8 kLastSectionId = 12;

// The error with its context prefixed by the section's name when it is one of the
// ByteReader's own (section-less) messages; any other error is returned unchanged.
Error in_section(Error error, SectionId section);

}  // namespace esta::wasm
