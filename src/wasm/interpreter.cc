// The dispatch loop. One or two lines per handler; the shared paths (calls, host calls,
// traps, safepoints) sit after the handlers. See interpreter.h for the dispatch styles and
// lowering.h for the code format and the fuel model.
// Spec: https://webassembly.github.io/spec/core/exec/instructions.html
#include "wasm/interpreter.h"

#include <bit>
#include <cstring>
#include <type_traits>

#include "wasm/simd_handlers.h"

#if !defined(__GNUC__) && !defined(ESTA_WASM_SWITCH_DISPATCH)
#define ESTA_WASM_SWITCH_DISPATCH 1
#endif

namespace esta::wasm {
namespace {

// Unwraps a parenthesized type from the op tables: Unparen<void((A<x, y>))> is A<x, y>.
template <class T>
struct UnparenType;
template <class T>
struct UnparenType<void(T)> {
    using type = T;
};
template <class T>
using Unparen = typename UnparenType<T>::type;

template <class T>
struct IsChecked : std::false_type {};
template <class T>
struct IsChecked<ops::Checked<T>> : std::true_type {};

// Slots hold numbers as raw bits: 32-bit values in the low half.
template <class T>
inline T get(const u64* slot) {
    if constexpr (sizeof(T) == 8) {
        return std::bit_cast<T>(*slot);
    } else {
        return std::bit_cast<T>(static_cast<u32>(*slot));
    }
}
template <class T>
inline void put(u64* slot, T value) {
    if constexpr (sizeof(T) == 8) {
        *slot = std::bit_cast<u64>(value);
    } else {
        *slot = std::bit_cast<u32>(value);
    }
}

// Applies a numeric functor to slots a (and b), writing c. False when it trapped.
template <class F, int kArity>
inline bool numeric(u64* fp, const LInstruction* pc, Trap& trap) {
    using Operand = typename F::Operand;
    auto result = [&] {
        if constexpr (kArity == 1) {
            return F{}(get<Operand>(fp + pc->a));
        } else {
            return F{}(get<Operand>(fp + pc->a), get<Operand>(fp + pc->b));
        }
    }();
    if constexpr (IsChecked<decltype(result)>::value) {
        if (!result.ok()) [[unlikely]] {
            trap.kind = result.trap;
            trap.reason = result.reason;
            return false;
        }
        put(fp + pc->c, result.value);
    } else {
        put(fp + pc->c, result);
    }
    return true;
}

// A binary operator whose right operand is the instruction's constant.
template <class F>
inline void numeric_imm(u64* fp, const LInstruction* pc) {
    using Operand = typename F::Operand;
    put(fp + pc->c, F{}(get<Operand>(fp + pc->a), static_cast<Operand>(pc->imm)));
}

inline void copy_slots(u64* fp, u32 source, u32 destination, u32 count) {
    for (u32 i = 0; i < count; ++i)
        fp[destination + i] = fp[source + i];
}

// Zeroes the declared locals of a new frame (their default values). Most functions declare
// a few, for which overlapping stores from both ends cost less than the library call or a
// jump table.
inline void zero_locals(u64* locals, u32 count) {
    if (count == 0) return;
    if (count <= 2) {
        locals[0] = 0;
        locals[count - 1] = 0;
    } else if (count <= 4) {
        locals[0] = locals[1] = 0;
        locals[count - 2] = locals[count - 1] = 0;
    } else if (count <= 8) {
        locals[0] = locals[1] = locals[2] = locals[3] = 0;
        locals[count - 4] = locals[count - 3] = locals[count - 2] = locals[count - 1] = 0;
    } else {
        std::memset(locals, 0, std::size_t{count} * sizeof(u64));
    }
}

// Fuel for a bulk operation over `count` bytes or elements (T-3: 1 unit per 64).
inline i64 bulk_cost(u32 count) {
    return (i64{count} + 63) / 64;
}

constexpr const char* kMemoryOutOfBounds = "out of bounds memory access";
constexpr const char* kTableOutOfBounds = "out of bounds table access";

}  // namespace

ExecutionState::ExecutionState(Store& store_, const StackLimits& limits_)
    : store(store_),
      limits(limits_),
      // Not value-initialized: the pages are only touched as the stack grows into them.
      stack(std::make_unique_for_overwrite<u64[]>(limits_.max_value_slots)),
      stack_end(stack.get() + limits_.max_value_slots),
      frames(std::make_unique_for_overwrite<CallFrame[]>(limits_.max_call_depth)) {
    host_args.reserve(16);
    host_results.reserve(16);
}

template <bool kStepping>
RunExit run(ExecutionState& state) {
    const LInstruction* pc = state.pc;
    u64* fp = state.fp;
    i64 fuel = state.fuel;
    // Only what every handler needs lives in locals, so the compiler can keep pc and fp in
    // registers; the rest (call depth, current function, flags) stays in `state`.
    const InstanceImpl* instance = state.function->instance;
    const LInstruction* code = state.function->code->code.data();
    u8* memory = instance->memory_base;
    u64 memory_size = instance->memory_size != nullptr ? *instance->memory_size : 0;
    FunctionInstance* callee = nullptr;
    const LoweredFunction* callee_code = nullptr;

#define ESTA_SAVE()        \
    do {                   \
        state.pc = pc;     \
        state.fp = fp;     \
        state.fuel = fuel; \
    } while (0)
#define ESTA_RELOAD_MEMORY()                                                         \
    do {                                                                             \
        memory = instance->memory_base;                                              \
        memory_size = instance->memory_size != nullptr ? *instance->memory_size : 0; \
    } while (0)
#define ESTA_TRAP(kind_, reason_)    \
    do {                             \
        state.trap.kind = kind_;     \
        state.trap.reason = reason_; \
        goto trapped;                \
    } while (0)
// Stepping mode: stop before an instruction the remaining fuel cannot pay for.
#define ESTA_STEP_CHECK()                                                         \
    do {                                                                          \
        if constexpr (kStepping) {                                                \
            if (fuel < 0 && static_cast<i64>(pc->rest) < -fuel) goto out_of_fuel; \
        }                                                                         \
    } while (0)
// After a control transfer: charge the segment entered, and change modes when the sign of
// the fuel says so.
#define ESTA_CHARGE_AND_DISPATCH(amount) \
    do {                                 \
        fuel -= (amount);                \
        if constexpr (!kStepping) {      \
            if (fuel < 0) [[unlikely]] { \
                ESTA_SAVE();             \
                return RunExit::Step;    \
            }                            \
        } else {                         \
            if (fuel >= 0) {             \
                ESTA_SAVE();             \
                return RunExit::Normal;  \
            }                            \
        }                                \
        ESTA_DISPATCH();                 \
    } while (0)
#define ESTA_SAFEPOINT()                                                 \
    do {                                                                 \
        if (state.interrupt->load(std::memory_order_relaxed) ||          \
            state.preempt->load(std::memory_order_relaxed)) [[unlikely]] \
            goto flagged;                                                \
    } while (0)
// Jumps to the target of a branch that carries no values.
#define ESTA_TAKE_BRANCH()                          \
    do {                                            \
        const i64 delta_ = static_cast<i32>(pc->d); \
        pc = code + static_cast<u32>(pc->imm);      \
        ESTA_CHARGE_AND_DISPATCH(delta_);           \
    } while (0)
#define ESTA_NEXT()      \
    do {                 \
        ++pc;            \
        ESTA_DISPATCH(); \
    } while (0)

#if ESTA_WASM_SWITCH_DISPATCH
#define ESTA_DISPATCH() goto dispatch
#define ESTA_HANDLER(name) case LOp::name:
dispatch:
    ESTA_STEP_CHECK();
    switch (pc->op) {
#else
    static void* const kHandlers[] = {
#define ESTA_LABEL_CONTROL(name) &&op_##name,
#define ESTA_LABEL_NUMERIC(name, arity, functor) &&op_##name,
#define ESTA_LABEL_LOAD(name, slot_type, memory_type) &&op_##name,
#define ESTA_LABEL_STORE(name, memory_type) &&op_##name,
#define ESTA_LABEL_IMMEDIATE(name, functor) &&op_##name##_imm,
#define ESTA_LABEL_LOAD_ADD(name, slot_type, memory_type) &&op_##name##_add,
#define ESTA_LABEL_FUSED(name, functor)                                                        \
    &&op_br_if_##name, &&op_br_if_back_##name, &&op_br_unless_##name, &&op_br_if_##name##_imm, \
        &&op_br_if_back_##name##_imm, &&op_br_unless_##name##_imm,
        ESTA_CONTROL_OPS(ESTA_LABEL_CONTROL) ESTA_NUMERIC_OPS(ESTA_LABEL_NUMERIC)
            ESTA_LOAD_OPS(ESTA_LABEL_LOAD) ESTA_STORE_OPS(ESTA_LABEL_STORE)
                ESTA_IMMEDIATE_OPS(ESTA_LABEL_IMMEDIATE) ESTA_FUSED_COMPARES(ESTA_LABEL_FUSED)
                    ESTA_LOAD_OPS(ESTA_LABEL_LOAD_ADD)
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) &&op_##identifier,
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
#undef ESTA_LABEL_CONTROL
#undef ESTA_LABEL_NUMERIC
#undef ESTA_LABEL_LOAD
#undef ESTA_LABEL_STORE
#undef ESTA_LABEL_IMMEDIATE
#undef ESTA_LABEL_FUSED
#undef ESTA_LABEL_LOAD_ADD
    };
    static_assert(std::size(kHandlers) == static_cast<std::size_t>(LOp::kCount));
#define ESTA_DISPATCH()                            \
    do {                                           \
        ESTA_STEP_CHECK();                         \
        goto* kHandlers[static_cast<u16>(pc->op)]; \
    } while (0)
#define ESTA_HANDLER(name) op_##name:
    ESTA_DISPATCH();
    {
#endif

        // Control. Spec:
        // https://webassembly.github.io/spec/core/exec/instructions.html#control-instructions
        ESTA_HANDLER(nop) {
            ESTA_NEXT();
        }
        ESTA_HANDLER(unreachable) {
            ESTA_TRAP(TrapKind::Unreachable, "unreachable");
        }
        ESTA_HANDLER(copy) {
            fp[pc->c] = fp[pc->a];
            ESTA_NEXT();
        }
        ESTA_HANDLER(copy2) {
            fp[pc->c] = fp[pc->a];
            fp[pc->d] = fp[pc->b];
            ESTA_NEXT();
        }
        ESTA_HANDLER(constant) {
            fp[pc->c] = pc->imm;
            ESTA_NEXT();
        }
        ESTA_HANDLER(select) {
            fp[pc->c] = static_cast<u32>(fp[pc->d]) != 0 ? fp[pc->a] : fp[pc->b];
            ESTA_NEXT();
        }
        ESTA_HANDLER(br) {
            copy_slots(fp, pc->a, pc->b, pc->c);
            const i64 delta = static_cast<i32>(pc->d);
            pc = code + static_cast<u32>(pc->imm);
            ESTA_CHARGE_AND_DISPATCH(delta);
        }
        ESTA_HANDLER(br_back) {
            ESTA_SAFEPOINT();
            copy_slots(fp, pc->a, pc->b, pc->c);
            const i64 delta = static_cast<i32>(pc->d);
            pc = code + static_cast<u32>(pc->imm);
            ESTA_CHARGE_AND_DISPATCH(delta);
        }
        ESTA_HANDLER(br_if) {
            if (static_cast<u32>(fp[pc->imm >> 32]) == 0) ESTA_NEXT();
            copy_slots(fp, pc->a, pc->b, pc->c);
            const i64 delta = static_cast<i32>(pc->d);
            pc = code + static_cast<u32>(pc->imm);
            ESTA_CHARGE_AND_DISPATCH(delta);
        }
        ESTA_HANDLER(br_if_back) {
            if (static_cast<u32>(fp[pc->imm >> 32]) == 0) ESTA_NEXT();
            ESTA_SAFEPOINT();
            copy_slots(fp, pc->a, pc->b, pc->c);
            const i64 delta = static_cast<i32>(pc->d);
            pc = code + static_cast<u32>(pc->imm);
            ESTA_CHARGE_AND_DISPATCH(delta);
        }
        ESTA_HANDLER(br_unless) {
            if (static_cast<u32>(fp[pc->imm >> 32]) != 0) ESTA_NEXT();
            const i64 delta = static_cast<i32>(pc->d);
            pc = code + static_cast<u32>(pc->imm);
            ESTA_CHARGE_AND_DISPATCH(delta);
        }
        ESTA_HANDLER(br_unless_back) {
            if (static_cast<u32>(fp[pc->imm >> 32]) != 0) ESTA_NEXT();
            ESTA_SAFEPOINT();
            ESTA_TAKE_BRANCH();
        }
        ESTA_HANDLER(br_table) {
            ESTA_SAFEPOINT();
            u32 index = static_cast<u32>(fp[pc->a]);
            if (index > pc->b) index = pc->b;
            const BrTableEntry& entry = state.function->code->br_table[pc->imm + index];
            if (entry.destination != pc->d) copy_slots(fp, pc->d, entry.destination, pc->c);
            pc = code + entry.target;
            ESTA_CHARGE_AND_DISPATCH(entry.delta);
        }
        ESTA_HANDLER(return_) {
            if (pc->a != 0) copy_slots(fp, pc->a, 0, pc->c);
            if (state.depth == 0) {
                ESTA_SAVE();
                return RunExit::Returned;
            }
            const CallFrame& frame = state.frames[--state.depth];
            pc = frame.return_pc;
            fp = frame.fp;
            state.function = frame.function;
            code = frame.code;
            // Within one instance the memory registers are already current: memory.grow
            // and host calls reload them where they happen.
            if (frame.function->instance != instance) [[unlikely]] {
                instance = frame.function->instance;
                ESTA_RELOAD_MEMORY();
            }
            // The call instruction holds its continuation's entry cost.
            ESTA_CHARGE_AND_DISPATCH(i64{pc[-1].d});
        }
        ESTA_HANDLER(call) {
            callee = instance->functions[pc->b];
            goto call_function;
        }
        ESTA_HANDLER(call_defined) {
            callee = instance->functions[pc->b];
            callee_code = reinterpret_cast<const LoweredFunction*>(pc->imm);
            ESTA_SAFEPOINT();
            goto enter_function;
        }
        ESTA_HANDLER(call_indirect) {
            const TableInstance& table = *instance->tables[pc->c];
            const u32 index = static_cast<u32>(fp[pc->imm]);
            if (index >= table.size()) ESTA_TRAP(TrapKind::OutOfBounds, "undefined element");
            callee = reinterpret_cast<FunctionInstance*>(table.data()[index]);
            if (callee == nullptr)
                ESTA_TRAP(TrapKind::IndirectCallMismatch, "uninitialized element");
            if (callee->type_id != instance->type_ids[pc->b])
                ESTA_TRAP(TrapKind::IndirectCallMismatch, "indirect call type mismatch");
            goto call_function;
        }

        // Variables. Spec:
        // https://webassembly.github.io/spec/core/exec/instructions.html#variable-instructions
        ESTA_HANDLER(global_get) {
            fp[pc->c] = *instance->globals[pc->b]->slot();
            ESTA_NEXT();
        }
        ESTA_HANDLER(global_set) {
            *instance->globals[pc->b]->slot() = fp[pc->a];
            ESTA_NEXT();
        }
        ESTA_HANDLER(global_get_v128) {
            const u64* global = instance->globals[pc->b]->slot();
            fp[pc->c] = global[0];
            fp[pc->c + 1] = global[1];
            ESTA_NEXT();
        }
        ESTA_HANDLER(global_set_v128) {
            u64* global = instance->globals[pc->b]->slot();
            global[0] = fp[pc->a];
            global[1] = fp[pc->a + 1];
            ESTA_NEXT();
        }
        ESTA_HANDLER(ref_func) {
            fp[pc->c] = reinterpret_cast<u64>(instance->functions[pc->b]);
            ESTA_NEXT();
        }

        // Memory. Spec:
        // https://webassembly.github.io/spec/core/exec/instructions.html#memory-instructions
#define ESTA_HANDLE_LOAD(name, slot_type, memory_type)                  \
    ESTA_HANDLER(name) {                                                \
        const u64 address = u64{static_cast<u32>(fp[pc->a])} + pc->imm; \
        if (address + sizeof(memory_type) > memory_size) [[unlikely]]   \
            ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);       \
        memory_type value;                                              \
        std::memcpy(&value, memory + address, sizeof(memory_type));     \
        put<slot_type>(fp + pc->c, static_cast<slot_type>(value));      \
        ESTA_NEXT();                                                    \
    }
        ESTA_LOAD_OPS(ESTA_HANDLE_LOAD)
#undef ESTA_HANDLE_LOAD
#define ESTA_HANDLE_STORE(name, memory_type)                            \
    ESTA_HANDLER(name) {                                                \
        const u64 address = u64{static_cast<u32>(fp[pc->a])} + pc->imm; \
        if (address + sizeof(memory_type) > memory_size) [[unlikely]]   \
            ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);       \
        const memory_type value = static_cast<memory_type>(fp[pc->b]);  \
        std::memcpy(memory + address, &value, sizeof(memory_type));     \
        ESTA_NEXT();                                                    \
    }
        ESTA_STORE_OPS(ESTA_HANDLE_STORE)
#undef ESTA_HANDLE_STORE
        ESTA_HANDLER(memory_size) {
            fp[pc->c] = memory_size / kPageSize;
            ESTA_NEXT();
        }
        ESTA_HANDLER(memory_grow) {
            LinearMemory& target = *instance->memories[0];
            const u32 delta = static_cast<u32>(fp[pc->a]);
            // Only pages actually added cost fuel (T-3); a refused grow is just -1.
            const i64 cost = delta <= target.max_pages() - target.pages() ? i64{delta} : 0;
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            fp[pc->c] = static_cast<u32>(target.grow(delta));
            ESTA_RELOAD_MEMORY();
            goto after_bulk;
        }
        ESTA_HANDLER(memory_fill) {
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > memory_size)
                ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);
            std::memset(memory + destination, static_cast<u8>(fp[pc->a + 1]), count);
            goto after_bulk;
        }
        ESTA_HANDLER(memory_copy) {
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u32 source = static_cast<u32>(fp[pc->a + 1]);
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > memory_size || u64{source} + count > memory_size)
                ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);
            std::memmove(memory + destination, memory + source, count);
            goto after_bulk;
        }
        ESTA_HANDLER(memory_init) {
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u32 source = static_cast<u32>(fp[pc->a + 1]);
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const ByteSpan segment = instance->data[pc->b];
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > memory_size || u64{source} + count > segment.size())
                ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);
            if (count != 0) std::memcpy(memory + destination, segment.data() + source, count);
            goto after_bulk;
        }
        ESTA_HANDLER(data_drop) {
            const_cast<InstanceImpl*>(instance)->data[pc->b] = {};
            ESTA_NEXT();
        }

        // Tables. Spec:
        // https://webassembly.github.io/spec/core/exec/instructions.html#table-instructions
        ESTA_HANDLER(table_get) {
            const TableInstance& table = *instance->tables[pc->b];
            const u32 index = static_cast<u32>(fp[pc->a]);
            if (index >= table.size()) ESTA_TRAP(TrapKind::OutOfBounds, kTableOutOfBounds);
            fp[pc->c] = table.data()[index];
            ESTA_NEXT();
        }
        ESTA_HANDLER(table_set) {
            TableInstance& table = *instance->tables[pc->b];
            const u32 index = static_cast<u32>(fp[pc->a]);
            if (index >= table.size()) ESTA_TRAP(TrapKind::OutOfBounds, kTableOutOfBounds);
            table.data()[index] = fp[pc->a + 1];
            ESTA_NEXT();
        }
        ESTA_HANDLER(table_size) {
            fp[pc->c] = instance->tables[pc->b]->size();
            ESTA_NEXT();
        }
        ESTA_HANDLER(table_grow) {
            TableInstance& table = *instance->tables[pc->b];
            const Value init = Value::from_slot(table.type().element, fp[pc->a]);
            fp[pc->c] = static_cast<u32>(table.grow(static_cast<u32>(fp[pc->a + 1]), init));
            ESTA_NEXT();
        }
        ESTA_HANDLER(table_fill) {
            TableInstance& table = *instance->tables[pc->b];
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u64 value = fp[pc->a + 1];
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > table.size())
                ESTA_TRAP(TrapKind::OutOfBounds, kTableOutOfBounds);
            std::fill_n(table.data() + destination, count, value);
            goto after_bulk;
        }
        ESTA_HANDLER(table_copy) {
            TableInstance& destination_table = *instance->tables[pc->b];
            const TableInstance& source_table = *instance->tables[pc->c];
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u32 source = static_cast<u32>(fp[pc->a + 1]);
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > destination_table.size() ||
                u64{source} + count > source_table.size())
                ESTA_TRAP(TrapKind::OutOfBounds, kTableOutOfBounds);
            if (count != 0)
                std::memmove(destination_table.data() + destination, source_table.data() + source,
                             std::size_t{count} * sizeof(u64));
            goto after_bulk;
        }
        ESTA_HANDLER(table_init) {
            TableInstance& table = *instance->tables[pc->b];
            const std::vector<u64>& segment = instance->elements[pc->c];
            const u32 destination = static_cast<u32>(fp[pc->a]);
            const u32 source = static_cast<u32>(fp[pc->a + 1]);
            const u32 count = static_cast<u32>(fp[pc->a + 2]);
            const i64 cost = bulk_cost(count);
            if (cost > fuel + static_cast<i64>(pc->rest)) goto out_of_fuel;
            fuel -= cost;
            if (u64{destination} + count > table.size() || u64{source} + count > segment.size())
                ESTA_TRAP(TrapKind::OutOfBounds, kTableOutOfBounds);
            if (count != 0)
                std::memcpy(table.data() + destination, segment.data() + source,
                            std::size_t{count} * sizeof(u64));
            goto after_bulk;
        }
        ESTA_HANDLER(elem_drop) {
            std::vector<u64>().swap(const_cast<InstanceImpl*>(instance)->elements[pc->b]);
            ESTA_NEXT();
        }

        // Numeric. Spec:
        // https://webassembly.github.io/spec/core/exec/instructions.html#numeric-instructions
#define ESTA_HANDLE_NUMERIC(name, arity, functor)                                     \
    ESTA_HANDLER(name) {                                                              \
        if (!numeric<Unparen<void(functor)>, arity>(fp, pc, state.trap)) [[unlikely]] \
            goto trapped;                                                             \
        ESTA_NEXT();                                                                  \
    }
        ESTA_NUMERIC_OPS(ESTA_HANDLE_NUMERIC)
#undef ESTA_HANDLE_NUMERIC

        // Superinstructions (lowering.h): the same functors, fewer dispatches.
#define ESTA_HANDLE_IMMEDIATE(name, functor) \
    ESTA_HANDLER(name##_imm) {               \
        numeric_imm<functor>(fp, pc);        \
        ESTA_NEXT();                         \
    }
        ESTA_IMMEDIATE_OPS(ESTA_HANDLE_IMMEDIATE)
#undef ESTA_HANDLE_IMMEDIATE
#define ESTA_HANDLE_FUSED(name, functor)                                                \
    ESTA_HANDLER(br_if_##name) {                                                        \
        if (functor{}(get<u32>(fp + pc->a), get<u32>(fp + pc->b))) ESTA_TAKE_BRANCH();  \
        ESTA_NEXT();                                                                    \
    }                                                                                   \
    ESTA_HANDLER(br_if_back_##name) {                                                   \
        if (functor{}(get<u32>(fp + pc->a), get<u32>(fp + pc->b))) {                    \
            ESTA_SAFEPOINT();                                                           \
            ESTA_TAKE_BRANCH();                                                         \
        }                                                                               \
        ESTA_NEXT();                                                                    \
    }                                                                                   \
    ESTA_HANDLER(br_unless_##name) {                                                    \
        if (!functor{}(get<u32>(fp + pc->a), get<u32>(fp + pc->b))) ESTA_TAKE_BRANCH(); \
        ESTA_NEXT();                                                                    \
    }                                                                                   \
    ESTA_HANDLER(br_if_##name##_imm) {                                                  \
        if (functor{}(get<u32>(fp + pc->a), pc->c)) ESTA_TAKE_BRANCH();                 \
        ESTA_NEXT();                                                                    \
    }                                                                                   \
    ESTA_HANDLER(br_if_back_##name##_imm) {                                             \
        if (functor{}(get<u32>(fp + pc->a), pc->c)) {                                   \
            ESTA_SAFEPOINT();                                                           \
            ESTA_TAKE_BRANCH();                                                         \
        }                                                                               \
        ESTA_NEXT();                                                                    \
    }                                                                                   \
    ESTA_HANDLER(br_unless_##name##_imm) {                                              \
        if (!functor{}(get<u32>(fp + pc->a), pc->c)) ESTA_TAKE_BRANCH();                \
        ESTA_NEXT();                                                                    \
    }
        ESTA_FUSED_COMPARES(ESTA_HANDLE_FUSED)
#undef ESTA_HANDLE_FUSED
#define ESTA_HANDLE_LOAD_ADD(name, slot_type, memory_type)                          \
    ESTA_HANDLER(name##_add) {                                                      \
        const u32 base = static_cast<u32>(fp[pc->a]) + static_cast<u32>(fp[pc->b]); \
        const u64 address = u64{base} + pc->imm;                                    \
        if (address + sizeof(memory_type) > memory_size) [[unlikely]]               \
            ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);                   \
        memory_type value;                                                          \
        std::memcpy(&value, memory + address, sizeof(memory_type));                 \
        put<slot_type>(fp + pc->c, static_cast<slot_type>(value));                  \
        ESTA_NEXT();                                                                \
    }
        ESTA_LOAD_OPS(ESTA_HANDLE_LOAD_ADD)
#undef ESTA_HANDLE_LOAD_ADD

        // SIMD (simd_handlers.h): each row's handler is chosen at compile time.
#define ESTA_OPCODE(identifier, prefix_, code_, immediate_, text, signature_)              \
    ESTA_HANDLER(identifier) {                                                             \
        static_assert(simd_handlers::has_handler(text), "no SIMD handler for " text);      \
        constexpr simd_handlers::Handler handler = simd_handlers::handler_for(text);       \
        const simd_handlers::Context context{memory, memory_size,                          \
                                             state.function->code->v128_constants.data()}; \
        if (!handler(fp, pc, context)) [[unlikely]]                                        \
            ESTA_TRAP(TrapKind::OutOfBounds, kMemoryOutOfBounds);                          \
        ESTA_NEXT();                                                                       \
    }
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE

#if ESTA_WASM_SWITCH_DISPATCH
        case LOp::kCount:
            break;
    }
    ESTA_TRAP(TrapKind::Unreachable, "invalid internal opcode");
#else
    }
#endif

    // Shared paths.
call_function : {
    ESTA_SAFEPOINT();
    if (callee->is_host()) goto call_host;
    callee_code = callee->code;
    if (callee->instance != instance) {
        instance = callee->instance;
        ESTA_RELOAD_MEMORY();
    }
}
enter_function : {
    // The arguments are already in place: the caller's operand slots become the callee's
    // first locals.
    u64* const callee_fp = fp + pc->a;
    if (state.depth >= state.limits.max_call_depth ||
        callee_code->frame_slots > static_cast<u64>(state.stack_end - callee_fp)) [[unlikely]]
        ESTA_TRAP(TrapKind::CallStackExhausted, "call stack exhausted");
    state.frames[state.depth++] = CallFrame{pc + 1, fp, state.function, code};
    zero_locals(callee_fp + callee_code->param_slots,
                callee_code->local_slots - callee_code->param_slots);
    fp = callee_fp;
    state.function = callee;
    code = callee_code->code.data();
    pc = code;
    ESTA_CHARGE_AND_DISPATCH(i64{callee_code->entry_cost});
}
call_host : {
    const FuncType& type = *callee->type;
    u64* const arguments = fp + pc->a;
    state.host_args.clear();
    const u64* argument = arguments;
    for (ValType param : type.params) {
        state.host_args.push_back(Value::from_slots(param, argument));
        argument += Value::slot_count(param);
    }
    state.host_results.clear();
    for (ValType result : type.results)
        state.host_results.push_back(Value::zero(result));
    InstanceImpl* caller = const_cast<InstanceImpl*>(instance);
    HostContext context(state.store, caller, caller->memory(0));
    ESTA_SAVE();
    const HostResult result = callee->host(context, state.host_args, state.host_results);
    switch (result.kind()) {
        case HostResult::Kind::Return:
            break;
        case HostResult::Kind::Trap:
            state.trap = result.trap_value();
            goto trapped;
        case HostResult::Kind::Block:
            return RunExit::Suspended;
        case HostResult::Kind::Exit:
            state.exit_code = result.exit_code();
            return RunExit::Exited;
    }
    // By the declared types: a host that wrote a value of another type cannot make the
    // results spill past their slots.
    u64* result_slot = arguments;
    for (std::size_t i = 0; i < type.results.size(); ++i) {
        const Value& value = state.host_results[i];
        result_slot[0] = value.slot();
        if (type.results[i] == ValType::V128) result_slot[1] = value.as_v128().high();
        result_slot += Value::slot_count(type.results[i]);
    }
    // The host may have grown the memory.
    ESTA_RELOAD_MEMORY();
    const i64 continuation = pc->d;
    ++pc;
    ESTA_CHARGE_AND_DISPATCH(continuation);
}
after_bulk:
    // A bulk operation may have spent fuel charged ahead for the rest of its segment.
    ++pc;
    if constexpr (!kStepping) {
        if (fuel < 0) {
            ESTA_SAVE();
            return RunExit::Step;
        }
    }
    ESTA_DISPATCH();
flagged:
    ESTA_SAVE();
    if (state.interrupt->load(std::memory_order_relaxed)) {
        state.trap.kind = TrapKind::Timeout;
        state.trap.reason = "interrupted";
        goto trapped;
    }
    return RunExit::Suspended;
out_of_fuel:
    ESTA_SAVE();
    return RunExit::OutOfFuel;
trapped:
    // Settle the fuel: the rest of the segment was charged ahead but never ran.
    fuel += pc->rest;
    ESTA_SAVE();
    state.trap.function = state.function->index;
    state.trap.code_offset = state.function->code->offsets[static_cast<std::size_t>(pc - code)];
    return RunExit::Trapped;

#undef ESTA_SAVE
#undef ESTA_RELOAD_MEMORY
#undef ESTA_TRAP
#undef ESTA_STEP_CHECK
#undef ESTA_CHARGE_AND_DISPATCH
#undef ESTA_SAFEPOINT
#undef ESTA_NEXT
#undef ESTA_TAKE_BRANCH
#undef ESTA_DISPATCH
#undef ESTA_HANDLER
}

template RunExit run<false>(ExecutionState&);
template RunExit run<true>(ExecutionState&);

}  // namespace esta::wasm
