// The instruction decoder shared by the validator and the lowering pass: it turns the bytes
// of a function body (or a constant expression) into one Instruction at a time, with every
// immediate decoded. It checks the encoding only (malformed input); whether the
// instruction is valid where it stands is the validator's job.
// Spec: https://webassembly.github.io/spec/core/binary/instructions.html
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "wasm/limits.h"
#include "wasm/opcodes.h"
#include "wasm/types.h"

namespace esta::wasm {

// A block's type: nothing, one result, or a function type (multi-value) by index.
struct BlockType {
    enum class Kind : u8 { Empty, Value, Index };
    Kind kind = Kind::Empty;
    ValType value = ValType::I32;  // Kind::Value
    TypeIndex index{};             // Kind::Index
};

// Alignment (log2 of bytes) and constant offset of a load or store.
struct MemArg {
    u32 align = 0;
    u32 offset = 0;
    MemoryIndex memory{};  // Always 0 in WebAssembly 2.0.
};

// One decoded instruction. Which immediates are meaningful follows opcode_info(op).immediate;
// the others keep their defaults.
struct Instruction {
    Op op = Op::nop;
    const OpcodeInfo* info = nullptr;  // opcode_info(op), looked up once by the reader.
    u32 offset = 0;                    // Byte offset of the opcode in the module binary.

    // The first index immediate: the label of br/br_if (and the default label of br_table),
    // or the function, local, global, table, element segment, data segment or memory
    // index, or the type index of call_indirect.
    u32 index = 0;
    // The second index immediate: the table of call_indirect and table.init, the source
    // table of table.copy (index is the destination), the memory of memory.init, the
    // source memory of memory.copy.
    u32 other_index = 0;

    BlockType block;  // block, loop, if
    MemArg memarg;    // Loads and stores.
    // Constant bits, little-endian in the low bytes: i32 (zero-extended), i64, f32, f64.
    u64 bits = 0;
    // ref.null: the reference type. select_typed: the first (in 2.0, the only) type.
    ValType type = ValType::I32;
    u32 select_arity = 0;  // select_typed: how many types the binary listed.
    // The lane index of extract_lane, replace_lane and the lane loads and stores, as
    // decoded (the validator checks it against the shape's lane count).
    u8 lane = 0;
    // v128.const: the value, little-endian (byte i is lane i of i8x16). i8x16.shuffle: the
    // 16 lane indices, as decoded (the validator checks each is below 32).
    std::array<u8, 16> bytes{};
    // br_table: the labels before the default one. Points into the reader that decoded
    // the instruction and stays valid until its next read().
    std::span<const u32> targets;

    i32 i32_value() const { return static_cast<i32>(static_cast<u32>(bits)); }
    i64 i64_value() const { return static_cast<i64>(bits); }
};

// The value type a byte encodes, or nullopt.
std::optional<ValType> decode_val_type(u8 byte);

// Decodes instructions from a byte range, one at a time, without allocating except for
// the br_table target buffer (reused, and bounded by `max_br_table_targets`). Single-byte
// opcodes and one-byte LEB128 immediates (the common case) take an inline fast path;
// longer encodings go through ByteReader's checked decoder.
class InstructionReader {
  public:
    // `base_offset` is the offset of `code` in the module binary, so instruction offsets
    // and error offsets are module offsets.
    InstructionReader(ByteSpan code, std::size_t base_offset,
                      u32 max_br_table_targets = ModuleLimits{}.br_table_targets)
        : m_code(code), m_base_offset(base_offset), m_max_br_table_targets(max_br_table_targets) {}

    bool at_end() const { return m_position == m_code.size(); }
    std::size_t offset() const { return m_base_offset + m_position; }

    // Decodes the next instruction into `out`. Errors are Status::Malformed ("illegal
    // opcode" (also for a SIMD sub-opcode 2.0 does not define), "zero byte expected", "malformed
    // reference type", "malformed value type", LEB128 errors, "unexpected end") or Status::Limit (a
    // br_table over the limit), with the byte offset. On error the reader's position is
    // unspecified.
    Result<void> read(Instruction& out);

  private:
    Result<void> read_immediates(ImmediateKind kind, Instruction& out);
    Result<BlockType> read_block_type();
    Result<void> read_br_table(Instruction& out);
    Result<void> read_zero_byte();
    Result<void> read_bytes16(std::array<u8, 16>& out);

    Result<u8> read_byte();
    Result<u32> read_u32();
    // Decodes with a ByteReader positioned at the cursor, then advances past what it read.
    template <class T>
    Result<T> read_with(Result<T> (ByteReader::*method)());

    ByteSpan m_code;
    std::size_t m_position = 0;
    std::size_t m_base_offset = 0;
    std::vector<u32> m_targets;
    u32 m_max_br_table_targets;
};

}  // namespace esta::wasm
