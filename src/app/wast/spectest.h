// The `spectest` host module every spec script may import: print functions, four globals,
// a table and a memory, as the reference interpreter defines them.
// Spec: https://github.com/WebAssembly/spec/blob/main/interpreter/host/spectest.ml
#pragma once

#include <cstdio>

#include "wasm/wasm.h"

namespace esta::app::wast {

// Creates the spectest objects in `store` and defines them under "spectest" in `linker`.
// The print functions write their arguments to `print_sink` (one line per call) or, when
// it is nullptr, stay silent. Fails only when the store cannot allocate the memory.
Result<void> define_spectest(wasm::Store& store, wasm::Linker& linker, std::FILE* print_sink);

}  // namespace esta::app::wast
