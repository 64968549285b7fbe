// The lowering pass's working state, shared by lowering.cc (control, variables, scalar
// instructions) and lowering_simd.cc (the 0xFD instructions). Private to those two files; the
// door is lowering.h.
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "wasm/instruction.h"
#include "wasm/lowering.h"

namespace esta::wasm::lowering_detail {

// Wasm instructions that fold into the next lowered instruction are counted here; a run
// this long gets a nop of its own so `count` stays within 16 bits.
constexpr u32 kMaxPendingCount = 60'000;
constexpr u32 kMaxFrameSlots = 1u << 24;
// Bounds the work of materializing lazy operands (each write to a local scans them).
constexpr std::size_t kMaxLazyOperands = 64;

// Which way a conditional branch tests its condition, and whether it is a back edge.
enum class BranchKind : u8 { If, IfBack, Unless };

struct Patch {
    u32 instruction = 0;
    // Index into br_table entries, or kNone for a branch instruction.
    u32 entry = kNone;
    static constexpr u32 kNone = std::numeric_limits<u32>::max();
};

// Heights, params and results are counted in slots: a v128 takes two.
struct ControlFrame {
    enum class Kind : u8 { Function, Block, Loop, If, Else };
    Kind kind = Kind::Block;
    u32 height = 0;  // Operand height below the block's parameters.
    u32 params = 0;
    u32 results = 0;
    std::span<const ValType> param_types{};
    std::span<const ValType> result_types{};
    u32 loop_target = 0;             // Loop: instruction index of the loop's label.
    u32 loop_discount = 0;           // Loop: fuel folded into the label's first instruction.
    u32 else_branch = Patch::kNone;  // If: the br_unless to patch at else or end.
    bool unreachable = false;
    std::vector<Patch> patches{};  // Forward branches to this frame's end.

    u32 label_arity() const { return kind == Kind::Loop ? params : results; }
};

class Lowerer {
  public:
    Lowerer(const Module& module, const Function& function)
        : m_module(module), m_function(function) {}

    Result<LoweredFunction> run();

  private:
    Result<void> lower(const Instruction& instruction);
    Result<void> lower_simd(const Instruction& instruction);  // lowering_simd.cc
    Result<void> lower_control(const Instruction& instruction);
    Result<void> lower_dead(const Instruction& instruction);
    Result<void> lower_branch(u32 depth, LOp forward, LOp back, u32 condition);
    Result<void> lower_br_table(const Instruction& instruction);
    Result<void> lower_end();
    Result<void> lower_else();
    Result<void> lower_call(const FuncType& type, LOp op, u32 b, u32 c, bool indirect);
    Result<void> lower_select();
    Result<void> lower_global_get(u32 index);
    Result<void> lower_global_set(u32 index);
    void finish();

    u32 slot(u32 height) const { return m_out.local_slots + height; }
    // The slot holding the operand `depth` places below the top.
    u32 top(u32 depth = 0) const { return m_height > depth ? m_operands[m_height - 1 - depth] : 0; }
    bool is_lazy(u32 position) const { return m_operands[position] != slot(position); }
    Result<void> pop(u32 count) {
        if (m_height < count + m_frames.back().height)
            return Err(Status::Invalid, "lowering: operand stack underflow", {.offset = m_offset});
        for (u32 i = 0; i < count; ++i) {
            const u32 position = m_height - 1 - i;
            if (is_lazy(position)) {
                // Lazy operands are pushed on top, so the newest is last in m_lazy.
                --m_local_refs[m_operands[position]];
                m_lazy.pop_back();
            }
        }
        m_height -= count;
        m_operands.resize(m_height);
        m_upper.resize(m_height);
        return {};
    }
    // Slots of the top operand: 2 for a v128, else 1.
    u32 top_width() const { return m_height > 0 && m_upper[m_height - 1] ? 2 : 1; }
    Result<void> pop_value() { return pop(top_width()); }
    // Pushes `count` one-slot operands.
    Result<void> push(u32 count = 1) {
        for (u32 i = 0; i < count; ++i) {
            m_operands.push_back(slot(m_height + i));
            m_upper.push_back(0);
        }
        m_height += count;
        if (m_height > m_max_height) m_max_height = m_height;
        if (slot(m_max_height) > kMaxFrameSlots)
            return Err(Status::Limit, "lowering: frame too large", {.limit = kMaxFrameSlots});
        return {};
    }
    // Pushes one operand of `type` (two slots for a v128, the upper one marked).
    Result<void> push_value(ValType type) {
        if (type != ValType::V128) return push();
        ESTA_TRY(push(2));
        m_upper[m_height - 1] = 1;
        return {};
    }
    Result<void> push_values(std::span<const ValType> types) {
        for (ValType type : types)
            ESTA_TRY(push_value(type));
        return {};
    }
    // local.get of the local at slot `local` (`width` slots): the operand stays in the
    // local's slots until something could change the local or a control transfer needs it in
    // its own slots (materialize). Each slot of a v128 is a lazy operand slot of its own.
    Result<void> push_local(u32 local, u32 width = 1) {
        if (m_lazy.size() + width > kMaxLazyOperands) {
            emit(LInstruction{.op = LOp::copy, .a = local, .c = slot(m_height)});
            if (width == 2)
                emit_counted(LInstruction{.op = LOp::copy, .a = local + 1, .c = slot(m_height + 1)},
                             0);
            return push_value(width == 2 ? ValType::V128 : ValType::I32);
        }
        ESTA_TRY(push_value(width == 2 ? ValType::V128 : ValType::I32));
        for (u32 i = 0; i < width; ++i) {
            const u32 position = m_height - width + i;
            m_operands[position] = local + i;
            m_lazy.push_back(position);
            ++m_local_refs[local + i];
        }
        fold();
        return {};
    }
    void materialize(u32 position) {
        emit_counted(LInstruction{.op = LOp::copy, .a = m_operands[position], .c = slot(position)},
                     0);
        --m_local_refs[m_operands[position]];
        m_operands[position] = slot(position);
    }
    // Before control flow: every operand in its own slot.
    void materialize_all() {
        for (u32 position : m_lazy)
            materialize(position);
        m_lazy.clear();
    }
    // At the else or end of an arm that ended in unreachable code: its operands are never
    // read, so the lazy ones are forgotten without a copy. (Left in m_lazy they would point at
    // positions that later hold other operands; found by fuzz_instantiate_run.)
    void discard_lazy() {
        for (u32 position : m_lazy) {
            --m_local_refs[m_operands[position]];
            m_operands[position] = slot(position);
        }
        m_lazy.clear();
    }
    // Before a write to `local`: operands still reading it get their own copy first.
    void materialize_local(u32 local) {
        if (m_local_refs[local] == 0) return;
        std::size_t kept = 0;
        for (u32 position : m_lazy) {
            if (m_operands[position] == local) {
                materialize(position);
            } else {
                m_lazy[kept++] = position;
            }
        }
        m_lazy.resize(kept);
    }
    // Resets the operand stack to `base` slots plus operands of `types` above it, all in
    // their own slots (after else or end).
    void set_height(u32 base, std::span<const ValType> types) {
        u32 height = base;
        for (ValType type : types)
            height += slot_count(type);
        m_operands.resize(m_height);
        for (u32 position = m_height; position < height; ++position)
            m_operands.push_back(slot(position));
        m_operands.resize(height);
        m_upper.resize(height);
        u32 position = base;
        for (ValType type : types) {
            m_upper[position] = 0;
            if (type == ValType::V128) m_upper[++position] = 1;
            ++position;
        }
        m_height = height;
        if (m_height > m_max_height) m_max_height = m_height;
    }
    // Counts a wasm instruction that needs no code of its own.
    void fold() {
        if (++m_pending >= kMaxPendingCount) emit_counted(LInstruction{.op = LOp::nop}, 0);
    }
    // Appends `instruction` standing for itself (`own` wasm instructions) and everything
    // folded since the last one.
    u32 emit_counted(LInstruction instruction, u32 own) {
        if (instruction.op == LOp::copy && can_pair_copy(m_pending + own)) {
            // Copies come in runs (a loop's locals rotating, operands materialized before a
            // branch): two in one dispatch. Copies never trap, so the pair keeps the first's
            // offset, and only local slots see the difference if fuel stops it.
            LInstruction& previous = m_out.code.back();
            previous.op = LOp::copy2;
            previous.b = instruction.a;
            previous.d = instruction.c;
            previous.count = static_cast<u16>(previous.count + m_pending + own);
            m_pending = 0;
            m_last_result = Patch::kNone;
            return here() - 1;
        }
        instruction.count = static_cast<u16>(m_pending + own);
        m_pending = 0;
        m_last_result = Patch::kNone;
        m_out.code.push_back(instruction);
        m_out.offsets.push_back(m_offset);
        return static_cast<u32>(m_out.code.size() - 1);
    }
    u32 emit(LInstruction instruction) { return emit_counted(instruction, 1); }
    // A copy may join the copy before it unless a label points between them.
    bool can_pair_copy(u32 count) const {
        return !m_out.code.empty() && m_out.code.back().op == LOp::copy && m_label != here() &&
               m_out.code.back().count + count < kMaxPendingCount;
    }
    // Emits an instruction whose only effect is writing a new top operand of `type` (slot c,
    // and c + 1 for a v128).
    Result<void> emit_result(LInstruction instruction, ValType type = ValType::I32) {
        instruction.c = slot(m_height);
        const u32 index = emit(instruction);
        ESTA_TRY(push_value(type));
        m_last_result = index;
        return {};
    }
    // True when the top operand was just written by the last instruction, which may then
    // write a local directly instead (local.set / local.tee forwarding).
    bool top_is_last_result() const {
        const u32 width = top_width();
        return m_last_result != Patch::kNone && m_last_result + 1 == here() && m_height >= width &&
               !is_lazy(m_height - width) && m_out.code[m_last_result].c == slot(m_height - width);
    }
    Result<void> lower_local_write(u32 local, bool tee);
    // Where a return finds its `arity` results. One result computed by the instruction just
    // before is written straight to slot 0 by that instruction, so the return copies nothing
    // (nothing else of the frame runs after it).
    u32 return_source(u32 arity) {
        if (arity != 1 || !top_is_last_result()) return slot(m_height - arity);
        m_out.code[m_last_result].c = 0;
        m_last_result = Patch::kNone;
        return 0;
    }
    // The top operand is an i32.add just computed (a load may take it as its address).
    bool sum_on_top() const {
        return top_is_last_result() && m_out.code[m_last_result].op == LOp::i32_add &&
               can_fuse_last();
    }
    bool constant_on_top() const {
        return top_is_last_result() && m_out.code[m_last_result].op == LOp::constant &&
               can_fuse_last();
    }
    // Removes the last instruction (a comparison or constant about to be fused into the
    // next one), keeping its fuel count for the fused instruction.
    LInstruction take_last() {
        const LInstruction last = m_out.code.back();
        m_out.code.pop_back();
        m_out.offsets.pop_back();
        m_pending += last.count;
        m_last_result = Patch::kNone;
        return last;
    }
    bool can_fuse_last() const { return m_pending + m_out.code.back().count < kMaxPendingCount; }
    // Fuses the comparison that computed `condition` into `branch` (which must carry no
    // values). Returns false, changing nothing, when there is none.
    bool fuse_condition(u32 condition, BranchKind kind, LInstruction& branch);
    u32 here() const { return static_cast<u32>(m_out.code.size()); }
    // The parameter and result types of a block.
    Result<std::pair<std::span<const ValType>, std::span<const ValType>>> block_types(
        const BlockType& type) const;
    static u32 slot_count(ValType type) { return type == ValType::V128 ? 2 : 1; }
    static u32 slot_count(std::span<const ValType> types) {
        u32 count = 0;
        for (ValType type : types)
            count += slot_count(type);
        return count;
    }
    ControlFrame& frame_at(u32 depth) { return m_frames[m_frames.size() - 1 - depth]; }
    void bind_label(ControlFrame& frame);

    const Module& m_module;
    const Function& m_function;
    LoweredFunction m_out;
    std::vector<ControlFrame> m_frames;
    std::vector<u32> m_branch_discounts;  // Per instruction index of a branch, its discount.
    std::vector<u32> m_entry_discounts;   // Per br_table entry.
    std::vector<u32> m_local_slot;        // Per local index: its first slot (and one past).
    std::vector<u32> m_operands;          // Per stack slot: its own slot, or a local's (lazy).
    std::vector<u8> m_upper;              // Per stack slot: 1 if the upper half of a v128.
    std::vector<u32> m_lazy;              // Positions of lazy operands, ascending.
    std::vector<u32> m_local_refs;        // Per local slot: lazy operand slots reading it.
    u32 m_last_result = Patch::kNone;
    u32 m_height = 0;
    u32 m_max_height = 0;
    u32 m_pending = 0;
    u32 m_offset = 0;
    u32 m_dead_depth = 0;        // Nesting inside unreachable code being skipped.
    u32 m_label = Patch::kNone;  // The last instruction index a branch may target.
};

}  // namespace esta::wasm::lowering_detail
