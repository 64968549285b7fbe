#include "wasm/fault_hooks.h"

#include <cstring>

#include "wasm/interpreter.h"

namespace esta::wasm {

class ExecutionAccess {
  public:
    static ExecutionState& state(const Execution& execution) { return *execution.m_state; }
};

namespace {

// The suspended wasm function's frame, if the execution stopped inside wasm code.
struct SuspendedFrame {
    u64* fp = nullptr;
    const LoweredFunction* code = nullptr;
};

SuspendedFrame suspended_frame(const Execution& execution) {
    const ExecutionState& state = ExecutionAccess::state(execution);
    if (!state.suspended || state.entry == nullptr || state.entry->is_host()) return {};
    if (state.function == nullptr || state.function->code == nullptr) return {};
    return {state.fp, state.function->code};
}

// Whether `op`'s imm (or, for the fused compares' `_imm` forms, c) holds a value the
// interpreter uses as data rather than as a slot number, a target or a pointer.
enum class ImmediateField : u8 { None, Imm, C };

ImmediateField value_immediate(LOp op) {
    switch (op) {
        case LOp::constant:
#define ESTA_CASE_LOAD(name, slot, memory) \
    case LOp::name:                        \
    case LOp::name##_add:
            ESTA_LOAD_OPS(ESTA_CASE_LOAD)
#undef ESTA_CASE_LOAD
#define ESTA_CASE_STORE(name, memory) case LOp::name:
            ESTA_STORE_OPS(ESTA_CASE_STORE)
#undef ESTA_CASE_STORE
#define ESTA_CASE_IMMEDIATE(name, functor) case LOp::name##_imm:
            ESTA_IMMEDIATE_OPS(ESTA_CASE_IMMEDIATE)
#undef ESTA_CASE_IMMEDIATE
            return ImmediateField::Imm;
#define ESTA_CASE_FUSED(name, functor) \
    case LOp::br_if_##name##_imm:      \
    case LOp::br_if_back_##name##_imm: \
    case LOp::br_unless_##name##_imm:
            ESTA_FUSED_COMPARES(ESTA_CASE_FUSED)
#undef ESTA_CASE_FUSED
            return ImmediateField::C;
        default:
            return ImmediateField::None;
    }
}

// Every instruction of the module with a value immediate, in function and code order.
std::vector<LInstruction*> value_instructions(const Instance& instance) {
    const auto& impl = static_cast<const InstanceImpl&>(instance);
    const CompiledModule& compiled = impl.compiled();
    std::vector<LInstruction*> found;
    const u32 defined = static_cast<u32>(compiled.module().functions.size());
    for (u32 index = 0; index < defined; ++index) {
        // The module is immutable to everyone else; a fault is the one writer.
        auto& code = const_cast<LoweredFunction&>(compiled.function(index)).code;
        for (LInstruction& instruction : code) {
            if (value_immediate(instruction.op) != ImmediateField::None)
                found.push_back(&instruction);
        }
    }
    return found;
}

void flip(void* bytes, u64 bit) {
    auto* byte = static_cast<u8*>(bytes) + bit / 8;
    *byte = static_cast<u8>(*byte ^ (1u << (bit % 8)));
}

void hash_u64(observe::Sha256& hasher, u64 value) {
    u8 bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<u8>(value >> (8 * i));
    hasher.update(ByteSpan(bytes, 8));
}

template <class T>
void hash_array(observe::Sha256& hasher, const std::vector<T>& items) {
    static_assert(std::has_unique_object_representations_v<T>);
    hash_u64(hasher, items.size());
    hasher.update(ByteSpan(reinterpret_cast<const u8*>(items.data()), items.size() * sizeof(T)));
}

}  // namespace

std::string_view fault_target_name(FaultTarget target) {
    switch (target) {
        case FaultTarget::Memory:
            return "memory";
        case FaultTarget::ValueStack:
            return "value_stack";
        case FaultTarget::Frame:
            return "frame";
        case FaultTarget::LoweredCode:
            return "lowered_code";
    }
    return "unknown";
}

u64 fault_bits(const Execution& execution, const Instance& instance, FaultTarget target) {
    switch (target) {
        case FaultTarget::Memory: {
            const LinearMemory* memory = instance.memory(0);
            return memory == nullptr ? 0 : memory->size() * 8;
        }
        case FaultTarget::ValueStack: {
            SuspendedFrame frame = suspended_frame(execution);
            if (frame.code == nullptr) return 0;
            return u64{frame.code->frame_slots - frame.code->local_slots} * 64;
        }
        case FaultTarget::Frame: {
            SuspendedFrame frame = suspended_frame(execution);
            return frame.code == nullptr ? 0 : u64{frame.code->local_slots} * 64;
        }
        case FaultTarget::LoweredCode:
            return value_instructions(instance).size() * 32;
    }
    return 0;
}

Result<void> flip_bit(Execution& execution, Instance& instance, FaultTarget target, u64 bit) {
    const u64 bits = fault_bits(execution, instance, target);
    if (bit >= bits)
        return Err(Status::InvalidArgs, "flip_bit: bit outside the target",
                   {.limit = bits, .actual = bit});
    switch (target) {
        case FaultTarget::Memory:
            flip(instance.memory(0)->base(), bit);
            break;
        case FaultTarget::ValueStack: {
            SuspendedFrame frame = suspended_frame(execution);
            flip(frame.fp + frame.code->local_slots, bit);
            break;
        }
        case FaultTarget::Frame:
            flip(suspended_frame(execution).fp, bit);
            break;
        case FaultTarget::LoweredCode: {
            LInstruction* instruction = value_instructions(instance)[bit / 32];
            if (value_immediate(instruction->op) == ImmediateField::C) {
                flip(&instruction->c, bit % 32);
            } else {
                u64 value = instruction->imm;
                value ^= u64{1} << (bit % 32);
                instruction->imm = value;
            }
            break;
        }
    }
    return {};
}

observe::Digest lowered_code_digest(const CompiledModule& compiled) {
    observe::Sha256 hasher;
    const u32 defined = static_cast<u32>(compiled.module().functions.size());
    hash_u64(hasher, defined);
    for (u32 index = 0; index < defined; ++index) {
        const LoweredFunction& function = compiled.function(index);
        // call_defined's imm points at the callee's code: hashed as the callee's index, so
        // two compilations of the same bytes agree.
        std::vector<LInstruction> code = function.code;
        for (LInstruction& instruction : code) {
            if (instruction.op != LOp::call_defined) continue;
            const auto* callee = reinterpret_cast<const LoweredFunction*>(instruction.imm);
            instruction.imm = static_cast<u64>(callee - &compiled.function(0));
        }
        hash_array(hasher, code);
        hash_array(hasher, function.br_table);
        hash_u64(hasher, function.v128_constants.size());
        for (const V128& constant : function.v128_constants) {
            hash_u64(hasher, constant.low());
            hash_u64(hasher, constant.high());
        }
        hash_u64(hasher, function.param_slots);
        hash_u64(hasher, function.local_slots);
        hash_u64(hasher, function.frame_slots);
        hash_u64(hasher, function.result_count);
        hash_u64(hasher, function.entry_cost);
    }
    return hasher.finish();
}

std::vector<GlobalInstance*> instance_globals(const Instance& instance) {
    return static_cast<const InstanceImpl&>(instance).globals;
}

}  // namespace esta::wasm
