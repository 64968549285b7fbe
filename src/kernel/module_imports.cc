#include "kernel/module_imports.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "kernel/abi_signature.h"
#include "kernel/abi_table.h"

namespace esta::kernel {
namespace {

// WASI functions whose answers come from the host's clock or entropy (or its timing).
constexpr std::array<std::string_view, 4> kNondeterministicWasi = {
    "clock_time_get", "clock_res_get", "random_get", "poll_oneoff"};

bool is_wasi(std::string_view module) {
    return module.starts_with("wasi_");
}

}  // namespace

std::string_view import_verdict_name(ImportVerdict verdict) {
    switch (verdict) {
        case ImportVerdict::Abi:
            return "abi";
        case ImportVerdict::WrongSignature:
            return "wrong-signature";
        case ImportVerdict::UnknownFunction:
            return "unknown-function";
        case ImportVerdict::Nondeterministic:
            return "nondeterministic";
        case ImportVerdict::OutsideAbi:
            return "outside-abi";
    }
    return "unknown";
}

std::string describe_function_type(const wasm::FuncType& type) {
    std::string text = "func (";
    for (std::size_t i = 0; i < type.params.size(); ++i) {
        if (i) text += ", ";
        text += wasm::val_type_name(type.params[i]);
    }
    text += ") -> ";
    if (type.results.empty()) text += "()";
    for (std::size_t i = 0; i < type.results.size(); ++i) {
        if (i) text += ", ";
        text += wasm::val_type_name(type.results[i]);
    }
    return text;
}

std::vector<ImportFinding> judge_imports(const wasm::Module& module) {
    std::vector<ImportFinding> findings;
    for (const wasm::Import& import : module.imports) {
        ImportFinding finding;
        finding.module = import.module;
        finding.name = import.name;
        const bool is_function = import.kind == wasm::ExternKind::Func;
        finding.type = is_function ? describe_function_type(module.types[import.func_type.value()])
                                   : std::string(wasm::extern_kind_name(import.kind));
        if (import.module == abi::kImportModule) {
            const abi::Function* function = abi::find_function(import.name);
            if (function == nullptr || !is_function) {
                finding.verdict = ImportVerdict::UnknownFunction;
                finding.note = "ABI v1 has no function of this name; see docs/ABI.md";
            } else if (abi::wasm_signature(*function) != module.types[import.func_type.value()]) {
                finding.verdict = ImportVerdict::WrongSignature;
                finding.note = "ABI v1 declares " + abi::signature(*function) +
                               "; rebuild against sdk/c/estalogic.h";
            }
        } else if (is_wasi(import.module) &&
                   std::find(kNondeterministicWasi.begin(), kNondeterministicWasi.end(),
                             import.name) != kNondeterministicWasi.end()) {
            finding.verdict = ImportVerdict::Nondeterministic;
            finding.note =
                import.name == "random_get"
                    ? "host randomness makes decisions unrepeatable; use estalogic.random"
                    : "the host clock makes decisions unrepeatable; use estalogic.now";
        } else {
            finding.verdict = ImportVerdict::OutsideAbi;
            finding.note =
                "the kernel links only the `estalogic` ABI; reach the outside "
                "through a granted capability instead";
        }
        findings.push_back(std::move(finding));
    }
    return findings;
}

}  // namespace esta::kernel
