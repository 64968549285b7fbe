// The estalogic side of the differential test against V8 (run_differential.sh).
//
//   diff_runner sig M.wasm   prints "func <name> <params> <results>" for each exported
//                            function the comparison covers (numeric params and results
//                            only; types as i32,i64,f32,f64 joined by ',' or '-' for none).
//   diff_runner run M.wasm   instantiates M with the "fuzzing-support" loggers, calls those
//                            exports in order with zero arguments and prints one line per
//                            call, log and outcome in the format the node side prints.
//
// Floats print as raw bits in decimal, except NaNs, which print as "nan": V8 may produce
// other NaN payloads than estalogic's canonical ones, and both are correct.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wasm/wasm.h"

namespace {

using namespace esta::wasm;

// Generous, since ttf modules bound their own loops with a hang limit; exhausting it prints
// "fuel", which V8 never prints, so such a seed shows up as a disagreement.
constexpr esta::u64 kFuelPerCall = 1'000'000'000;

bool all_numeric(const std::vector<ValType>& types) {
    for (ValType type : types)
        if (!is_numeric(type)) return false;
    return true;
}

const char* type_name(ValType type) {
    switch (type) {
        case ValType::I32:
            return "i32";
        case ValType::I64:
            return "i64";
        case ValType::F32:
            return "f32";
        case ValType::F64:
            return "f64";
        default:
            return "other";
    }
}

std::string type_list(const std::vector<ValType>& types) {
    if (types.empty()) return "-";
    std::string text;
    for (ValType type : types) {
        if (!text.empty()) text += ',';
        text += type_name(type);
    }
    return text;
}

std::string format_value(const Value& value) {
    switch (value.type()) {
        case ValType::I32:
            return "i32:" + std::to_string(value.as_i32());
        case ValType::I64:
            return "i64:" + std::to_string(value.as_i64());
        case ValType::F32:
            return std::isnan(value.as_f32()) ? "f32:nan"
                                              : "f32:" + std::to_string(value.f32_bits());
        case ValType::F64:
            return std::isnan(value.as_f64()) ? "f64:nan"
                                              : "f64:" + std::to_string(value.f64_bits());
        default:
            return "other";
    }
}

bool read_file(const char* path, std::vector<esta::u8>& bytes) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    return true;
}

// One logger per "fuzzing-support" import; ttf modules import log-i32/i64/f32/f64.
void define_loggers(Store& store, Linker& linker) {
    const ValType types[] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64};
    for (ValType type : types) {
        FuncType signature{{type}, {}};
        FuncRef logger = store.create_host_function(
            signature, [](HostContext&, std::span<const Value> args, std::span<Value>) {
                std::printf("log %s\n", format_value(args[0]).c_str());
                return HostResult::ok();
            });
        linker.define("fuzzing-support", std::string("log-") + type_name(type), Extern::of(logger));
    }
}

int run(const char* mode, const char* path) {
    std::vector<esta::u8> bytes;
    if (!read_file(path, bytes)) {
        std::fprintf(stderr, "diff_runner: cannot read %s\n", path);
        return 2;
    }
    auto compiled = compile(esta::ByteSpan(bytes.data(), bytes.size()));
    if (!compiled) {
        std::printf("compile-error\n");
        return 0;
    }
    Store store;
    Linker linker;
    define_loggers(store, linker);
    auto instantiated = instantiate(store, *compiled, linker);
    if (!instantiated) {
        std::printf("link-error\n");
        return 0;
    }
    if (instantiated->trap) {
        std::printf("start-trap\n");
        return 0;
    }
    const bool signatures_only = std::strcmp(mode, "sig") == 0;
    Execution execution(store);
    for (const auto& [name, kind] : module_exports(**compiled)) {
        if (kind != ExternKind::Func) continue;
        FuncRef function = instantiated->instance->function(name);
        const FuncType& type = function_type(function);
        if (!all_numeric(type.params) || !all_numeric(type.results)) continue;
        if (signatures_only) {
            std::printf("func %.*s %s %s\n", static_cast<int>(name.size()), name.data(),
                        type_list(type.params).c_str(), type_list(type.results).c_str());
            continue;
        }
        std::printf("call %.*s\n", static_cast<int>(name.size()), name.data());
        std::vector<Value> args;
        for (ValType param : type.params)
            args.push_back(Value::zero(param));
        ExecutionConfig config;
        config.fuel = kFuelPerCall;
        auto outcome = execution.invoke(function, args, config);
        if (!outcome) {
            std::printf("invoke-error\n");
        } else if (outcome->trapped() && outcome->trap.kind == TrapKind::FuelExhausted) {
            std::printf("fuel\n");
        } else if (outcome->trapped()) {
            std::printf("trap\n");
        } else if (outcome->completed()) {
            std::string line = "result";
            for (const Value& value : outcome->results)
                line += " " + format_value(value);
            std::printf("%s\n", line.c_str());
        } else {
            std::printf("fuel\n");
            execution.reset();
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "sig") != 0 && std::strcmp(argv[1], "run") != 0)) {
        std::fprintf(stderr, "usage: diff_runner sig|run MODULE.wasm\n");
        return 2;
    }
    return run(argv[1], argv[2]);
}
