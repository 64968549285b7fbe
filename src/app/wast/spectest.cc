#include "app/wast/spectest.h"

#include <string>
#include <vector>

#include "app/wast/values.h"

namespace esta::app::wast {

using wasm::ValType;
using wasm::Value;

namespace {

struct PrintFunction {
    const char* name;
    std::vector<ValType> params;
};

}  // namespace

Result<void> define_spectest(wasm::Store& store, wasm::Linker& linker, std::FILE* print_sink) {
    constexpr std::string_view kModule = "spectest";
    const PrintFunction prints[] = {
        {"print", {}},
        {"print_i32", {ValType::I32}},
        {"print_i64", {ValType::I64}},
        {"print_f32", {ValType::F32}},
        {"print_f64", {ValType::F64}},
        {"print_i32_f32", {ValType::I32, ValType::F32}},
        {"print_f64_f64", {ValType::F64, ValType::F64}},
    };
    for (const auto& print : prints) {
        std::string name = print.name;
        auto function = [name, print_sink](wasm::HostContext&, std::span<const Value> args,
                                           std::span<Value>) {
            if (print_sink != nullptr) {
                std::string line = "spectest." + name + "(";
                for (std::size_t i = 0; i < args.size(); ++i) {
                    line += (i ? ", " : "") + describe(args[i]);
                }
                std::fprintf(print_sink, "%s)\n", line.c_str());
            }
            return wasm::HostResult::ok();
        };
        wasm::FuncType type{print.params, {}};
        linker.define(kModule, print.name,
                      wasm::Extern::of(store.create_host_function(type, function)));
    }

    // The reference interpreter's values: 666 for the integers, 666.6 for the floats.
    auto global = [&](const char* name, ValType type, Value value) {
        auto* instance =
            store.create_global(wasm::GlobalType{type, wasm::Mutability::Const}, value);
        linker.define(kModule, name, wasm::Extern::of(instance));
    };
    global("global_i32", ValType::I32, Value::i32(666));
    global("global_i64", ValType::I64, Value::i64(666));
    global("global_f32", ValType::F32, Value::f32_bits(0x4426A666u));            // 666.6f
    global("global_f64", ValType::F64, Value::f64_bits(0x4084D4CCCCCCCCCDull));  // 666.6

    auto* table = store.create_table(wasm::TableType{ValType::FuncRef, wasm::Limits{10, 20}},
                                     Value::null(ValType::FuncRef));
    linker.define(kModule, "table", wasm::Extern::of(table));

    auto* memory = store.create_memory(wasm::MemoryType{wasm::Limits{1, 2}});
    if (memory == nullptr) return Err(Status::Limit, "spectest.memory");
    linker.define(kModule, "memory", wasm::Extern::of(memory));
    return Ok();
}

}  // namespace esta::app::wast
