// The wasm function type of an ABI import, as the kernel registers it and as a module must
// import it. Apart from abi_table.h, which stays free of engine types (the header generator
// and the docs use it).
#pragma once

#include "kernel/abi_table.h"
#include "wasm/types.h"

namespace esta::kernel::abi {

wasm::FuncType wasm_signature(const Function& function);

}  // namespace esta::kernel::abi
