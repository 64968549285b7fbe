// Traps are values, never exceptions. Each kind carries its ABI code (REQUIREMENTS E-6).
#pragma once

#include <string_view>

#include "base/types.h"

namespace esta::wasm {

enum class TrapKind : u16 {
    None = 0,
    Timeout = 3001,        // The wall-clock watchdog raised the interrupt flag.
    OutOfMemory = 3002,    // A host-side allocation limit was reached.
    FuelExhausted = 3003,  // The fuel budget ran out (not a scheduling slice).
    Unreachable = 4001,
    IntegerDivideByZero = 4002,
    IntegerOverflow = 4003,       // Also invalid float-to-integer conversion.
    OutOfBounds = 4004,           // Memory or table access out of bounds.
    IndirectCallMismatch = 4005,  // Also a null or uninitialized table element.
    CallStackExhausted = 4006,
};

constexpr u16 trap_code(TrapKind kind) {
    return static_cast<u16>(kind);
}

// A trap as the embedder sees it: the kind, the spec's wording of the reason ("integer
// divide by zero", "undefined element", ...), and where it happened.
struct Trap {
    TrapKind kind = TrapKind::None;
    const char* reason = "";
    u32 function = 0;     // Function index in the module's index space.
    u32 code_offset = 0;  // Byte offset of the trapping instruction in the module binary.
};

}  // namespace esta::wasm
