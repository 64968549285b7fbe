#include "wasm/code_validator.h"

#include <algorithm>
#include <array>

#include "wasm/section.h"

namespace esta::wasm {

namespace {

// The bottom type of the spec's algorithm: what popping from an unreachable, empty stack
// yields. 0x00 encodes no value type, so it cannot collide with a real one.
constexpr ValType kUnknown = static_cast<ValType>(0x00);

// One-element spans for block types with a single result, pointing at static storage so
// they stay valid however the control stack grows.
std::span<const ValType> single(ValType type) {
    static constexpr std::array<ValType, 7> kTypes = {
        ValType::I32,  ValType::I64,     ValType::F32,      ValType::F64,
        ValType::V128, ValType::FuncRef, ValType::ExternRef};
    const auto* found = std::find(kTypes.begin(), kTypes.end(), type);
    ESTA_ASSERT(found != kTypes.end());
    return std::span<const ValType>(found, 1);
}

// log2 of the access width of a load or store, the largest alignment it may declare.
u32 natural_alignment(Op op) {
    switch (op) {
        case Op::i32_load8_s:
        case Op::i32_load8_u:
        case Op::i64_load8_s:
        case Op::i64_load8_u:
        case Op::i32_store8:
        case Op::i64_store8:
            return 0;
        case Op::i32_load16_s:
        case Op::i32_load16_u:
        case Op::i64_load16_s:
        case Op::i64_load16_u:
        case Op::i32_store16:
        case Op::i64_store16:
            return 1;
        case Op::i32_load:
        case Op::f32_load:
        case Op::i64_load32_s:
        case Op::i64_load32_u:
        case Op::i32_store:
        case Op::f32_store:
        case Op::i64_store32:
            return 2;
        // SIMD: the width is what the instruction reads or writes in memory, not the v128
        // it produces (load8x8_s reads 8 bytes, load32_zero 4, a lane load one lane).
        case Op::v128_load8_splat:
        case Op::v128_load8_lane:
        case Op::v128_store8_lane:
            return 0;
        case Op::v128_load16_splat:
        case Op::v128_load16_lane:
        case Op::v128_store16_lane:
            return 1;
        case Op::v128_load32_splat:
        case Op::v128_load32_zero:
        case Op::v128_load32_lane:
        case Op::v128_store32_lane:
            return 2;
        case Op::v128_load:
        case Op::v128_store:
            return 4;
        default:
            // i64 and f64 loads and stores; v128 loadNxM, load64_splat, load64_zero and the
            // 64-bit lane loads and stores.
            return 3;
    }
}

// The lane count of the shape an extract_lane or replace_lane instruction names.
u32 lane_count(Op op) {
    switch (op) {
        case Op::i8x16_extract_lane_s:
        case Op::i8x16_extract_lane_u:
        case Op::i8x16_replace_lane:
            return 16;
        case Op::i16x8_extract_lane_s:
        case Op::i16x8_extract_lane_u:
        case Op::i16x8_replace_lane:
            return 8;
        case Op::i32x4_extract_lane:
        case Op::i32x4_replace_lane:
        case Op::f32x4_extract_lane:
        case Op::f32x4_replace_lane:
            return 4;
        case Op::i64x2_extract_lane:
        case Op::i64x2_replace_lane:
        case Op::f64x2_extract_lane:
        case Op::f64x2_replace_lane:
            return 2;
        default:
            ESTA_UNREACHABLE();
    }
}

}  // namespace

Error CodeValidator::fail(const char* context) const {
    return Err(Status::Invalid, context, Detail{.index = m_function, .offset = m_offset});
}

Error CodeValidator::malformed(const char* context) const {
    return Err(Status::Malformed, context, Detail{.index = m_function, .offset = m_offset});
}

Result<void> CodeValidator::validate(u32 index, const Function& function) {
    const Module& module = *m_context.module;
    const ModuleLimits& limits = *m_context.limits;
    m_function = index;
    m_offset = function.body.offset;
    m_values.clear();
    m_frames.clear();
    m_local_runs.clear();

    // The module validator checked the function's type index already.
    const FuncType& type = module.types[function.type.value()];
    const u64 local_count = u64{type.params.size()} + function.local_count;
    if (local_count > limits.locals) {
        return Err(
            Status::Limit, "code: too many locals",
            Detail{
                .index = index, .offset = m_offset, .limit = limits.locals, .actual = local_count});
    }
    // Locals stay run-length encoded: expanding them would cost up to `limits.locals` steps
    // for a few bytes of declaration, in every function.
    m_local_count = static_cast<u32>(local_count);
    for (const ValType param : type.params)
        add_local_run(1, param);
    for (const LocalRun& run : function.locals)
        add_local_run(run.count, run.type);

    // The function's own frame: its label's types are the function's results.
    m_frames.push_back(
        ControlFrame{.opcode = Op::block,
                     .type = BlockType{.kind = BlockType::Kind::Index, .index = function.type},
                     .height = 0,
                     .unreachable = false});

    InstructionReader reader(module.range(function.body), function.body.offset,
                             limits.br_table_targets);
    Instruction instruction;
    while (!m_frames.empty()) {
        if (reader.at_end()) {
            m_offset = static_cast<u32>(reader.offset());
            return malformed("code: unexpected end of section or function (END opcode expected)");
        }
        auto decoded = reader.read(instruction);
        if (!decoded) {
            Error error = in_section(decoded.error(), SectionId::Code);
            error.detail.index = index;
            return error;
        }
        m_offset = instruction.offset;
        ESTA_TRY(check(instruction));
        // One instruction pushes at most a function type's results, so checking after
        // each keeps the stack within the limit plus that much.
        if (m_values.size() > limits.operand_stack) {
            return Err(Status::Limit, "code: operand stack too high",
                       Detail{.index = index,
                              .offset = m_offset,
                              .limit = limits.operand_stack,
                              .actual = m_values.size()});
        }
    }
    if (!reader.at_end()) {
        m_offset = static_cast<u32>(reader.offset());
        return malformed("code: operators remaining after end of function (section size mismatch)");
    }
    return Ok();
}

Result<void> check_body_encoding(const Module& module, const ModuleLimits& limits, u32 index,
                                 const Function& function) {
    auto malformed_at = [&](const char* context, std::size_t offset) -> Error {
        return Err(Status::Malformed, context, Detail{.index = index, .offset = offset});
    };
    // Whether each open block is an if still waiting for its else. Every block takes at least
    // two bytes, so the vector is bounded by the body's size.
    std::vector<bool> open_ifs = {false};  // The function's own block.
    InstructionReader reader(module.range(function.body), function.body.offset,
                             limits.br_table_targets);
    Instruction instruction;
    while (!open_ifs.empty()) {
        if (reader.at_end()) {
            return malformed_at("code: unexpected end of section or function (END opcode expected)",
                                reader.offset());
        }
        if (auto decoded = reader.read(instruction); !decoded) {
            Error error = in_section(decoded.error(), SectionId::Code);
            error.detail.index = index;
            return error;
        }
        switch (instruction.op) {
            case Op::block:
            case Op::loop:
            case Op::if_:
                open_ifs.push_back(instruction.op == Op::if_);
                break;
            case Op::else_:
                if (!open_ifs.back())
                    return malformed_at("code: else without if", instruction.offset);
                open_ifs.back() = false;
                break;
            case Op::end:
                open_ifs.pop_back();
                break;
            case Op::memory_init:
            case Op::data_drop:
                if (!module.data_count) {
                    return malformed_at("code: data count section required", instruction.offset);
                }
                break;
            default:
                break;
        }
    }
    if (!reader.at_end()) {
        return malformed_at(
            "code: operators remaining after end of function (section size mismatch)",
            reader.offset());
    }
    return Ok();
}

Result<void> CodeValidator::check(const Instruction& instruction) {
    const OpcodeInfo& info = *instruction.info;
    switch (instruction.op) {
        case Op::unreachable:
        case Op::nop:
        case Op::block:
        case Op::loop:
        case Op::if_:
        case Op::else_:
        case Op::end:
        case Op::br:
        case Op::br_if:
        case Op::br_table:
        case Op::return_:
        case Op::call:
        case Op::call_indirect:
        case Op::drop:
        case Op::select:
        case Op::select_typed:
            return check_control(instruction);
        case Op::local_get:
        case Op::local_set:
        case Op::local_tee:
        case Op::global_get:
        case Op::global_set:
            return check_variable(instruction);
        case Op::table_get:
        case Op::table_set:
        case Op::table_size:
        case Op::table_grow:
        case Op::table_fill:
        case Op::table_copy:
        case Op::table_init:
        case Op::elem_drop:
            return check_table(instruction);
        case Op::ref_null:
        case Op::ref_is_null:
        case Op::ref_func:
            return check_reference(instruction);
        default:
            break;
    }
    if (info.immediate == ImmediateKind::MemArg || info.immediate == ImmediateKind::MemArgLane ||
        info.immediate == ImmediateKind::MemoryIndex ||
        info.immediate == ImmediateKind::MemoryInit ||
        info.immediate == ImmediateKind::MemoryCopy || instruction.op == Op::data_drop) {
        ESTA_TRY(check_memory(instruction));
        if (instruction.op == Op::data_drop) return Ok();
    }
    ESTA_TRY(check_lanes(instruction));
    ESTA_ASSERT(info.signature.fixed);
    return apply_signature(info.signature);
}

Result<void> CodeValidator::apply_signature(const Signature& signature) {
    for (u8 i = signature.param_count; i > 0; --i)
        ESTA_TRY(pop(signature.params[i - 1]));
    if (signature.result_count == 1) push(signature.result);
    return Ok();
}

Result<void> CodeValidator::check_control(const Instruction& instruction) {
    const Module& module = *m_context.module;
    switch (instruction.op) {
        case Op::unreachable:
            mark_unreachable();
            return Ok();
        case Op::nop:
            return Ok();
        case Op::block:
        case Op::loop:
            ESTA_TRY(check_block_type(instruction.block));
            ESTA_TRY(pop(params(instruction.block)));
            return push_frame(instruction.op, instruction.block);
        case Op::if_:
            ESTA_TRY(check_block_type(instruction.block));
            ESTA_TRY(pop(ValType::I32));
            ESTA_TRY(pop(params(instruction.block)));
            return push_frame(instruction.op, instruction.block);
        case Op::else_: {
            if (m_frames.back().opcode != Op::if_) return malformed("code: else without if");
            const ControlFrame frame = ESTA_TRY(pop_frame());
            return push_frame(Op::else_, frame.type);
        }
        case Op::end: {
            const ControlFrame frame = ESTA_TRY(pop_frame());
            // An if without else has an implicit empty else, which passes its params on.
            if (frame.opcode == Op::if_) {
                const auto in = params(frame.type);
                const auto out = results(frame.type);
                if (!std::equal(in.begin(), in.end(), out.begin(), out.end())) {
                    return fail("code: type mismatch (if without else must not change types)");
                }
            }
            push(results(frame.type));
            return Ok();
        }
        case Op::br: {
            const ControlFrame* target = ESTA_TRY(label(instruction.index));
            ESTA_TRY(pop(label_types(*target)));
            mark_unreachable();
            return Ok();
        }
        case Op::br_if: {
            ESTA_TRY(pop(ValType::I32));
            const ControlFrame* target = ESTA_TRY(label(instruction.index));
            const auto types = label_types(*target);
            ESTA_TRY(pop(types));
            push(types);
            return Ok();
        }
        case Op::br_table: {
            ESTA_TRY(pop(ValType::I32));
            const ControlFrame* fallback = ESTA_TRY(label(instruction.index));
            const std::size_t arity = label_types(*fallback).size();
            // Each label is checked once however often it is listed, so a long br_table
            // costs one step per target plus one check per distinct label.
            ++m_br_table_stamp;
            for (const u32 depth : instruction.targets) {
                const ControlFrame* target = ESTA_TRY(label(depth));
                const auto types = label_types(*target);
                if (types.size() != arity) return fail("code: type mismatch (br_table arity)");
                const std::size_t position = m_frames.size() - 1 - depth;
                if (m_frames[position].br_table_stamp == m_br_table_stamp) continue;
                m_frames[position].br_table_stamp = m_br_table_stamp;
                ESTA_TRY(check_and_keep(types));
            }
            ESTA_TRY(pop(label_types(*fallback)));
            mark_unreachable();
            return Ok();
        }
        case Op::return_:
            ESTA_TRY(pop(results(m_frames.front().type)));
            mark_unreachable();
            return Ok();
        case Op::call: {
            if (instruction.index >= m_context.function_types.size()) {
                return fail("code: unknown function");
            }
            const FuncType& type =
                module.types[m_context.function_types[instruction.index].value()];
            ESTA_TRY(pop(type.params));
            push(type.results);
            return Ok();
        }
        case Op::call_indirect: {
            if (instruction.other_index >= m_context.tables.size()) {
                return fail("code: unknown table");
            }
            if (m_context.tables[instruction.other_index].element != ValType::FuncRef) {
                return fail("code: type mismatch (call_indirect needs a funcref table)");
            }
            if (instruction.index >= module.types.size()) return fail("code: unknown type");
            const FuncType& type = module.types[instruction.index];
            ESTA_TRY(pop(ValType::I32));
            ESTA_TRY(pop(type.params));
            push(type.results);
            return Ok();
        }
        case Op::drop:
            ESTA_TRY(pop());
            return Ok();
        case Op::select: {
            ESTA_TRY(pop(ValType::I32));
            const ValType first = ESTA_TRY(pop());
            const ValType second = ESTA_TRY(pop());
            // Untyped select takes numeric (or vector) operands only.
            if (is_reference(first) || is_reference(second)) {
                return fail("code: type mismatch (untyped select needs numeric operands)");
            }
            if (first != second && first != kUnknown && second != kUnknown) {
                return fail("code: type mismatch");
            }
            push(first == kUnknown ? second : first);
            return Ok();
        }
        case Op::select_typed:
            if (instruction.select_arity != 1) return fail("code: invalid result arity");
            ESTA_TRY(pop(ValType::I32));
            ESTA_TRY(pop(instruction.type));
            ESTA_TRY(pop(instruction.type));
            push(instruction.type);
            return Ok();
        default:
            ESTA_UNREACHABLE();
    }
}

Result<void> CodeValidator::check_variable(const Instruction& instruction) {
    switch (instruction.op) {
        case Op::local_get:
        case Op::local_set:
        case Op::local_tee: {
            if (instruction.index >= m_local_count) return fail("code: unknown local");
            const ValType type = local_type(instruction.index);
            if (instruction.op != Op::local_get) ESTA_TRY(pop(type));
            if (instruction.op != Op::local_set) push(type);
            return Ok();
        }
        case Op::global_get:
        case Op::global_set: {
            if (instruction.index >= m_context.globals.size()) return fail("code: unknown global");
            const GlobalType& global = m_context.globals[instruction.index];
            if (instruction.op == Op::global_get) {
                push(global.type);
                return Ok();
            }
            if (global.mutability != Mutability::Var) return fail("code: global is immutable");
            ESTA_TRY(pop(global.type));
            return Ok();
        }
        default:
            ESTA_UNREACHABLE();
    }
}

Result<void> CodeValidator::check_table(const Instruction& instruction) {
    const auto& tables = m_context.tables;
    const auto& elements = m_context.element_types;
    switch (instruction.op) {
        case Op::elem_drop:
            if (instruction.index >= elements.size()) return fail("code: unknown elem segment");
            return Ok();
        case Op::table_init: {
            if (instruction.other_index >= tables.size()) return fail("code: unknown table");
            if (instruction.index >= elements.size()) return fail("code: unknown elem segment");
            if (tables[instruction.other_index].element != elements[instruction.index]) {
                return fail("code: type mismatch (element segment and table types differ)");
            }
            return apply_signature(instruction.info->signature);
        }
        case Op::table_copy: {
            if (instruction.index >= tables.size() || instruction.other_index >= tables.size()) {
                return fail("code: unknown table");
            }
            if (tables[instruction.index].element != tables[instruction.other_index].element) {
                return fail("code: type mismatch (tables have different element types)");
            }
            return apply_signature(instruction.info->signature);
        }
        default:
            break;
    }
    if (instruction.index >= tables.size()) return fail("code: unknown table");
    const ValType element = tables[instruction.index].element;
    switch (instruction.op) {
        case Op::table_get:
            ESTA_TRY(pop(ValType::I32));
            push(element);
            return Ok();
        case Op::table_set:
            ESTA_TRY(pop(element));
            ESTA_TRY(pop(ValType::I32));
            return Ok();
        case Op::table_size:
            push(ValType::I32);
            return Ok();
        case Op::table_grow:
            ESTA_TRY(pop(ValType::I32));
            ESTA_TRY(pop(element));
            push(ValType::I32);
            return Ok();
        case Op::table_fill:
            ESTA_TRY(pop(ValType::I32));
            ESTA_TRY(pop(element));
            ESTA_TRY(pop(ValType::I32));
            return Ok();
        default:
            ESTA_UNREACHABLE();
    }
}

Result<void> CodeValidator::check_memory(const Instruction& instruction) {
    if (instruction.op == Op::memory_init || instruction.op == Op::data_drop) {
        // Decoding these needs the data count section (so that a single pass can check
        // them); its absence is a malformed binary, not an invalid module.
        const auto& data_count = m_context.module->data_count;
        if (!data_count) return malformed("code: data count section required");
        if (instruction.index >= *data_count) return fail("code: unknown data segment");
        if (instruction.op == Op::data_drop) return Ok();
    }
    if (instruction.memarg.memory.value() >= m_context.memories.size()) {
        return fail("code: unknown memory");
    }
    const ImmediateKind kind = instruction.info->immediate;
    if (kind == ImmediateKind::MemArg || kind == ImmediateKind::MemArgLane) {
        // Compared as exponents: 2^align must not exceed the access width.
        if (instruction.memarg.align > natural_alignment(instruction.op)) {
            return fail("code: alignment must not be larger than natural");
        }
    }
    return Ok();
}

// Spec: https://webassembly.github.io/spec/core/valid/instructions.html#vector-instructions
Result<void> CodeValidator::check_lanes(const Instruction& instruction) {
    switch (instruction.info->immediate) {
        case ImmediateKind::Lane:
            if (instruction.lane >= lane_count(instruction.op)) {
                return fail("code: invalid lane index");
            }
            return Ok();
        case ImmediateKind::MemArgLane:
            // A lane load or store moves one lane of the access width: 16 >> log2(width) lanes.
            if (instruction.lane >= (16u >> natural_alignment(instruction.op))) {
                return fail("code: invalid lane index");
            }
            return Ok();
        case ImmediateKind::Shuffle:
            // Indices 0..15 pick from the first operand, 16..31 from the second.
            for (const u8 index : instruction.bytes) {
                if (index >= 32) return fail("code: invalid lane index");
            }
            return Ok();
        default:
            return Ok();
    }
}

Result<void> CodeValidator::check_reference(const Instruction& instruction) {
    switch (instruction.op) {
        case Op::ref_null:
            push(instruction.type);
            return Ok();
        case Op::ref_is_null: {
            const ValType type = ESTA_TRY(pop());
            if (type != kUnknown && !is_reference(type)) {
                return fail("code: type mismatch (ref.is_null needs a reference)");
            }
            push(ValType::I32);
            return Ok();
        }
        case Op::ref_func:
            if (instruction.index >= m_context.function_types.size()) {
                return fail("code: unknown function");
            }
            if (!m_context.declared_functions[instruction.index]) {
                return fail("code: undeclared function reference");
            }
            push(ValType::FuncRef);
            return Ok();
        default:
            ESTA_UNREACHABLE();
    }
}

void CodeValidator::add_local_run(u32 count, ValType type) {
    if (count == 0) return;
    const u32 start = m_local_runs.empty() ? 0 : m_local_runs.back().end;
    if (!m_local_runs.empty() && m_local_runs.back().type == type) {
        m_local_runs.back().end = start + count;
    } else {
        m_local_runs.push_back(LocalRunEnd{.end = start + count, .type = type});
    }
}

ValType CodeValidator::local_type(u32 index) const {
    // The first run that ends after `index` holds it.
    const auto run = std::upper_bound(
        m_local_runs.begin(), m_local_runs.end(), index,
        [](u32 value, const LocalRunEnd& candidate) { return value < candidate.end; });
    ESTA_ASSERT(run != m_local_runs.end());
    return run->type;
}

void CodeValidator::push(std::span<const ValType> types) {
    m_values.insert(m_values.end(), types.begin(), types.end());
}

Result<ValType> CodeValidator::pop() {
    const ControlFrame& frame = m_frames.back();
    if (m_values.size() == frame.height) {
        if (frame.unreachable) return kUnknown;
        return fail("code: type mismatch (operand stack underflow)");
    }
    const ValType type = m_values.back();
    m_values.pop_back();
    return type;
}

Result<ValType> CodeValidator::pop(ValType expected) {
    const ValType actual = ESTA_TRY(pop());
    if (actual != expected && actual != kUnknown && expected != kUnknown) {
        return fail("code: type mismatch");
    }
    return actual;
}

Result<void> CodeValidator::match_top(std::span<const ValType> expected) {
    const ValType* top = m_values.data() + (m_values.size() - expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (top[i] != expected[i] && top[i] != kUnknown && expected[i] != kUnknown) {
            return fail("code: type mismatch");
        }
    }
    return Ok();
}

// Equivalent to popping each expected type from the top down, but in one pass: below an
// unreachable frame's height the polymorphic stack supplies unknowns, which match
// anything, so a `return` of many results in unreachable code costs nothing per result.
Result<void> CodeValidator::pop(std::span<const ValType> expected) {
    const ControlFrame& frame = m_frames.back();
    const std::size_t available = m_values.size() - frame.height;
    if (available < expected.size()) {
        if (!frame.unreachable) return fail("code: type mismatch (operand stack underflow)");
        expected = expected.subspan(expected.size() - available);
    }
    ESTA_TRY(match_top(expected));
    m_values.resize(m_values.size() - expected.size());
    return Ok();
}

Result<void> CodeValidator::check_and_keep(std::span<const ValType> expected) {
    const ControlFrame& frame = m_frames.back();
    const std::size_t available = m_values.size() - frame.height;
    if (available >= expected.size()) return match_top(expected);
    if (!frame.unreachable) return fail("code: type mismatch (operand stack underflow)");
    ESTA_TRY(match_top(expected.subspan(expected.size() - available)));
    // Popping and pushing back turns the missing values into unknowns on the stack.
    m_values.insert(m_values.begin() + frame.height, expected.size() - available, kUnknown);
    return Ok();
}

Result<void> CodeValidator::push_frame(Op opcode, BlockType type) {
    if (m_frames.size() > m_context.limits->nesting_depth) {
        return Err(
            Status::Limit, "code: blocks nested too deeply",
            Detail{
                .index = m_function, .offset = m_offset, .limit = m_context.limits->nesting_depth});
    }
    m_frames.push_back(ControlFrame{.opcode = opcode,
                                    .type = type,
                                    .height = static_cast<u32>(m_values.size()),
                                    .unreachable = false});
    push(params(type));
    return Ok();
}

Result<CodeValidator::ControlFrame> CodeValidator::pop_frame() {
    const ControlFrame frame = m_frames.back();
    ESTA_TRY(pop(results(frame.type)));
    if (m_values.size() != frame.height) {
        return fail("code: type mismatch (values remaining at end of block)");
    }
    m_frames.pop_back();
    return frame;
}

void CodeValidator::mark_unreachable() {
    ControlFrame& frame = m_frames.back();
    m_values.resize(frame.height);
    frame.unreachable = true;
}

Result<const CodeValidator::ControlFrame*> CodeValidator::label(u32 depth) {
    if (depth >= m_frames.size()) return fail("code: unknown label");
    return &m_frames[m_frames.size() - 1 - depth];
}

std::span<const ValType> CodeValidator::params(const BlockType& type) const {
    if (type.kind != BlockType::Kind::Index) return {};
    return m_context.module->types[type.index.value()].params;
}

std::span<const ValType> CodeValidator::results(const BlockType& type) const {
    switch (type.kind) {
        case BlockType::Kind::Empty:
            return {};
        case BlockType::Kind::Value:
            return single(type.value);
        case BlockType::Kind::Index:
            return m_context.module->types[type.index.value()].results;
    }
    ESTA_UNREACHABLE();
}

std::span<const ValType> CodeValidator::label_types(const ControlFrame& frame) const {
    // A branch to a loop restarts it, so it carries the loop's parameters.
    return frame.opcode == Op::loop ? params(frame.type) : results(frame.type);
}

Result<void> CodeValidator::check_block_type(const BlockType& type) {
    if (type.kind == BlockType::Kind::Index &&
        type.index.value() >= m_context.module->types.size()) {
        return fail("code: unknown type");
    }
    return Ok();
}

}  // namespace esta::wasm
