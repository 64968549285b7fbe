// The modules built from modules/*.c (clang-14, wasm32), as bytes or compiled. Kept apart
// from guest_kernel.h so a test can use them without the process headers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wasm/wasm.h"

namespace esta::kernel::testing {

// Whether the build compiled the modules (it needs clang-14 and wasm-ld-14).
bool guests_built();
// The built module's bytes (empty when it was not built).
std::vector<u8> guest_bytes(const std::string& name);
// The module compiled by the engine, or nullptr when it was not built.
std::shared_ptr<const wasm::CompiledModule> guest_module(const std::string& name);

}  // namespace esta::kernel::testing
