// The binary decoder: WebAssembly 2.0 bytes -> Module. It checks the encoding (the spec's
// "malformed" cases) and the limits in ModuleLimits; whether the module is valid is
// validate_module's job (validator.h). Function bodies are kept as byte ranges and decoded
// by the validator and the lowering pass with InstructionReader.
// Spec: https://webassembly.github.io/spec/core/binary/modules.html
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "wasm/limits.h"
#include "wasm/module.h"

namespace esta::wasm {

// Decodes every section of a 2.0 binary, including the data count section. Custom sections
// are kept (name and byte range); the `name` section's module and function names are
// decoded leniently: a malformed name section is ignored, never an error.
//
// The returned Module owns a copy of `bytes`. Errors:
//   Status::Malformed "<section>: <reason>" with the byte offset (and, where it applies, the
//                     entry or function index in Detail::index);
//   Status::Limit     a count or size over `limits`, with Detail::limit and ::actual.
// Cost: linear in the input; nothing is allocated for a count before it is checked against
// both the limits and the bytes that remain.
Result<Module> parse_module(ByteSpan bytes, const ModuleLimits& limits = {});

// Reads the `name` custom section's module name (subsection 0) and function names
// (subsection 1) into `module`. Each subsection is applied only if it decodes completely;
// anything malformed, or a function map with more than `max_function_names` entries, is
// skipped silently. `base_offset` is the offset of `contents` in the module binary.
void decode_name_section(ByteSpan contents, std::size_t base_offset, u32 max_function_names,
                         Module& module);

}  // namespace esta::wasm
