// Execution: starts invocations, drives the interpreter between its fast and stepping modes,
// and turns how it stopped into an Outcome with exact fuel figures.
#include <algorithm>
#include <cstring>

#include "wasm/interpreter.h"

namespace esta::wasm {
namespace {

// Larger budgets behave as unlimited; keeps every fuel sum far from overflow.
constexpr i64 kMaxFuel = i64{1} << 62;

i64 clamp_fuel(u64 fuel) {
    return fuel > static_cast<u64>(kMaxFuel) ? kMaxFuel : static_cast<i64>(fuel);
}

// The fuel a suspended state still holds: what was charged ahead for the instruction at pc
// and the rest of its segment has not been spent.
i64 unspent(const ExecutionState& state) {
    const i64 value = state.fuel + state.pc->count + state.pc->rest;
    return value < 0 ? 0 : value;
}

void configure(ExecutionState& state, const ExecutionConfig& config) {
    state.interrupt = config.interrupt != nullptr ? config.interrupt : &state.never;
    state.preempt = config.preempt != nullptr ? config.preempt : &state.never;
}

Outcome drive(ExecutionState& state, i64 available, FuelMode mode) {
    Outcome outcome;
    for (;;) {
        const RunExit exit = state.fuel < 0 ? run<true>(state) : run<false>(state);
        switch (exit) {
            case RunExit::Step:
            case RunExit::Normal:
                continue;
            case RunExit::Returned: {
                const FuncType& type = *state.entry->type;
                const u64* slot = state.stack.get();
                for (ValType result : type.results) {
                    outcome.results.push_back(Value::from_slots(result, slot));
                    slot += Value::slot_count(result);
                }
                outcome.kind = Outcome::Kind::Completed;
                outcome.fuel_used = static_cast<u64>(available - state.fuel);
                state.suspended = false;
                state.entry = nullptr;
                return outcome;
            }
            case RunExit::Trapped:
                outcome.kind = Outcome::Kind::Trapped;
                outcome.trap = state.trap;
                outcome.fuel_used = static_cast<u64>(available - state.fuel);
                state.suspended = false;
                state.entry = nullptr;
                return outcome;
            case RunExit::Exited:
                outcome.kind = Outcome::Kind::Exited;
                outcome.exit_code = state.exit_code;
                outcome.fuel_used = static_cast<u64>(available - unspent(state));
                state.suspended = false;
                state.entry = nullptr;
                return outcome;
            case RunExit::Suspended:
                outcome.kind = Outcome::Kind::Suspended;
                outcome.fuel_used = static_cast<u64>(available - unspent(state));
                state.suspended = true;
                return outcome;
            case RunExit::OutOfFuel:
                if (mode == FuelMode::Slice) {
                    outcome.kind = Outcome::Kind::Suspended;
                    outcome.fuel_used = static_cast<u64>(available - unspent(state));
                    state.suspended = true;
                    return outcome;
                }
                outcome.kind = Outcome::Kind::Trapped;
                outcome.trap =
                    Trap{TrapKind::FuelExhausted, "fuel exhausted", state.function->index,
                         state.function->code->offsets[static_cast<std::size_t>(
                             state.pc - state.function->code->code.data())]};
                outcome.fuel_used = static_cast<u64>(available);
                state.suspended = false;
                state.entry = nullptr;
                return outcome;
        }
    }
}

Outcome call_host_directly(ExecutionState& state, FuncRef function) {
    Outcome outcome;
    const FuncType& type = *function->type;
    state.host_results.clear();
    for (ValType result : type.results)
        state.host_results.push_back(Value::zero(result));
    HostContext context(state.store, nullptr, nullptr);
    const HostResult result = function->host(context, state.host_args, state.host_results);
    switch (result.kind()) {
        case HostResult::Kind::Return:
            outcome.results = state.host_results;
            state.entry = nullptr;
            state.suspended = false;
            break;
        case HostResult::Kind::Trap:
            outcome.kind = Outcome::Kind::Trapped;
            outcome.trap = result.trap_value();
            state.entry = nullptr;
            state.suspended = false;
            break;
        case HostResult::Kind::Block:
            // Resuming calls it again with the same arguments (kept in host_args).
            outcome.kind = Outcome::Kind::Suspended;
            state.entry = function;
            state.suspended = true;
            break;
        case HostResult::Kind::Exit:
            outcome.kind = Outcome::Kind::Exited;
            outcome.exit_code = result.exit_code();
            state.entry = nullptr;
            state.suspended = false;
            break;
    }
    return outcome;
}

}  // namespace

Execution::Execution(Store& store, const StackLimits& limits)
    : m_state(std::make_unique<ExecutionState>(store, limits)) {}
Execution::~Execution() = default;
Execution::Execution(Execution&&) noexcept = default;
Execution& Execution::operator=(Execution&&) noexcept = default;

bool Execution::suspended() const {
    return m_state->suspended;
}

void Execution::reset() {
    m_state->suspended = false;
    m_state->entry = nullptr;
}

Result<Outcome> Execution::invoke(FuncRef function, std::span<const Value> args,
                                  const ExecutionConfig& config) {
    ExecutionState& state = *m_state;
    if (state.suspended) return Err(Status::InvalidArgs, "invoke: a suspended call is pending");
    if (function == nullptr) return Err(Status::InvalidArgs, "invoke: null function");
    const FuncType& type = *function->type;
    if (args.size() != type.params.size())
        return Err(Status::InvalidArgs, "invoke: argument count",
                   {.limit = type.params.size(), .actual = args.size()});
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i].type() != type.params[i])
            return Err(Status::InvalidArgs, "invoke: argument type", {.index = i});
    }
    configure(state, config);
    if (function->is_host()) {
        state.host_args.assign(args.begin(), args.end());
        return call_host_directly(state, function);
    }
    const LoweredFunction& code = *function->code;
    const i64 available = clamp_fuel(config.fuel);
    if (code.frame_slots > state.limits.max_value_slots) {
        Outcome outcome;
        outcome.kind = Outcome::Kind::Trapped;
        outcome.trap =
            Trap{TrapKind::CallStackExhausted, "call stack exhausted", function->index, 0};
        return outcome;
    }
    u64* const stack = state.stack.get();
    u64* slot = stack;
    for (const Value& arg : args) {
        arg.write_slots(slot);
        slot += Value::slot_count(arg.type());
    }
    std::memset(stack + code.param_slots, 0,
                std::size_t{code.local_slots - code.param_slots} * sizeof(u64));
    state.entry = function;
    state.function = function;
    state.pc = code.code.data();
    state.fp = stack;
    state.depth = 0;
    state.fuel = available - code.entry_cost;
    return drive(state, available, config.fuel_mode);
}

Result<Outcome> Execution::resume(const ExecutionConfig& config) {
    ExecutionState& state = *m_state;
    if (!state.suspended) return Err(Status::InvalidArgs, "resume: nothing is suspended");
    configure(state, config);
    if (state.entry->is_host()) return call_host_directly(state, state.entry);
    // A budget adds to what is left; a slice is the whole allowance of this step, so what
    // a preempted or blocked step left over is topped up to the slice, never added to it
    // (otherwise the next slice could run for nearly two).
    const i64 left = unspent(state);
    const i64 fuel = clamp_fuel(config.fuel);
    const i64 given = config.fuel_mode == FuelMode::Slice ? std::max<i64>(0, fuel - left)
                                                          : std::min(fuel, kMaxFuel - left);
    const i64 available = left + given;
    state.fuel += given;
    state.suspended = false;
    return drive(state, available, config.fuel_mode);
}

Result<Outcome> invoke(Store& store, FuncRef function, std::span<const Value> args,
                       const ExecutionConfig& config, const StackLimits& limits) {
    Execution execution(store, limits);
    return execution.invoke(function, args, config);
}

}  // namespace esta::wasm
