// The interpreter: executes lowered code (lowering.h) over a heap-allocated value stack and
// call-frame stack, never recursing on the C++ stack for wasm calls.
//
// Dispatch is indirect threading with GCC's labels-as-values: each instruction's LOp indexes
// a table of handler addresses, and every handler ends with its own jump to the next one.
// Defining ESTA_WASM_SWITCH_DISPATCH builds the same handlers as a plain switch (for
// compilers without the extension, and for debugging); results never depend on the style.
//
// run<false> is the fast mode: fuel was charged ahead for the whole segment, so no handler
// checks it. run<true> steps: before each instruction it checks the exact per-instruction
// condition of lowering.h ("Fuel"); the driver switches to it only when a charge drives the
// fuel negative, that is, in the last segment before the budget runs out.
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>
#include <vector>

#include "wasm/store.h"

namespace esta::wasm {

// A suspended caller: where to continue and with which frame and function (and its code,
// so a return needs no loads through the function). Trivial on purpose: the frame array of
// an execution is allocated for the whole call depth without being initialized, so its
// pages are only touched as calls go deeper (a frame is always written whole when pushed).
struct CallFrame {
    const LInstruction* return_pc;
    u64* fp;
    const FunctionInstance* function;
    const LInstruction* code;
};
static_assert(std::is_trivially_default_constructible_v<CallFrame>);

// Why run() returned.
enum class RunExit : u8 {
    Returned,   // The outermost function returned; results are in slots 0...
    Trapped,    // ExecutionState::trap says why.
    Suspended,  // At a safepoint (preempt flag or a blocking host call); pc is re-executed.
    OutOfFuel,  // The instruction at pc cannot be paid for.
    Exited,     // A host function ended the invocation (exit code in ExecutionState).
    Step,       // Fuel went negative: continue in stepping mode.
    Normal,     // Fuel is no longer negative: continue in fast mode.
};

// Everything an invocation needs between runs: the stacks and the saved registers. A
// suspended ExecutionState may be resumed on any thread.
class ExecutionState {
  public:
    ExecutionState(Store& store, const StackLimits& limits);

    Store& store;
    StackLimits limits;
    std::unique_ptr<u64[]> stack;
    u64* stack_end = nullptr;
    std::unique_ptr<CallFrame[]> frames;

    // Saved registers.
    const LInstruction* pc = nullptr;
    u64* fp = nullptr;
    const FunctionInstance* function = nullptr;
    u32 depth = 0;  // Frames in `frames` (the outermost function has none).
    i64 fuel = 0;   // Remaining fuel minus what was charged ahead (lowering.h).

    const std::atomic<bool>* interrupt = nullptr;
    const std::atomic<bool>* preempt = nullptr;
    std::atomic<bool> never{false};  // Stands in for a flag the embedder did not give.

    FuncRef entry = nullptr;  // The invoked function, while a call is in progress.
    bool suspended = false;
    Trap trap{};
    u32 exit_code = 0;

    // Reused buffers for host calls, so a call does not allocate once they are warm.
    std::vector<Value> host_args;
    std::vector<Value> host_results;
};

template <bool kStepping>
RunExit run(ExecutionState& state);

extern template RunExit run<false>(ExecutionState&);
extern template RunExit run<true>(ExecutionState&);

}  // namespace esta::wasm
