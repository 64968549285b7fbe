// The engine's fixed costs beside a baseline in the same run (REQUIREMENTS E-10):
// instantiating a small module (target < 50 µs), a guest->host call (target < 20 ns of
// overhead: a guest loop calling an imported function against the same loop with an
// arithmetic instruction in place of the call) and a host->guest call (Execution::invoke of
// a two-instruction export against a std::function call doing the same addition).
#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <vector>

#include "wasm/wasm.h"

namespace {

using namespace esta;
using namespace esta::wasm;

// Assembled with wat2wasm from:
//   (module
//     (import "env" "tick" (func $tick (param i32) (result i32)))
//     (memory (export "memory") 1)
//     (global $counter (mut i32) (i32.const 0))
//     (data (i32.const 16) "estalogic")
//     (func $add (export "add") (param i32 i32) (result i32)
//       local.get 0 local.get 1 i32.add)
//     (func (export "loop_host") (param $n i32) (result i32) (local $acc i32)
//       loop
//         local.get $acc local.get $n call $tick i32.add local.set $acc
//         local.get $n i32.const 1 i32.sub local.tee $n
//         br_if 0
//       end
//       local.get $acc)
//     (func (export "loop_plain") (param $n i32) (result i32) (local $acc i32)
//       loop
//         local.get $acc local.get $n i32.const 1 i32.xor i32.add local.set $acc
//         local.get $n i32.const 1 i32.sub local.tee $n
//         br_if 0
//       end
//       local.get $acc))
// The two loops differ only in `call $tick` against `i32.const 1 i32.xor`.
const std::vector<u8> kModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69,
    0x63, 0x6b, 0x00, 0x00, 0x03, 0x04, 0x03, 0x01, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06,
    0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x29, 0x04, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72,
    0x79, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x09, 0x6c, 0x6f, 0x6f, 0x70, 0x5f, 0x68,
    0x6f, 0x73, 0x74, 0x00, 0x02, 0x0a, 0x6c, 0x6f, 0x6f, 0x70, 0x5f, 0x70, 0x6c, 0x61, 0x69, 0x6e,
    0x00, 0x03, 0x0a, 0x42, 0x03, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x1b, 0x01, 0x01,
    0x7f, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00, 0x10, 0x00, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01,
    0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b, 0x1c, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20,
    0x01, 0x20, 0x00, 0x41, 0x01, 0x73, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00,
    0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b, 0x0b, 0x0f, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x09, 0x65, 0x73,
    0x74, 0x61, 0x6c, 0x6f, 0x67, 0x69, 0x63};

constexpr u32 kLoopIterations = 10'000;

std::shared_ptr<const CompiledModule> compiled() {
    auto module = compile(ByteSpan(kModule.data(), kModule.size()));
    if (!module) std::abort();
    return *module;
}

// `tick` returns its argument xor 1, the work the plain loop does inline.
Linker linker_for(Store& store) {
    Linker linker;
    FuncRef tick = store.create_host_function(
        FuncType{{ValType::I32}, {ValType::I32}},
        [](HostContext&, std::span<const Value> args, std::span<Value> results) {
            results[0] = Value::i32(args[0].as_i32() ^ 1u);
            return HostResult::ok();
        });
    linker.define("env", "tick", Extern::of(tick));
    return linker;
}

Instance* instantiated(Store& store, std::shared_ptr<const CompiledModule> module) {
    auto instance = instantiate(store, std::move(module), linker_for(store));
    if (!instance || instance->trap) std::abort();
    return instance->instance;
}

// A new store, the host function, linking, one page of memory, a global and a data segment.
void BM_InstantiateSmallModule(benchmark::State& state) {
    const auto module = compiled();
    for (auto _ : state) {
        Store store;
        benchmark::DoNotOptimize(instantiated(store, module));
    }
}
// Baseline: the store and linker alone, without instantiating.
void BM_InstantiateBaselineStoreAndLinker(benchmark::State& state) {
    for (auto _ : state) {
        Store store;
        Linker linker = linker_for(store);
        benchmark::DoNotOptimize(linker.find("env", "tick"));
    }
}
// For scale: compile (parse, validate, lower) of the same module.
void BM_CompileSmallModule(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(compile(ByteSpan(kModule.data(), kModule.size())));
}
BENCHMARK(BM_InstantiateSmallModule);
BENCHMARK(BM_InstantiateBaselineStoreAndLinker);
BENCHMARK(BM_CompileSmallModule);

// Runs export `name` with kLoopIterations; items are loop iterations, so the difference of
// the two per-item times is the price of one guest->host call.
void run_loop(benchmark::State& state, const char* name) {
    Store store;
    Instance* instance = instantiated(store, compiled());
    FuncRef function = instance->function(name);
    Execution execution(store);
    const Value args[] = {Value::i32(kLoopIterations)};
    for (auto _ : state) {
        auto outcome = execution.invoke(function, args);
        if (!outcome || !outcome->completed()) std::abort();
        benchmark::DoNotOptimize(outcome->results[0].as_i32());
    }
    state.SetItemsProcessed(state.iterations() * kLoopIterations);
}
void BM_GuestLoopCallingHost(benchmark::State& state) {
    run_loop(state, "loop_host");
}
void BM_GuestLoopBaselineNoCall(benchmark::State& state) {
    run_loop(state, "loop_plain");
}
BENCHMARK(BM_GuestLoopCallingHost);
BENCHMARK(BM_GuestLoopBaselineNoCall);

// One Execution::invoke of `add` (argument checks, frame set-up, two instructions, results).
void BM_InvokeGuestAdd(benchmark::State& state) {
    Store store;
    Instance* instance = instantiated(store, compiled());
    FuncRef add = instance->function("add");
    Execution execution(store);
    u32 x = 0;
    for (auto _ : state) {
        const Value args[] = {Value::i32(x), Value::i32(1)};
        auto outcome = execution.invoke(add, args);
        x = outcome->results[0].as_i32();
    }
    benchmark::DoNotOptimize(x);
}
// Baseline: the same addition through a std::function taking and returning Values in a
// vector, the shape of an embedder's generic call.
void BM_InvokeBaselineStdFunction(benchmark::State& state) {
    std::function<std::vector<Value>(std::span<const Value>)> add =
        [](std::span<const Value> args) {
            return std::vector<Value>{Value::i32(args[0].as_i32() + args[1].as_i32())};
        };
    benchmark::DoNotOptimize(add);
    u32 x = 0;
    for (auto _ : state) {
        const Value args[] = {Value::i32(x), Value::i32(1)};
        x = add(args)[0].as_i32();
    }
    benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_InvokeGuestAdd);
BENCHMARK(BM_InvokeBaselineStdFunction);

}  // namespace
