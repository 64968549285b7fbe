// Module: the decoded form of a WebAssembly binary. Produced by the parser, checked by the
// validator, then immutable and shareable across threads (instances never write to it).
// Function bodies stay as byte ranges into the module's own copy of the binary; lowering
// turns each validated body into internal code once.
// Spec: https://webassembly.github.io/spec/core/syntax/modules.html
#pragma once

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "wasm/types.h"

namespace esta::wasm {

// A byte range inside Module::bytes.
struct ByteRange {
    u32 offset = 0;
    u32 size = 0;
};

// One instruction of a constant expression (2.0: t.const, ref.null, ref.func, global.get).
struct ConstInstruction {
    enum class Kind : u8 {
        I32Const,
        I64Const,
        F32Const,
        F64Const,
        V128Const,
        RefNull,
        RefFunc,
        GlobalGet
    };
    Kind kind = Kind::I32Const;
    ValType ref_type = ValType::FuncRef;  // RefNull
    u32 index = 0;                        // RefFunc: function; GlobalGet: global
    std::array<u8, 16> bits{};            // Constants, little-endian.
    u32 offset = 0;                       // Byte offset, for error messages.
};

// The parser keeps every instruction up to `end` (it rejects instructions that can never be
// constant); the validator checks global indices, mutability and the resulting type.
struct ConstExpr {
    std::vector<ConstInstruction> instructions;
};

struct Import {
    std::string module;
    std::string name;
    ExternKind kind = ExternKind::Func;
    TypeIndex func_type;  // Func
    TableType table;      // Table
    MemoryType memory;    // Memory
    GlobalType global;    // Global
    u32 offset = 0;       // Byte offset of the entry in the binary, for error messages.
};

struct Export {
    std::string name;
    ExternKind kind = ExternKind::Func;
    u32 index = 0;   // Into the index space of `kind` (imports first).
    u32 offset = 0;  // Byte offset of the entry in the binary, for error messages.
};

struct Global {
    GlobalType type;
    ConstExpr init;
};

struct LocalRun {
    u32 count = 0;
    ValType type = ValType::I32;
};

// A function defined in this module (not an import).
struct Function {
    TypeIndex type;
    std::vector<LocalRun> locals;  // Declared locals, run-length encoded as in the binary.
    u32 local_count = 0;           // Sum of the runs (checked against limits).
    ByteRange body;                // The instruction bytes after the local declarations.
};

enum class SegmentMode : u8 { Active, Passive, Declarative };

struct ElementSegment {
    SegmentMode mode = SegmentMode::Active;
    ValType type = ValType::FuncRef;
    TableIndex table;
    ConstExpr offset;              // Active only.
    std::vector<ConstExpr> items;  // Each a ref.func or ref.null (or global.get).
};

struct DataSegment {
    SegmentMode mode = SegmentMode::Active;  // Active or Passive.
    MemoryIndex memory;
    ConstExpr offset;  // Active only.
    ByteRange bytes;
};

struct CustomSection {
    std::string name;
    ByteRange contents;
};

struct Module {
    std::vector<u8> bytes;  // The module's own copy of the binary; ranges point into it.

    std::vector<FuncType> types;
    std::vector<Import> imports;
    std::vector<Function> functions;  // Defined functions; their FuncIndex starts after imports.
    std::vector<TableType> tables;    // Defined tables (imports first in the index space).
    std::vector<MemoryType> memories;
    std::vector<Global> globals;
    std::vector<Export> exports;
    std::optional<FuncIndex> start;
    std::vector<ElementSegment> elements;
    std::vector<DataSegment> data;
    std::optional<u32> data_count;  // From the data count section, when present.
    std::vector<CustomSection> custom_sections;

    // From the `name` custom section, when present and well-formed (used in traps).
    std::string module_name;
    std::unordered_map<u32, std::string> function_names;

    // Counts of imports by kind, filled by the parser.
    u32 imported_functions = 0;
    u32 imported_tables = 0;
    u32 imported_memories = 0;
    u32 imported_globals = 0;
    // For each ExternKind, the position in `imports` of each import of that kind, so the
    // index-space lookups below take constant time. Filled by the parser.
    std::array<std::vector<u32>, 4> import_positions;

    // Index spaces (imports first). Callers pass indices the validator checked.
    u32 function_count() const { return imported_functions + u32(functions.size()); }
    u32 table_count() const { return imported_tables + u32(tables.size()); }
    u32 memory_count() const { return imported_memories + u32(memories.size()); }
    u32 global_count() const { return imported_globals + u32(globals.size()); }

    const FuncType& function_type(FuncIndex index) const;
    TableType table_type(TableIndex index) const;
    MemoryType memory_type(MemoryIndex index) const;
    GlobalType global_type(GlobalIndex index) const;

    ByteSpan range(ByteRange range) const {
        return ByteSpan(bytes).subspan(range.offset, range.size);
    }
};

}  // namespace esta::wasm
