#include "kernel/abi_signature.h"

namespace esta::kernel::abi {
namespace {

wasm::ValType to_wasm(ValType type) {
    switch (type) {
        case ValType::I32:
            return wasm::ValType::I32;
        case ValType::I64:
            return wasm::ValType::I64;
        case ValType::F64:
            return wasm::ValType::F64;
    }
    return wasm::ValType::I32;
}

}  // namespace

wasm::FuncType wasm_signature(const Function& function) {
    wasm::FuncType type;
    for (const Param& param : function.params)
        type.params.push_back(to_wasm(param.type));
    if (function.result_kind == ResultKind::Value) type.results.push_back(to_wasm(function.result));
    return type;
}

}  // namespace esta::kernel::abi
