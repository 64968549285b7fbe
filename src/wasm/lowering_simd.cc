// Lowering of the SIMD (0xFD) instructions. Every one is a single lowered instruction named
// like its opcode row; its operand types come from the row's signature, so a v128 operand is
// read from two slots and a v128 result written to two (lowering.h, "SIMD").
// Spec: https://webassembly.github.io/spec/core/binary/instructions.html#vector-instructions
#include <array>

#include "wasm/lowerer.h"

namespace esta::wasm::lowering_detail {
namespace {

// The lowered opcode of each SIMD row.
std::optional<LOp> simd_lop(Op op) {
    switch (op) {
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) \
    case Op::identifier:                                                  \
        return LOp::identifier;
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
        default:
            return std::nullopt;
    }
}

}  // namespace

Result<void> Lowerer::lower_simd(const Instruction& instruction) {
    const std::optional<LOp> lop = simd_lop(instruction.op);
    if (!lop || instruction.info == nullptr)
        return Err(Status::Invalid, "lowering: unsupported instruction", {.offset = m_offset});
    const Signature& signature = instruction.info->signature;

    // Operands, last first: each one's first slot (its local's, when lazy).
    std::array<u32, 3> operands{};
    for (u32 i = signature.param_count; i-- > 0;) {
        const u32 width = slot_count(signature.params[i]);
        if (m_height < m_frames.back().height + width || top_width() != width)
            return Err(Status::Invalid, "lowering: SIMD operands", {.offset = m_offset});
        operands[i] = m_operands[m_height - width];
        ESTA_TRY(pop(width));
    }
    LInstruction lowered{.op = *lop, .a = operands[0], .b = operands[1], .d = operands[2]};

    switch (instruction.info->immediate) {
        case ImmediateKind::MemArg:
            lowered.imm = instruction.memarg.offset;
            break;
        case ImmediateKind::MemArgLane:
            lowered.imm = instruction.memarg.offset | u64{instruction.lane} << 32;
            break;
        case ImmediateKind::Lane:
            lowered.imm = u64{instruction.lane} << 32;
            break;
        case ImmediateKind::V128Const:
        case ImmediateKind::Shuffle:
            lowered.imm = m_out.v128_constants.size();
            m_out.v128_constants.push_back(V128::from_bytes(instruction.bytes.data()));
            break;
        default:
            break;
    }

    if (signature.result_count == 0) {
        emit(lowered);
        return {};
    }
    return emit_result(lowered, signature.result);
}

}  // namespace esta::wasm::lowering_detail
