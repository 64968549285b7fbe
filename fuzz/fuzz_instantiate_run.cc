// Compiles arbitrary bytes and, when they form a valid module, instantiates it with every
// import satisfied by a generic stub and runs each exported function with zero arguments.
// Every Outcome (completion, trap, link error) is acceptable; only crashes, sanitizer
// reports, hangs and unbounded allocation are bugs. Fuel, stack and memory limits are small
// so that each input finishes quickly whatever the guest code does.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wasm/store.h"
#include "wasm/wasm.h"

namespace {

using namespace esta::wasm;

constexpr std::uint64_t kFuelPerCall = 10'000;
constexpr std::uint32_t kMaxPages = 4;
constexpr std::uint32_t kMaxTableElements = 1'000;

ModuleLimits fuzz_module_limits() {
    ModuleLimits limits;
    limits.module_size = 1u << 20;
    limits.locals = 10'000;
    limits.nesting_depth = 512;
    limits.br_table_targets = 10'000;
    return limits;
}

// v128 values are not representable in Value yet, so such signatures are left alone.
bool has_v128(const std::vector<ValType>& types) {
    for (ValType type : types)
        if (type == ValType::V128) return true;
    return false;
}

// Caps the maximum of a stub at `cap` (the caller checked that the declared minimum fits):
// the instance limits may not cover imported objects, and a stub without a maximum could
// otherwise grow to gigabytes. A smaller maximum still matches the import type.
Limits stub_limits(const Limits& declared, std::uint32_t cap) {
    Limits limits;
    limits.min = declared.min;
    limits.max = declared.max && *declared.max < cap ? *declared.max : cap;
    return limits;
}

// Returns false when an import cannot be stubbed within the small limits (the input is then
// simply not run).
bool define_stub(Store& store, Linker& linker, const Module& module, const Import& import) {
    switch (import.kind) {
        case ExternKind::Func: {
            if (import.func_type.value() >= module.types.size()) return false;
            const FuncType& type = module.types[import.func_type.value()];
            if (has_v128(type.params) || has_v128(type.results)) return false;
            // Write zero values of the declared result types.
            std::vector<ValType> result_types = type.results;
            FuncRef function = store.create_host_function(
                type,
                [result_types](HostContext&, std::span<const Value>, std::span<Value> results) {
                    for (std::size_t i = 0; i < results.size() && i < result_types.size(); ++i)
                        results[i] = Value::zero(result_types[i]);
                    return HostResult::ok();
                });
            linker.define(import.module, import.name, Extern::of(function));
            return true;
        }
        case ExternKind::Table: {
            if (import.table.limits.min > kMaxTableElements) return false;
            if (import.table.element == ValType::V128) return false;
            TableType type{import.table.element,
                           stub_limits(import.table.limits, kMaxTableElements)};
            TableInstance* table = store.create_table(type, Value::null(type.element));
            if (table == nullptr) return false;
            linker.define(import.module, import.name, Extern::of(table));
            return true;
        }
        case ExternKind::Memory: {
            if (import.memory.limits.min > kMaxPages) return false;
            MemoryType type{stub_limits(import.memory.limits, kMaxPages)};
            LinearMemory* memory = store.create_memory(type);
            if (memory == nullptr) return false;
            linker.define(import.module, import.name, Extern::of(memory));
            return true;
        }
        case ExternKind::Global: {
            if (import.global.type == ValType::V128) return false;
            GlobalInstance* global =
                store.create_global(import.global, Value::zero(import.global.type));
            linker.define(import.module, import.name, Extern::of(global));
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ModuleLimits kModuleLimits = fuzz_module_limits();
    auto compiled = compile(esta::ByteSpan(data, size), kModuleLimits);
    if (!compiled) return 0;

    Store store;
    Linker linker;
    for (const Import& import : (*compiled)->module().imports)
        if (!define_stub(store, linker, (*compiled)->module(), import)) return 0;

    InstanceLimits instance_limits;
    instance_limits.max_memory_pages = kMaxPages;
    instance_limits.max_table_elements = kMaxTableElements;
    ExecutionConfig config;
    config.fuel = kFuelPerCall;
    auto instantiated = instantiate(store, *compiled, linker, instance_limits, config);
    if (!instantiated || instantiated->trap) return 0;

    StackLimits stack_limits;
    stack_limits.max_call_depth = 200;
    stack_limits.max_value_slots = 1u << 14;
    Execution execution(store, stack_limits);
    for (const auto& [name, value] : instantiated->instance->exports()) {
        if (value.kind != ExternKind::Func) continue;
        const FuncType& type = function_type(value.function);
        if (has_v128(type.params)) continue;
        std::vector<Value> args;
        for (ValType param : type.params)
            args.push_back(Value::zero(param));
        auto outcome = execution.invoke(value.function, args, config);
        // A failed invoke (argument mismatch) would be an engine bug: we built args from the
        // function's own type.
        if (!outcome) __builtin_trap();
        if (outcome->suspended()) execution.reset();
    }
    return 0;
}
