// What a module asks of its host, judged against ABI v1 (REQUIREMENTS K-20, T-2): every
// import is either a function of the `estalogic` ABI with its exact signature, or it is
// something the kernel does not link. WASI's clock and random functions are called out
// separately: they would make a decision depend on the host, which the kernel forbids (time
// and randomness reach guests only through `estalogic.now` and `estalogic.random`).
// `estalogic check` prints this; the kernel's linker enforces the same rule.
#pragma once

#include <string>
#include <vector>

#include "wasm/module.h"

namespace esta::kernel {

enum class ImportVerdict : u8 {
    Abi,               // An `estalogic` function with the ABI's signature.
    WrongSignature,    // An `estalogic` name whose type differs from the ABI's.
    UnknownFunction,   // An `estalogic` name the ABI does not define (or not a function).
    Nondeterministic,  // A host clock or random source (WASI clock_time_get, random_get...).
    OutsideAbi,        // Any other module: the kernel links nothing else.
};
std::string_view import_verdict_name(ImportVerdict verdict);  // "abi", "outside-abi", ...

struct ImportFinding {
    std::string module;
    std::string name;
    std::string type;  // "func (i32, i32) -> i32", "memory", ...
    ImportVerdict verdict = ImportVerdict::Abi;
    std::string note;  // For people: empty for Abi, otherwise what is wrong and what to do.
};

// One finding per import, in the module's order. `module` must have been validated.
std::vector<ImportFinding> judge_imports(const wasm::Module& module);

// "func () -> i32" for a function type, as findings and `check` print it.
std::string describe_function_type(const wasm::FuncType& type);

}  // namespace esta::kernel
