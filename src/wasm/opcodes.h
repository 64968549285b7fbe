// Opcodes, generated from opcodes.def and simd_opcodes.def (the single source of truth):
// `enum class Op`, each opcode's immediate kind, text name and operand signature, and the
// (prefix, code) -> Op lookup the instruction decoder uses. Everything here is constexpr;
// adding an instruction is a row in a .def file plus, for a new kind of immediate, one case
// in instruction.cc.
// Spec: https://webassembly.github.io/spec/core/binary/instructions.html
#pragma once

#include <array>
#include <string_view>

#include "base/assert.h"
#include "base/types.h"
#include "wasm/types.h"

namespace esta::wasm {

// The value of an Op is (prefix << 8) + code; prefix is 0 for single-byte opcodes. The sum
// (rather than an or) keeps values distinct should a prefix ever use codes of 0x100 and up
// (relaxed SIMD, not part of 2.0, does); every 2.0 code is below 0x100, which the lookup
// tables below rely on and check at compile time.
enum class Op : u16 {
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) \
    identifier = ((prefix) << 8) + (code),
#include "wasm/opcodes.def"
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
};

// The shape of an instruction's immediates in the binary (instruction.h decodes them).
enum class ImmediateKind : u8 {
    None,
    BlockType,     // 0x40 | valtype | s33 type index
    LabelIndex,    // u32
    BrTable,       // vec(labelidx) labelidx
    FuncIndex,     // u32
    CallIndirect,  // typeidx tableidx
    SelectTypes,   // vec(valtype)
    LocalIndex,    // u32
    GlobalIndex,   // u32
    TableIndex,    // u32
    ElemIndex,     // u32
    DataIndex,     // u32
    MemoryIndex,   // a zero byte in 2.0 (multi-memory would make it a u32)
    MemArg,        // align:u32 offset:u32
    I32,           // s32
    I64,           // s64
    F32,           // 4 bytes, little-endian
    F64,           // 8 bytes, little-endian
    RefType,       // 0x70 | 0x6F
    MemoryInit,    // dataidx, then a zero byte
    MemoryCopy,    // two zero bytes
    TableInit,     // elemidx tableidx
    TableCopy,     // tableidx tableidx (destination first)
    // SIMD (0xFD) immediates.
    MemArgLane,  // align:u32 offset:u32, then a lane index byte
    V128Const,   // 16 bytes, little-endian
    Shuffle,     // 16 lane index bytes
    Lane,        // a lane index byte
};

// The fixed operand signature of an instruction ("i32 i32 -> i32"). Instructions whose
// types depend on context (control, variables, references, select, drop) have none.
struct Signature {
    std::array<ValType, 3> params{};
    u8 param_count = 0;
    u8 result_count = 0;
    ValType result = ValType::I32;
    bool fixed = false;
};

namespace detail {

// Not constexpr: reaching it while building the constexpr tables below fails the build,
// which is how a typo in opcodes.def is reported.
[[noreturn]] void opcode_table_error(const char* what);

constexpr ValType parse_val_type(std::string_view token) {
    if (token == "i32") return ValType::I32;
    if (token == "i64") return ValType::I64;
    if (token == "f32") return ValType::F32;
    if (token == "f64") return ValType::F64;
    if (token == "v128") return ValType::V128;
    if (token == "funcref") return ValType::FuncRef;
    if (token == "externref") return ValType::ExternRef;
    opcode_table_error("unknown value type in a signature");
}

// Parses "i32 i64 -> f32" at compile time.
constexpr Signature parse_signature(std::string_view text) {
    Signature signature;
    if (text.empty()) return signature;
    signature.fixed = true;
    bool after_arrow = false;
    std::size_t position = 0;
    while (position < text.size()) {
        if (text[position] == ' ') {
            ++position;
            continue;
        }
        std::size_t end = text.find(' ', position);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view token = text.substr(position, end - position);
        position = end;
        if (token == "->") {
            after_arrow = true;
        } else if (after_arrow) {
            if (signature.result_count == 1) opcode_table_error("more than one result");
            signature.result = parse_val_type(token);
            signature.result_count = 1;
        } else {
            if (signature.param_count == 3) opcode_table_error("more than three params");
            signature.params[signature.param_count++] = parse_val_type(token);
        }
    }
    return signature;
}

}  // namespace detail

// Prefix bytes that introduce a u32-encoded sub-opcode.
inline constexpr u8 kPrefixMisc = 0xFC;
inline constexpr u8 kPrefixSimd = 0xFD;

struct OpcodeInfo {
    Op op;
    u8 prefix;  // 0, kPrefixMisc or kPrefixSimd.
    u32 code;   // The byte, or the sub-opcode after the prefix.
    ImmediateKind immediate;
    std::string_view name;  // The text format's name ("i32.add").
    Signature signature;
};

// Counted first so that kOpcodes names its size: deducing it from 400-odd initializers
// exceeds clang 14's fold-expression nesting limit in std::array's deduction guide.
inline constexpr std::size_t kOpcodeCount = 0
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) +1
#include "wasm/opcodes.def"
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
    ;

inline constexpr std::array<OpcodeInfo, kOpcodeCount> kOpcodes = {{
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) \
    OpcodeInfo{Op::identifier,                                            \
               (prefix),                                                  \
               (code),                                                    \
               ImmediateKind::immediate,                                  \
               std::string_view(text),                                    \
               detail::parse_signature(signature)},
#include "wasm/opcodes.def"
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
}};

namespace detail {

inline constexpr u16 kNotAnOpcode = 0xFFFF;

// Position in kOpcodes of each code under one prefix, or kNotAnOpcode.
constexpr std::array<u16, 256> opcode_positions(u8 prefix) {
    std::array<u16, 256> positions{};
    for (auto& position : positions)
        position = kNotAnOpcode;
    for (std::size_t i = 0; i < kOpcodes.size(); ++i) {
        const OpcodeInfo& info = kOpcodes[i];
        if (info.prefix != prefix) continue;
        if (info.code > 0xFF) opcode_table_error("a code of 0x100 or more needs a wider table");
        if (positions[info.code] != kNotAnOpcode) opcode_table_error("a code is listed twice");
        positions[info.code] = static_cast<u16>(i);
    }
    return positions;
}

inline constexpr std::array<u16, 256> kSingleBytePositions = opcode_positions(0);
inline constexpr std::array<u16, 256> kMiscPositions = opcode_positions(kPrefixMisc);
inline constexpr std::array<u16, 256> kSimdPositions = opcode_positions(kPrefixSimd);

}  // namespace detail

// The table row of `code` under `prefix` (0 for single-byte opcodes), or nullptr when the
// pair is not an instruction this engine knows.
constexpr const OpcodeInfo* find_opcode(u8 prefix, u32 code) {
    if (code > 0xFF) return nullptr;
    u16 position = detail::kNotAnOpcode;
    if (prefix == 0) {
        position = detail::kSingleBytePositions[code];
    } else if (prefix == kPrefixMisc) {
        position = detail::kMiscPositions[code];
    } else if (prefix == kPrefixSimd) {
        position = detail::kSimdPositions[code];
    }
    return position == detail::kNotAnOpcode ? nullptr : &kOpcodes[position];
}

// The table row of a valid Op.
constexpr const OpcodeInfo& opcode_info(Op op) {
    const u16 value = static_cast<u16>(op);
    const OpcodeInfo* info = find_opcode(static_cast<u8>(value >> 8), value & 0xFF);
    ESTA_ASSERT(info != nullptr);
    return *info;
}

// "i32.add"; "<unknown>" for a value that is not an Op.
std::string_view op_name(Op op);

}  // namespace esta::wasm
