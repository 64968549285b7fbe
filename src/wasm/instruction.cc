#include "wasm/instruction.h"

#include <cstring>

namespace esta::wasm {

std::optional<ValType> decode_val_type(u8 byte) {
    switch (byte) {
        case 0x7F:
        case 0x7E:
        case 0x7D:
        case 0x7C:
        case 0x7B:
        case 0x70:
        case 0x6F:
            return static_cast<ValType>(byte);
        default:
            return std::nullopt;
    }
}

template <class T>
Result<T> InstructionReader::read_with(Result<T> (ByteReader::*method)()) {
    ByteReader reader(m_code.subspan(m_position), offset());
    const T value = ESTA_TRY((reader.*method)());
    m_position += reader.position();
    return value;
}

inline Result<u8> InstructionReader::read_byte() {
    if (m_position == m_code.size()) {
        return Err(Status::Malformed, "code: unexpected end", Detail{.offset = offset()});
    }
    return m_code[m_position++];
}

inline Result<u32> InstructionReader::read_u32() {
    if (m_position < m_code.size() && m_code[m_position] < 0x80) return m_code[m_position++];
    return read_with(&ByteReader::read_leb_u32);
}

Result<void> InstructionReader::read(Instruction& out) {
    out = Instruction{};
    out.offset = static_cast<u32>(offset());
    const u8 first = ESTA_TRY(read_byte());
    const OpcodeInfo* info = nullptr;
    if (first == kPrefixMisc || first == kPrefixSimd) {
        // The sub-opcode is a u32 LEB128, so 0xFC 0x80 0x00 is the same instruction as 0xFC 0x00.
        const u32 code = ESTA_TRY(read_u32());
        info = find_opcode(first, code);
    } else {
        info = find_opcode(0, first);
    }
    if (info == nullptr) {
        return Err(Status::Malformed, "code: illegal opcode", Detail{.offset = out.offset});
    }
    out.op = info->op;
    out.info = info;
    if (info->immediate == ImmediateKind::None) return Ok();
    return read_immediates(info->immediate, out);
}

Result<void> InstructionReader::read_immediates(ImmediateKind kind, Instruction& out) {
    switch (kind) {
        case ImmediateKind::None:
            return Ok();
        case ImmediateKind::BlockType:
            out.block = ESTA_TRY(read_block_type());
            return Ok();
        case ImmediateKind::LabelIndex:
        case ImmediateKind::FuncIndex:
        case ImmediateKind::LocalIndex:
        case ImmediateKind::GlobalIndex:
        case ImmediateKind::TableIndex:
        case ImmediateKind::ElemIndex:
        case ImmediateKind::DataIndex:
            out.index = ESTA_TRY(read_u32());
            return Ok();
        case ImmediateKind::BrTable:
            return read_br_table(out);
        case ImmediateKind::CallIndirect:
            out.index = ESTA_TRY(read_u32());
            out.other_index = ESTA_TRY(read_u32());
            return Ok();
        case ImmediateKind::SelectTypes: {
            // The count is validated (2.0 allows exactly one type), so only decode here;
            // every type takes a byte, so the loop is bounded by the input.
            out.select_arity = ESTA_TRY(read_u32());
            for (u32 i = 0; i < out.select_arity; ++i) {
                const std::size_t at = offset();
                const auto type = decode_val_type(ESTA_TRY(read_byte()));
                if (!type) {
                    return Err(Status::Malformed, "code: malformed value type",
                               Detail{.offset = at});
                }
                if (i == 0) out.type = *type;
            }
            return Ok();
        }
        case ImmediateKind::MemoryIndex:
            // 2.0 reserves a single zero byte (not a LEB128 zero) for the memory index.
            return read_zero_byte();
        case ImmediateKind::MemArg:
            out.memarg.align = ESTA_TRY(read_u32());
            out.memarg.offset = ESTA_TRY(read_u32());
            return Ok();
        case ImmediateKind::MemArgLane:
            out.memarg.align = ESTA_TRY(read_u32());
            out.memarg.offset = ESTA_TRY(read_u32());
            out.lane = ESTA_TRY(read_byte());
            return Ok();
        case ImmediateKind::Lane:
            // A plain byte, not a LEB128: 0x80 is lane 128 (invalid), not a continuation.
            out.lane = ESTA_TRY(read_byte());
            return Ok();
        case ImmediateKind::V128Const:
        case ImmediateKind::Shuffle:
            return read_bytes16(out.bytes);
        case ImmediateKind::I32:
            out.bits = static_cast<u32>(ESTA_TRY(read_with(&ByteReader::read_leb_s32)));
            return Ok();
        case ImmediateKind::I64:
            out.bits = static_cast<u64>(ESTA_TRY(read_with(&ByteReader::read_leb_s64)));
            return Ok();
        case ImmediateKind::F32:
            out.bits = ESTA_TRY(read_with(&ByteReader::read_u32_le));
            return Ok();
        case ImmediateKind::F64:
            out.bits = ESTA_TRY(read_with(&ByteReader::read_u64_le));
            return Ok();
        case ImmediateKind::RefType: {
            const std::size_t at = offset();
            const u8 byte = ESTA_TRY(read_byte());
            const auto type = decode_val_type(byte);
            if (!type || !is_reference(*type)) {
                return Err(Status::Malformed, "code: malformed reference type",
                           Detail{.offset = at});
            }
            out.type = *type;
            return Ok();
        }
        case ImmediateKind::MemoryInit:
            out.index = ESTA_TRY(read_u32());
            return read_zero_byte();
        case ImmediateKind::MemoryCopy:
            ESTA_TRY(read_zero_byte());
            return read_zero_byte();
        case ImmediateKind::TableInit:
            out.index = ESTA_TRY(read_u32());
            out.other_index = ESTA_TRY(read_u32());
            return Ok();
        case ImmediateKind::TableCopy:
            out.index = ESTA_TRY(read_u32());
            out.other_index = ESTA_TRY(read_u32());
            return Ok();
    }
    ESTA_UNREACHABLE();
}

Result<BlockType> InstructionReader::read_block_type() {
    const std::size_t at = offset();
    if (at_end()) return Err(Status::Malformed, "code: unexpected end", Detail{.offset = at});
    const u8 first = m_code[m_position];
    if (first == 0x40) {
        ++m_position;
        return BlockType{};
    }
    if (const auto type = decode_val_type(first)) {
        ++m_position;
        return BlockType{.kind = BlockType::Kind::Value, .value = *type};
    }
    // Otherwise a type index, encoded as a non-negative signed 33-bit integer so that it
    // cannot be confused with the one-byte value type encodings (which are negative).
    const i64 index = ESTA_TRY(read_with(&ByteReader::read_leb_s33));
    if (index < 0) {
        return Err(Status::Malformed, "code: malformed value type", Detail{.offset = at});
    }
    return BlockType{.kind = BlockType::Kind::Index, .index = TypeIndex(static_cast<u32>(index))};
}

Result<void> InstructionReader::read_br_table(Instruction& out) {
    const std::size_t at = offset();
    const u32 count = ESTA_TRY(read_u32());
    if (count > m_max_br_table_targets) {
        return Err(Status::Limit, "code: too many br_table targets",
                   Detail{.offset = at, .limit = m_max_br_table_targets, .actual = count});
    }
    // Each label takes at least one byte, so a count beyond the remaining bytes is a
    // truncated instruction; checking first keeps the reservation bounded by the input.
    if (count > m_code.size() - m_position) {
        return Err(Status::Malformed, "code: unexpected end", Detail{.offset = at});
    }
    m_targets.clear();
    m_targets.reserve(count);
    for (u32 i = 0; i < count; ++i)
        m_targets.push_back(ESTA_TRY(read_u32()));
    out.index = ESTA_TRY(read_u32());
    out.targets = m_targets;
    return Ok();
}

Result<void> InstructionReader::read_bytes16(std::array<u8, 16>& out) {
    if (m_code.size() - m_position < out.size()) {
        return Err(Status::Malformed, "code: unexpected end", Detail{.offset = offset()});
    }
    std::memcpy(out.data(), m_code.data() + m_position, out.size());
    m_position += out.size();
    return Ok();
}

Result<void> InstructionReader::read_zero_byte() {
    const std::size_t at = offset();
    const u8 byte = ESTA_TRY(read_byte());
    if (byte != 0) return Err(Status::Malformed, "code: zero byte expected", Detail{.offset = at});
    return Ok();
}

}  // namespace esta::wasm
