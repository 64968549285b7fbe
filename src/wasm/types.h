// WebAssembly's static types and index spaces, with the spec's names.
// Spec: https://webassembly.github.io/spec/core/syntax/types.html
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/strong_id.h"
#include "base/types.h"

namespace esta::wasm {

// Value types carry their binary encodings.
enum class ValType : u8 {
    I32 = 0x7F,
    I64 = 0x7E,
    F32 = 0x7D,
    F64 = 0x7C,
    V128 = 0x7B,
    FuncRef = 0x70,
    ExternRef = 0x6F,
};

constexpr bool is_reference(ValType type) {
    return type == ValType::FuncRef || type == ValType::ExternRef;
}
constexpr bool is_numeric(ValType type) {
    return !is_reference(type) && type != ValType::V128;
}
std::string_view val_type_name(ValType type);  // "i32", "funcref", ...

struct TypeTag;
struct FuncTag;
struct TableTag;
struct MemoryTag;
struct GlobalTag;
struct ElemTag;
struct DataTag;
struct LocalTag;
struct LabelTag;
using TypeIndex = StrongId<TypeTag>;
using FuncIndex = StrongId<FuncTag>;
using TableIndex = StrongId<TableTag>;
using MemoryIndex = StrongId<MemoryTag>;
using GlobalIndex = StrongId<GlobalTag>;
using ElemIndex = StrongId<ElemTag>;
using DataIndex = StrongId<DataTag>;
using LocalIndex = StrongId<LocalTag>;
using LabelIndex = StrongId<LabelTag>;

struct FuncType {
    std::vector<ValType> params;
    std::vector<ValType> results;
    bool operator==(const FuncType&) const = default;
};

// Sizes in pages (memories) or elements (tables).
struct Limits {
    u32 min = 0;
    std::optional<u32> max;
    bool operator==(const Limits&) const = default;
};

struct TableType {
    ValType element = ValType::FuncRef;
    Limits limits;
};

struct MemoryType {
    Limits limits;
};

enum class Mutability : u8 { Const = 0, Var = 1 };

struct GlobalType {
    ValType type = ValType::I32;
    Mutability mutability = Mutability::Const;
};

enum class ExternKind : u8 { Func = 0, Table = 1, Memory = 2, Global = 3 };
std::string_view extern_kind_name(ExternKind kind);

inline constexpr u32 kPageSize = 65536;

}  // namespace esta::wasm
