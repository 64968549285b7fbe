#include "wasm/types.h"

namespace esta::wasm {

std::string_view val_type_name(ValType type) {
    switch (type) {
        case ValType::I32:
            return "i32";
        case ValType::I64:
            return "i64";
        case ValType::F32:
            return "f32";
        case ValType::F64:
            return "f64";
        case ValType::V128:
            return "v128";
        case ValType::FuncRef:
            return "funcref";
        case ValType::ExternRef:
            return "externref";
    }
    return "<unknown>";
}

std::string_view extern_kind_name(ExternKind kind) {
    switch (kind) {
        case ExternKind::Func:
            return "func";
        case ExternKind::Table:
            return "table";
        case ExternKind::Memory:
            return "memory";
        case ExternKind::Global:
            return "global";
    }
    return "<unknown>";
}

}  // namespace esta::wasm
