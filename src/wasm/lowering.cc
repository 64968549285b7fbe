// Lowering of validated function bodies; see lowering.h for the code format and the fuel
// model. Branch targets are patched when their label is bound; fuel figures (rest, branch
// deltas, continuation costs) are computed in one backward pass at the end.
#include "wasm/lowering.h"

#include "base/assert.h"
#include "wasm/lowerer.h"

namespace esta::wasm::lowering_detail {
namespace {
// The `_imm` superinstruction of a binary operator, if it has one.
std::optional<LOp> immediate_form(LOp op) {
    switch (op) {
#define ESTA_IMMEDIATE_CASE(name, functor) \
    case LOp::name:                        \
        return LOp::name##_imm;
        ESTA_IMMEDIATE_OPS(ESTA_IMMEDIATE_CASE)
#undef ESTA_IMMEDIATE_CASE
        default:
            return std::nullopt;
    }
}

// The compare-and-branch superinstruction for a comparison feeding a branch of `kind`.
std::optional<LOp> fused_branch(LOp compare, BranchKind kind) {
    switch (compare) {
#define ESTA_FUSED_CASE(name, functor)                                     \
    case LOp::name:                                                        \
        return kind == BranchKind::If       ? LOp::br_if_##name            \
               : kind == BranchKind::IfBack ? LOp::br_if_back_##name       \
                                            : LOp::br_unless_##name;       \
    case LOp::name##_imm:                                                  \
        return kind == BranchKind::If       ? LOp::br_if_##name##_imm      \
               : kind == BranchKind::IfBack ? LOp::br_if_back_##name##_imm \
                                            : LOp::br_unless_##name##_imm;
        ESTA_FUSED_COMPARES(ESTA_FUSED_CASE)
#undef ESTA_FUSED_CASE
        default:
            return std::nullopt;
    }
}

bool is_terminator(LOp op) {
    switch (op) {
        case LOp::unreachable:
        case LOp::br:
        case LOp::br_back:
        case LOp::br_table:
        case LOp::return_:
        case LOp::call:
        case LOp::call_defined:
        case LOp::call_indirect:
            return true;
        default:
            return false;
    }
}

bool is_branch(LOp op) {
    switch (op) {
        case LOp::br:
        case LOp::br_back:
        case LOp::br_if:
        case LOp::br_if_back:
        case LOp::br_unless:
        case LOp::br_unless_back:
            return true;
#define ESTA_FUSED_BRANCH_CASES(name, functor) \
    case LOp::br_if_##name:                    \
    case LOp::br_if_back_##name:               \
    case LOp::br_unless_##name:                \
    case LOp::br_if_##name##_imm:              \
    case LOp::br_if_back_##name##_imm:         \
    case LOp::br_unless_##name##_imm:
            ESTA_FUSED_COMPARES(ESTA_FUSED_BRANCH_CASES)
#undef ESTA_FUSED_BRANCH_CASES
            return true;
        default:
            return false;
    }
}

}  // namespace

Result<std::pair<std::span<const ValType>, std::span<const ValType>>> Lowerer::block_types(
    const BlockType& type) const {
    // One value type as a span that outlives the frame.
    static constexpr ValType kSingle[] = {ValType::I32,      ValType::I64,  ValType::F32,
                                          ValType::F64,      ValType::V128, ValType::FuncRef,
                                          ValType::ExternRef};
    using Types = std::pair<std::span<const ValType>, std::span<const ValType>>;
    switch (type.kind) {
        case BlockType::Kind::Empty:
            return Types{};
        case BlockType::Kind::Value:
            for (const ValType& single : kSingle) {
                if (single == type.value) return Types{{}, std::span<const ValType>(&single, 1)};
            }
            return Err(Status::Invalid, "lowering: block type", {.offset = m_offset});
        case BlockType::Kind::Index:
            break;
    }
    if (type.index.value() >= m_module.types.size())
        return Err(Status::Invalid, "lowering: block type index", {.offset = m_offset});
    const FuncType& function_type = m_module.types[type.index.value()];
    return Types{function_type.params, function_type.results};
}

Result<LoweredFunction> Lowerer::run() {
    if (m_function.type.value() >= m_module.types.size())
        return Err(Status::Invalid, "lowering: function type index");
    const FuncType& type = m_module.types[m_function.type.value()];
    // Each local's first slot; a v128 local takes two.
    u64 locals = 0;
    for (ValType param : type.params) {
        m_local_slot.push_back(static_cast<u32>(locals));
        locals += slot_count(param);
    }
    m_out.param_slots = static_cast<u32>(locals);
    for (const LocalRun& run : m_function.locals) {
        if (locals + u64{run.count} * slot_count(run.type) > kMaxFrameSlots)
            return Err(Status::Limit, "lowering: too many locals");
        for (u32 i = 0; i < run.count; ++i) {
            m_local_slot.push_back(static_cast<u32>(locals));
            locals += slot_count(run.type);
        }
    }
    m_local_slot.push_back(static_cast<u32>(locals));
    m_out.local_slots = static_cast<u32>(locals);
    m_local_refs.assign(m_out.local_slots, 0);
    m_out.result_count = slot_count(type.results);
    m_frames.push_back(ControlFrame{.kind = ControlFrame::Kind::Function,
                                    .height = 0,
                                    .params = 0,
                                    .results = m_out.result_count,
                                    .result_types = type.results});

    InstructionReader reader(m_module.range(m_function.body), m_function.body.offset);
    Instruction instruction;
    while (!m_frames.empty()) {
        if (reader.at_end()) return Err(Status::Invalid, "lowering: body ends inside a block");
        ESTA_TRY(reader.read(instruction));
        m_offset = instruction.offset;
        if (m_frames.back().unreachable) {
            ESTA_TRY(lower_dead(instruction));
        } else {
            ESTA_TRY(lower(instruction));
        }
    }
    finish();
    return std::move(m_out);
}

// Skips unreachable code: only the block structure matters until the current frame's
// else or end. None of it executes, so none of it costs fuel.
Result<void> Lowerer::lower_dead(const Instruction& instruction) {
    switch (instruction.op) {
        case Op::block:
        case Op::loop:
        case Op::if_:
            ++m_dead_depth;
            return {};
        case Op::else_:
            if (m_dead_depth == 0) return lower_else();
            return {};
        case Op::end:
            if (m_dead_depth == 0) return lower_end();
            --m_dead_depth;
            return {};
        default:
            return {};
    }
}

void Lowerer::bind_label(ControlFrame& frame) {
    const u32 target = here();
    m_label = target;
    m_last_result = Patch::kNone;
    for (const Patch& patch : frame.patches) {
        if (patch.entry == Patch::kNone) {
            LInstruction& branch = m_out.code[patch.instruction];
            branch.imm = (branch.imm & ~u64{0xFFFF'FFFF}) | target;
            m_branch_discounts[patch.instruction] = m_pending;
        } else {
            m_out.br_table[patch.entry].target = target;
            m_entry_discounts[patch.entry] = m_pending;
        }
    }
    frame.patches.clear();
}

Result<void> Lowerer::lower_branch(u32 depth, LOp forward, LOp back, u32 condition) {
    if (depth >= m_frames.size()) return Err(Status::Invalid, "lowering: label depth");
    ControlFrame& target = frame_at(depth);
    const u32 arity = target.label_arity();
    if (m_height < arity) return Err(Status::Invalid, "lowering: branch operands");
    const u32 source = slot(m_height - arity);
    const u32 destination = slot(target.height);
    const u32 copies = source == destination ? 0 : arity;
    if (target.kind == ControlFrame::Kind::Function) {
        if (forward == LOp::br) {
            emit(LInstruction{.op = LOp::return_, .a = return_source(arity), .c = arity});
            return {};
        }
        // A conditional return: branch to a return instruction placed after the function's
        // end is not possible, so jump over an inline return instead.
        const u32 skip =
            emit(LInstruction{.op = forward == LOp::br_if ? LOp::br_unless : LOp::br_if,
                              .imm = u64{condition} << 32});
        m_branch_discounts.resize(m_out.code.size(), 0);
        emit_counted(LInstruction{.op = LOp::return_, .a = source, .c = arity}, 0);
        m_out.code[skip].imm |= here();
        m_label = here();
        return {};
    }
    const bool is_loop = target.kind == ControlFrame::Kind::Loop;
    LInstruction branch{.op = is_loop ? back : forward,
                        .a = source,
                        .b = destination,
                        .c = copies,
                        .imm = u64{condition} << 32};
    if (copies == 0 && forward == LOp::br_if)
        fuse_condition(condition, is_loop ? BranchKind::IfBack : BranchKind::If, branch);
    if (is_loop) branch.imm |= target.loop_target;
    const u32 index = emit(branch);
    m_branch_discounts.resize(m_out.code.size(), 0);
    if (is_loop) {
        m_branch_discounts[index] = target.loop_discount;
    } else {
        target.patches.push_back(Patch{.instruction = index});
    }
    return {};
}

Result<void> Lowerer::lower_br_table(const Instruction& instruction) {
    const u32 index_slot = top();
    ESTA_TRY(pop(1));
    materialize_all();
    const u32 count = static_cast<u32>(instruction.targets.size());
    const u32 first = static_cast<u32>(m_out.br_table.size());
    // The function's own label is a return: give it a shared return instruction after the
    // table's own code by branching to a tiny trampoline.
    u32 trampoline_entry = Patch::kNone;
    std::vector<u32> return_entries;
    u32 arity = 0;
    for (u32 i = 0; i <= count; ++i) {
        const u32 depth = i < count ? instruction.targets[i] : instruction.index;
        if (depth >= m_frames.size()) return Err(Status::Invalid, "lowering: label depth");
        arity = frame_at(depth).label_arity();
    }
    if (m_height < arity) return Err(Status::Invalid, "lowering: br_table operands");
    const u32 source = slot(m_height - arity);
    emit(LInstruction{
        .op = LOp::br_table, .a = index_slot, .b = count, .c = arity, .d = source, .imm = first});
    m_branch_discounts.resize(m_out.code.size(), 0);
    for (u32 i = 0; i <= count; ++i) {
        const u32 depth = i < count ? instruction.targets[i] : instruction.index;
        ControlFrame& target = frame_at(depth);
        const u32 entry = static_cast<u32>(m_out.br_table.size());
        m_out.br_table.push_back(BrTableEntry{.destination = slot(target.height)});
        m_entry_discounts.push_back(0);
        if (target.kind == ControlFrame::Kind::Loop) {
            m_out.br_table[entry].target = target.loop_target;
            m_entry_discounts[entry] = target.loop_discount;
        } else if (target.kind == ControlFrame::Kind::Function) {
            return_entries.push_back(entry);
        } else {
            target.patches.push_back(Patch{.instruction = here() - 1, .entry = entry});
        }
    }
    if (!return_entries.empty()) {
        // The return trampoline costs nothing extra: the br_table already paid for itself.
        trampoline_entry =
            emit_counted(LInstruction{.op = LOp::return_, .a = source, .c = arity}, 0);
        for (u32 entry : return_entries) {
            // The trampoline copies the results itself; the table must not move them first.
            m_out.br_table[entry].target = trampoline_entry;
            m_out.br_table[entry].destination = source;
        }
    }
    return {};
}

Result<void> Lowerer::lower_else() {
    ControlFrame& frame = m_frames.back();
    if (frame.kind != ControlFrame::Kind::If) return Err(Status::Invalid, "lowering: else");
    if (frame.unreachable) discard_lazy();
    if (!frame.unreachable) {
        // The then-arm's results are already at the label's slots: jump to the end.
        materialize_all();
        const u32 index = emit(LInstruction{.op = LOp::br});
        m_branch_discounts.resize(m_out.code.size(), 0);
        frame.patches.push_back(Patch{.instruction = index});
    }
    // The false arm starts here; the `else` opcode itself is only executed by the then-arm.
    LInstruction& skip = m_out.code[frame.else_branch];
    skip.imm = (skip.imm & ~u64{0xFFFF'FFFF}) | here();
    m_label = here();
    m_branch_discounts[frame.else_branch] = m_pending;
    frame.else_branch = Patch::kNone;
    frame.kind = ControlFrame::Kind::Else;
    frame.unreachable = false;
    m_dead_depth = 0;
    m_last_result = Patch::kNone;
    set_height(frame.height, frame.param_types);
    return {};
}

Result<void> Lowerer::lower_end() {
    ControlFrame& frame = m_frames.back();
    if (frame.unreachable) discard_lazy();
    // An `end` reached only by branches is never executed; one reached by falling through is.
    if (!frame.unreachable) {
        materialize_all();
        fold();
    }
    if (frame.kind == ControlFrame::Kind::Function) {
        if (frame.unreachable) {
            // Keep a well-formed tail; nothing reaches it.
            emit_counted(LInstruction{.op = LOp::unreachable}, 0);
        } else {
            if (m_height < frame.results) return Err(Status::Invalid, "lowering: results");
            emit_counted(
                LInstruction{
                    .op = LOp::return_, .a = return_source(frame.results), .c = frame.results},
                0);
        }
        m_frames.pop_back();
        return {};
    }
    if (frame.else_branch != Patch::kNone) {
        // An if without else: the false path jumps past the end (it does not execute it).
        frame.patches.push_back(Patch{.instruction = frame.else_branch});
    }
    bind_label(frame);
    set_height(frame.height, frame.result_types);
    m_frames.pop_back();
    m_dead_depth = 0;
    return {};
}

Result<void> Lowerer::lower_call(const FuncType& type, LOp op, u32 b, u32 c, bool indirect) {
    const u32 params = slot_count(type.params);
    u64 index_slot = 0;
    if (indirect) {
        index_slot = top();
        ESTA_TRY(pop(1));
    }
    materialize_all();
    ESTA_TRY(pop(params));
    emit(LInstruction{.op = op, .a = slot(m_height), .b = b, .c = c, .imm = index_slot});
    return push_values(type.results);
}

Result<void> Lowerer::lower_control(const Instruction& instruction) {
    switch (instruction.op) {
        case Op::block:
        case Op::loop:
        case Op::if_: {
            const auto [param_types, result_types] = ESTA_TRY(block_types(instruction.block));
            const u32 params = slot_count(param_types);
            u32 condition = 0;
            if (instruction.op == Op::if_) {
                condition = top();
                ESTA_TRY(pop(1));
            }
            materialize_all();
            // Kept for `if`: a comparison just computed may fuse into its branch.
            const u32 last_result = m_last_result;
            m_last_result = Patch::kNone;
            if (m_height < params) return Err(Status::Invalid, "lowering: block params");
            ControlFrame frame{.height = m_height - params,
                               .params = params,
                               .results = slot_count(result_types),
                               .param_types = param_types,
                               .result_types = result_types};
            if (instruction.op == Op::block) {
                frame.kind = ControlFrame::Kind::Block;
                fold();
            } else if (instruction.op == Op::loop) {
                frame.kind = ControlFrame::Kind::Loop;
                fold();
                frame.loop_target = here();
                m_label = here();
                frame.loop_discount = m_pending;
            } else {
                frame.kind = ControlFrame::Kind::If;
                LInstruction branch{.op = LOp::br_unless, .imm = u64{condition} << 32};
                m_last_result = last_result;
                fuse_condition(condition, BranchKind::Unless, branch);
                frame.else_branch = emit(branch);
                m_branch_discounts.resize(m_out.code.size(), 0);
            }
            m_frames.push_back(std::move(frame));
            return {};
        }
        case Op::else_:
            return lower_else();
        case Op::end:
            return lower_end();
        case Op::br:
            materialize_all();
            ESTA_TRY(lower_branch(instruction.index, LOp::br, LOp::br_back, 0));
            m_frames.back().unreachable = true;
            return {};
        case Op::br_if: {
            const u32 condition = top();
            ESTA_TRY(pop(1));
            materialize_all();
            return lower_branch(instruction.index, LOp::br_if, LOp::br_if_back, condition);
        }
        case Op::br_table:
            ESTA_TRY(lower_br_table(instruction));
            m_frames.back().unreachable = true;
            return {};
        case Op::return_:
            materialize_all();
            ESTA_TRY(lower_branch(static_cast<u32>(m_frames.size() - 1), LOp::br, LOp::br, 0));
            m_frames.back().unreachable = true;
            return {};
        case Op::unreachable:
            emit(LInstruction{.op = LOp::unreachable});
            m_frames.back().unreachable = true;
            return {};
        default:
            return Err(Status::Internal, "lowering: not a control instruction");
    }
}

bool Lowerer::fuse_condition(u32 condition, BranchKind kind, LInstruction& branch) {
    if (m_last_result == Patch::kNone || m_last_result + 1 != here() ||
        m_out.code[m_last_result].c != condition || !can_fuse_last())
        return false;
    const LInstruction& compare = m_out.code.back();
    if (compare.op == LOp::i32_eqz) {
        // br_if (i32.eqz x) is a branch unless x, and the other way round.
        const u32 operand = compare.a;
        take_last();
        branch.op = kind == BranchKind::If       ? LOp::br_unless
                    : kind == BranchKind::IfBack ? LOp::br_unless_back
                                                 : LOp::br_if;
        branch.imm = u64{operand} << 32;
        return true;
    }
    const std::optional<LOp> fused = fused_branch(compare.op, kind);
    if (!fused) return false;
    const LInstruction taken = take_last();
    branch.op = *fused;
    branch.a = taken.a;
    branch.b = taken.b;
    branch.c = static_cast<u32>(taken.imm);
    branch.imm = 0;
    return true;
}

Result<void> Lowerer::lower_local_write(u32 index, bool tee) {
    if (index + 1 >= m_local_slot.size()) return Err(Status::Invalid, "lowering: local");
    const u32 local = m_local_slot[index];
    const u32 width = m_local_slot[index + 1] - local;
    if (m_height < m_frames.back().height + width || top_width() != width)
        return Err(Status::Invalid, "lowering: local write");
    for (u32 i = 0; i < width; ++i)
        materialize_local(local + i);
    if (top_is_last_result()) {
        // The instruction that computed the value writes the local itself.
        m_out.code[m_last_result].c = local;
        m_last_result = Patch::kNone;
        ESTA_TRY(pop(width));
        if (tee) return push_local(local, width);
        fold();
        return {};
    }
    // A v128 is copied slot by slot; the second copy is part of the same instruction.
    const u32 source = m_operands[m_height - width];
    emit(LInstruction{.op = LOp::copy, .a = source, .c = local});
    if (width == 2) emit_counted(LInstruction{.op = LOp::copy, .a = source + 1, .c = local + 1}, 0);
    if (!tee) ESTA_TRY(pop(width));
    return {};
}

// select of two one-slot operands is one instruction; of two v128s, one per half.
Result<void> Lowerer::lower_select() {
    if (m_height < 3) return Err(Status::Invalid, "lowering: select");
    const u32 condition = top(0);
    ESTA_TRY(pop(1));
    const u32 width = top_width();
    if (m_height < 2 * width) return Err(Status::Invalid, "lowering: select");
    const u32 second = m_operands[m_height - width];
    const u32 first = m_operands[m_height - 2 * width];
    ESTA_TRY(pop(2 * width));
    if (width == 1)
        return emit_result(
            LInstruction{.op = LOp::select, .a = first, .b = second, .d = condition});
    // The low half's result may overwrite `first`'s low slot, never a slot read afterwards.
    const u32 result = slot(m_height);
    emit(LInstruction{.op = LOp::select, .a = first, .b = second, .c = result, .d = condition});
    emit_counted(
        LInstruction{
            .op = LOp::select, .a = first + 1, .b = second + 1, .c = result + 1, .d = condition},
        0);
    return push_value(ValType::V128);
}

Result<void> Lowerer::lower_global_get(u32 index) {
    if (index >= m_module.global_count()) return Err(Status::Invalid, "lowering: global index");
    const ValType type = m_module.global_type(GlobalIndex(index)).type;
    return emit_result(
        LInstruction{.op = type == ValType::V128 ? LOp::global_get_v128 : LOp::global_get,
                     .b = index},
        type);
}

Result<void> Lowerer::lower_global_set(u32 index) {
    if (m_height == 0) return Err(Status::Invalid, "lowering: global.set");
    const u32 width = top_width();
    const u32 source = m_operands[m_height - width];
    ESTA_TRY(pop(width));
    emit(LInstruction{
        .op = width == 2 ? LOp::global_set_v128 : LOp::global_set, .a = source, .b = index});
    return {};
}

Result<void> Lowerer::lower(const Instruction& instruction) {
    const Op op = instruction.op;
    switch (op) {
        case Op::block:
        case Op::loop:
        case Op::if_:
        case Op::else_:
        case Op::end:
        case Op::br:
        case Op::br_if:
        case Op::br_table:
        case Op::return_:
        case Op::unreachable:
            return lower_control(instruction);
        case Op::nop:
            fold();
            return {};
        case Op::drop:
            ESTA_TRY(pop_value());
            fold();
            return {};
        case Op::select:
        case Op::select_typed:
            return lower_select();
        case Op::local_get: {
            if (instruction.index + 1 >= m_local_slot.size())
                return Err(Status::Invalid, "lowering: local");
            const u32 local = m_local_slot[instruction.index];
            return push_local(local, m_local_slot[instruction.index + 1] - local);
        }
        case Op::local_set:
        case Op::local_tee:
            return lower_local_write(instruction.index, op == Op::local_tee);
        case Op::global_get:
            return lower_global_get(instruction.index);
        case Op::global_set:
            return lower_global_set(instruction.index);
        case Op::call: {
            if (instruction.index >= m_module.function_count())
                return Err(Status::Invalid, "lowering: function index");
            const FuncType& type = m_module.function_type(FuncIndex(instruction.index));
            // A defined function runs in the caller's instance and is never a host function.
            const LOp op =
                instruction.index >= m_module.imported_functions ? LOp::call_defined : LOp::call;
            return lower_call(type, op, instruction.index, 0, false);
        }
        case Op::call_indirect: {
            if (instruction.index >= m_module.types.size())
                return Err(Status::Invalid, "lowering: type index");
            return lower_call(m_module.types[instruction.index], LOp::call_indirect,
                              instruction.index, instruction.other_index, true);
        }
        case Op::i32_const:
        case Op::i64_const:
        case Op::f32_const:
        case Op::f64_const:
            return emit_result(LInstruction{.op = LOp::constant, .imm = instruction.bits});
        case Op::ref_null:
            return emit_result(LInstruction{.op = LOp::constant, .imm = 0});
        case Op::ref_is_null: {
            const u32 source = top();
            ESTA_TRY(pop(1));
            return emit_result(LInstruction{.op = LOp::i64_eqz, .a = source});
        }
        case Op::ref_func:
            return emit_result(LInstruction{.op = LOp::ref_func, .b = instruction.index});
        case Op::memory_size:
            return emit_result(LInstruction{.op = LOp::memory_size, .b = instruction.index});
        case Op::table_size:
            return emit_result(LInstruction{.op = LOp::table_size, .b = instruction.index});
        case Op::memory_grow:
        case Op::table_get: {
            const u32 source = top();
            ESTA_TRY(pop(1));
            return emit_result(
                LInstruction{.op = op == Op::memory_grow ? LOp::memory_grow : LOp::table_get,
                             .a = source,
                             .b = instruction.index});
        }
        case Op::table_set:
        case Op::table_grow: {
            // Two operands read from consecutive slots.
            materialize_all();
            ESTA_TRY(pop(2));
            if (op == Op::table_set) {
                emit(LInstruction{
                    .op = LOp::table_set, .a = slot(m_height), .b = instruction.index});
                return {};
            }
            return emit_result(
                LInstruction{.op = LOp::table_grow, .a = slot(m_height), .b = instruction.index});
        }
        case Op::memory_init:
        case Op::memory_copy:
        case Op::memory_fill:
        case Op::table_fill:
        case Op::table_copy:
        case Op::table_init: {
            // Three operands read from consecutive slots.
            materialize_all();
            ESTA_TRY(pop(3));
            LInstruction bulk{
                .a = slot(m_height), .b = instruction.index, .c = instruction.other_index};
            switch (op) {
                case Op::memory_init:
                    bulk.op = LOp::memory_init;
                    break;
                case Op::memory_copy:
                    bulk.op = LOp::memory_copy;
                    break;
                case Op::memory_fill:
                    bulk.op = LOp::memory_fill;
                    break;
                case Op::table_fill:
                    bulk.op = LOp::table_fill;
                    break;
                case Op::table_copy:
                    bulk.op = LOp::table_copy;
                    break;
                default:
                    // table.init: the decoder gives the segment as index, the table as other.
                    bulk.op = LOp::table_init;
                    bulk.b = instruction.other_index;
                    bulk.c = instruction.index;
                    break;
            }
            emit(bulk);
            return {};
        }
        case Op::data_drop:
            emit(LInstruction{.op = LOp::data_drop, .b = instruction.index});
            return {};
        case Op::elem_drop:
            emit(LInstruction{.op = LOp::elem_drop, .b = instruction.index});
            return {};
#define ESTA_LOWER_LOAD(name, slot_type, memory_type)                                              \
    case Op::name: {                                                                               \
        const u32 address = top();                                                                 \
        if (sum_on_top()) {                                                                        \
            const LInstruction sum = take_last();                                                  \
            ESTA_TRY(pop(1));                                                                      \
            return emit_result(LInstruction{                                                       \
                .op = LOp::name##_add, .a = sum.a, .b = sum.b, .imm = instruction.memarg.offset}); \
        }                                                                                          \
        ESTA_TRY(pop(1));                                                                          \
        return emit_result(                                                                        \
            LInstruction{.op = LOp::name, .a = address, .imm = instruction.memarg.offset});        \
    }
            ESTA_LOAD_OPS(ESTA_LOWER_LOAD)
#undef ESTA_LOWER_LOAD
#define ESTA_LOWER_STORE(name, memory_type)                                                \
    case Op::name: {                                                                       \
        if (m_height < 2) return Err(Status::Invalid, "lowering: store");                  \
        const u32 value = top(0);                                                          \
        const u32 address = top(1);                                                        \
        ESTA_TRY(pop(2));                                                                  \
        emit(LInstruction{                                                                 \
            .op = LOp::name, .a = address, .b = value, .imm = instruction.memarg.offset}); \
        return {};                                                                         \
    }
            ESTA_STORE_OPS(ESTA_LOWER_STORE)
#undef ESTA_LOWER_STORE
#define ESTA_LOWER_NUMERIC(name, arity, functor)                                             \
    case Op::name: {                                                                         \
        if (m_height < (arity)) return Err(Status::Invalid, "lowering: operands");           \
        const u32 first = top((arity)-1);                                                    \
        const u32 second = (arity) == 2 ? top(0) : 0;                                        \
        if (const auto fused = immediate_form(LOp::name); fused && constant_on_top()) {      \
            const LInstruction constant = take_last();                                       \
            ESTA_TRY(pop(arity));                                                            \
            return emit_result(LInstruction{.op = *fused, .a = first, .imm = constant.imm}); \
        }                                                                                    \
        ESTA_TRY(pop(arity));                                                                \
        return emit_result(LInstruction{.op = LOp::name, .a = first, .b = second});          \
    }
            ESTA_NUMERIC_OPS(ESTA_LOWER_NUMERIC)
#undef ESTA_LOWER_NUMERIC
        default:
            if (instruction.info != nullptr && instruction.info->prefix == kPrefixSimd)
                return lower_simd(instruction);
            return Err(Status::Invalid, "lowering: unsupported instruction", {.offset = m_offset});
    }
}

// Computes each instruction's `rest`, then the fuel each branch charges and each call's
// continuation cost (lowering.h, "Fuel").
void Lowerer::finish() {
    auto& code = m_out.code;
    const u32 size = static_cast<u32>(code.size());
    for (u32 i = size; i-- > 0;) {
        if (is_terminator(code[i].op) || i + 1 == size) {
            code[i].rest = 0;
        } else {
            code[i].rest = code[i + 1].count + code[i + 1].rest;
        }
    }
    auto entry_cost = [&](u32 target, u32 discount) -> i64 {
        return i64{code[target].count} - discount + code[target].rest;
    };
    m_branch_discounts.resize(size, 0);
    for (u32 i = 0; i < size; ++i) {
        LInstruction& instruction = code[i];
        if (is_branch(instruction.op)) {
            const u32 target = static_cast<u32>(instruction.imm & 0xFFFF'FFFF);
            const i64 delta = entry_cost(target, m_branch_discounts[i]) - instruction.rest;
            instruction.d = static_cast<u32>(static_cast<i32>(delta));
        } else if (instruction.op == LOp::call || instruction.op == LOp::call_defined ||
                   instruction.op == LOp::call_indirect) {
            instruction.d = static_cast<u32>(entry_cost(i + 1, 0));
        }
    }
    for (std::size_t e = 0; e < m_out.br_table.size(); ++e) {
        BrTableEntry& entry = m_out.br_table[e];
        entry.delta = static_cast<i32>(entry_cost(entry.target, m_entry_discounts[e]));
    }
    m_out.entry_cost = size == 0 ? 0 : code[0].count + code[0].rest;
    m_out.frame_slots = slot(m_max_height);
}

}  // namespace esta::wasm::lowering_detail

namespace esta::wasm {

void link_direct_calls(std::vector<LoweredFunction>& functions, u32 imported_functions) {
    for (LoweredFunction& function : functions) {
        for (LInstruction& instruction : function.code) {
            if (instruction.op != LOp::call_defined) continue;
            const u32 callee = instruction.b - imported_functions;
            ESTA_ASSERT(instruction.b >= imported_functions && callee < functions.size());
            instruction.imm = reinterpret_cast<u64>(&functions[callee]);
        }
    }
}

Result<LoweredFunction> lower_function(const Module& module, u32 index) {
    if (index >= module.functions.size()) return Err(Status::Internal, "lowering: function index");
    lowering_detail::Lowerer lowerer(module, module.functions[index]);
    return lowerer.run();
}

}  // namespace esta::wasm
