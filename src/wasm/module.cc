#include "wasm/module.h"

#include "base/assert.h"

namespace esta::wasm {

namespace {

// The index-th import of `kind`, in constant time through the parser's position table.
const Import& nth_import(const Module& module, ExternKind kind, u32 index) {
    const auto& positions = module.import_positions[static_cast<u8>(kind)];
    ESTA_ASSERT(index < positions.size());
    return module.imports[positions[index]];
}

template <class T>
const T& defined(const std::vector<T>& entities, u32 index) {
    ESTA_ASSERT(index < entities.size());
    return entities[index];
}

}  // namespace

const FuncType& Module::function_type(FuncIndex index) const {
    const u32 value = index.value();
    TypeIndex type = value < imported_functions
                         ? nth_import(*this, ExternKind::Func, value).func_type
                         : defined(functions, value - imported_functions).type;
    ESTA_ASSERT(type.value() < types.size());
    return types[type.value()];
}

TableType Module::table_type(TableIndex index) const {
    const u32 value = index.value();
    if (value < imported_tables) return nth_import(*this, ExternKind::Table, value).table;
    return defined(tables, value - imported_tables);
}

MemoryType Module::memory_type(MemoryIndex index) const {
    const u32 value = index.value();
    if (value < imported_memories) return nth_import(*this, ExternKind::Memory, value).memory;
    return defined(memories, value - imported_memories);
}

GlobalType Module::global_type(GlobalIndex index) const {
    const u32 value = index.value();
    if (value < imported_globals) return nth_import(*this, ExternKind::Global, value).global;
    return defined(globals, value - imported_globals).type;
}

}  // namespace esta::wasm
