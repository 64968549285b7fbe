// The validator: checks a decoded Module against WebAssembly 2.0's validation rules, once,
// completely. After it succeeds, lowering and the interpreter may trust every index, type
// and stack height in the module.
// Spec: https://webassembly.github.io/spec/core/valid/index.html
#pragma once

#include "base/result.h"
#include "wasm/limits.h"
#include "wasm/module.h"

namespace esta::wasm {

// Validates the whole module: module-level rules (index bounds, limits, one memory at
// most, unique export names, the start function's type, constant expressions, element
// and data segments, declared function references) and every function body with the
// spec's operand/control stack algorithm (no recursion; the control stack is a vector).
//
// Errors: Status::Invalid "<section>: <reason>" with the spec's wording of the reason,
// Detail::index (the function or entry index) and Detail::offset (the module byte offset);
// Status::Malformed for encoding errors inside function bodies (the parser keeps bodies as
// bytes); Status::Limit when a body exceeds `limits` (locals, nesting depth, br_table).
// Cost: linear in the module size.
Result<void> validate_module(const Module& module, const ModuleLimits& limits = {});

}  // namespace esta::wasm
