// Module-level validation; function bodies are checked by CodeValidator.
// Spec: https://webassembly.github.io/spec/core/valid/modules.html
#include "wasm/validator.h"

#include <algorithm>
#include <string_view>

#include "wasm/code_validator.h"

namespace esta::wasm {

namespace {

constexpr u32 kMaxMemoryPages = 65536;

Error invalid(const char* context, u64 index, u64 offset = Detail::kUnset) {
    return Err(Status::Invalid, context, Detail{.index = index, .offset = offset});
}

Result<void> check_limits(const Limits& limits, u64 index, u64 offset = Detail::kUnset) {
    if (limits.max && limits.min > *limits.max) {
        return invalid("limits: size minimum must not be greater than maximum", index, offset);
    }
    return Ok();
}

Result<void> check_memory_type(const MemoryType& memory, u64 index, u64 offset = Detail::kUnset) {
    if (memory.limits.min > kMaxMemoryPages ||
        (memory.limits.max && *memory.limits.max > kMaxMemoryPages)) {
        return invalid("memory: memory size must be at most 65536 pages (4GiB)", index, offset);
    }
    return check_limits(memory.limits, index, offset);
}

// Where a segment's offset expression starts, the closest position the Module keeps.
u64 expression_offset(const ConstExpr& expr) {
    return expr.instructions.empty() ? Detail::kUnset : expr.instructions.front().offset;
}

class ModuleValidator {
  public:
    ModuleValidator(const Module& module, const ModuleLimits& limits) : m_module(module) {
        m_context.module = &module;
        m_context.limits = &limits;
    }

    Result<void> validate();

  private:
    Result<void> check_imports();
    Result<void> check_definitions();
    Result<void> collect_declared_functions();
    Result<void> check_const_expr(const ConstExpr& expr, ValType expected, u32 visible_globals);
    Result<void> check_globals();
    Result<void> check_elements();
    Result<void> check_data();
    Result<void> check_start();
    Result<void> check_exports();
    Result<void> check_code();

    const Module& m_module;
    ValidationContext m_context;
};

Result<void> ModuleValidator::validate() {
    ESTA_TRY(check_imports());
    ESTA_TRY(check_definitions());
    ESTA_TRY(collect_declared_functions());
    ESTA_TRY(check_globals());
    ESTA_TRY(check_elements());
    ESTA_TRY(check_data());
    ESTA_TRY(check_start());
    ESTA_TRY(check_exports());
    return check_code();
}

// Builds the import part of each index space, checking each import's type.
Result<void> ModuleValidator::check_imports() {
    const u32 types = static_cast<u32>(m_module.types.size());
    for (std::size_t i = 0; i < m_module.imports.size(); ++i) {
        const Import& import = m_module.imports[i];
        switch (import.kind) {
            case ExternKind::Func:
                if (import.func_type.value() >= types) {
                    return invalid("import: unknown type", i, import.offset);
                }
                m_context.function_types.push_back(import.func_type);
                break;
            case ExternKind::Table:
                ESTA_TRY(check_limits(import.table.limits, i, import.offset));
                m_context.tables.push_back(import.table);
                break;
            case ExternKind::Memory:
                ESTA_TRY(check_memory_type(import.memory, i, import.offset));
                m_context.memories.push_back(import.memory);
                break;
            case ExternKind::Global:
                m_context.globals.push_back(import.global);
                break;
        }
    }
    return Ok();
}

// Adds the module's own functions, tables, memories and globals to the index spaces.
Result<void> ModuleValidator::check_definitions() {
    const u32 types = static_cast<u32>(m_module.types.size());
    for (std::size_t i = 0; i < m_module.functions.size(); ++i) {
        const TypeIndex type = m_module.functions[i].type;
        if (type.value() >= types) {
            return invalid("function: unknown type", m_module.imported_functions + i);
        }
        m_context.function_types.push_back(type);
    }
    for (std::size_t i = 0; i < m_module.tables.size(); ++i) {
        ESTA_TRY(check_limits(m_module.tables[i].limits, m_module.imported_tables + i));
        m_context.tables.push_back(m_module.tables[i]);
    }
    for (std::size_t i = 0; i < m_module.memories.size(); ++i) {
        ESTA_TRY(check_memory_type(m_module.memories[i], m_module.imported_memories + i));
        m_context.memories.push_back(m_module.memories[i]);
    }
    if (m_context.memories.size() > 1) return invalid("memory: multiple memories", 1);
    for (const Global& global : m_module.globals)
        m_context.globals.push_back(global.type);
    for (const ElementSegment& segment : m_module.elements) {
        m_context.element_types.push_back(segment.type);
    }
    return Ok();
}

// C.refs: the functions named anywhere in the module outside function bodies (globals,
// element segments, exports). ref.func in a body may only name those, so that every
// function whose reference can be taken is known before any body is compiled.
Result<void> ModuleValidator::collect_declared_functions() {
    const std::size_t count = m_context.function_types.size();
    m_context.declared_functions.assign(count, false);
    auto declare = [&](const ConstExpr& expr) {
        for (const ConstInstruction& item : expr.instructions) {
            if (item.kind == ConstInstruction::Kind::RefFunc && item.index < count) {
                m_context.declared_functions[item.index] = true;
            }
        }
    };
    for (const Global& global : m_module.globals)
        declare(global.init);
    for (const ElementSegment& segment : m_module.elements) {
        for (const ConstExpr& item : segment.items)
            declare(item);
    }
    for (const Export& entry : m_module.exports) {
        if (entry.kind == ExternKind::Func && entry.index < count) {
            m_context.declared_functions[entry.index] = true;
        }
    }
    return Ok();
}

// A constant expression must produce exactly one value of `expected` using only constant
// instructions; global.get may read only the first `visible_globals` globals, and only
// immutable ones.
Result<void> ModuleValidator::check_const_expr(const ConstExpr& expr, ValType expected,
                                               u32 visible_globals) {
    using Kind = ConstInstruction::Kind;
    u32 values = 0;  // Operands produced so far; nothing in 2.0 consumes any.
    std::optional<ValType> top;
    u32 last_offset = 0;
    for (const ConstInstruction& item : expr.instructions) {
        last_offset = item.offset;
        ValType produced = ValType::I32;
        switch (item.kind) {
            case Kind::I32Const:
                produced = ValType::I32;
                break;
            case Kind::I64Const:
                produced = ValType::I64;
                break;
            case Kind::F32Const:
                produced = ValType::F32;
                break;
            case Kind::F64Const:
                produced = ValType::F64;
                break;
            case Kind::V128Const:
                produced = ValType::V128;
                break;
            case Kind::RefNull:
                produced = item.ref_type;
                break;
            case Kind::RefFunc:
                if (item.index >= m_context.function_types.size()) {
                    return invalid("constant expression: unknown function", item.index,
                                   item.offset);
                }
                produced = ValType::FuncRef;
                break;
            case Kind::GlobalGet: {
                if (item.index >= visible_globals) {
                    return invalid("constant expression: unknown global", item.index, item.offset);
                }
                const GlobalType& global = m_context.globals[item.index];
                if (global.mutability != Mutability::Const) {
                    return invalid("constant expression: constant expression required", item.index,
                                   item.offset);
                }
                produced = global.type;
                break;
            }
        }
        ++values;
        top = produced;
    }
    if (values != 1 || *top != expected) {
        return invalid("constant expression: type mismatch", Detail::kUnset, last_offset);
    }
    return Ok();
}

Result<void> ModuleValidator::check_globals() {
    // In 2.0 every constant expression sees imported globals only (a defined global
    // cannot read another), whether it initializes a global or offsets a segment.
    for (const Global& global : m_module.globals) {
        ESTA_TRY(check_const_expr(global.init, global.type.type, m_module.imported_globals));
    }
    return Ok();
}

Result<void> ModuleValidator::check_elements() {
    const u32 globals = m_module.imported_globals;  // As for global initializers.
    for (std::size_t i = 0; i < m_module.elements.size(); ++i) {
        const ElementSegment& segment = m_module.elements[i];
        if (segment.mode == SegmentMode::Active) {
            const u64 at = expression_offset(segment.offset);
            if (segment.table.value() >= m_context.tables.size()) {
                return invalid("element: unknown table", i, at);
            }
            if (m_context.tables[segment.table.value()].element != segment.type) {
                return invalid("element: type mismatch (segment and table types differ)", i, at);
            }
            ESTA_TRY(check_const_expr(segment.offset, ValType::I32, globals));
        }
        for (const ConstExpr& item : segment.items) {
            ESTA_TRY(check_const_expr(item, segment.type, globals));
        }
    }
    return Ok();
}

Result<void> ModuleValidator::check_data() {
    const u32 globals = m_module.imported_globals;  // As for global initializers.
    for (std::size_t i = 0; i < m_module.data.size(); ++i) {
        const DataSegment& segment = m_module.data[i];
        if (segment.mode != SegmentMode::Active) continue;
        if (segment.memory.value() >= m_context.memories.size()) {
            return invalid("data: unknown memory", i, expression_offset(segment.offset));
        }
        ESTA_TRY(check_const_expr(segment.offset, ValType::I32, globals));
    }
    return Ok();
}

Result<void> ModuleValidator::check_start() {
    if (!m_module.start) return Ok();
    const u32 index = m_module.start->value();
    if (index >= m_context.function_types.size()) return invalid("start: unknown function", index);
    const FuncType& type = m_module.types[m_context.function_types[index].value()];
    if (!type.params.empty() || !type.results.empty()) {
        return invalid("start: start function must have type [] -> []", index);
    }
    return Ok();
}

Result<void> ModuleValidator::check_exports() {
    std::vector<std::string_view> names;
    names.reserve(m_module.exports.size());
    for (std::size_t i = 0; i < m_module.exports.size(); ++i) {
        const Export& entry = m_module.exports[i];
        switch (entry.kind) {
            case ExternKind::Func:
                if (entry.index >= m_context.function_types.size()) {
                    return invalid("export: unknown function", i, entry.offset);
                }
                break;
            case ExternKind::Table:
                if (entry.index >= m_context.tables.size())
                    return invalid("export: unknown table", i, entry.offset);
                break;
            case ExternKind::Memory:
                if (entry.index >= m_context.memories.size()) {
                    return invalid("export: unknown memory", i, entry.offset);
                }
                break;
            case ExternKind::Global:
                if (entry.index >= m_context.globals.size()) {
                    return invalid("export: unknown global", i, entry.offset);
                }
                break;
        }
        names.push_back(entry.name);
    }
    // Sorting, not hashing: the cost is bounded and the same on every machine.
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        return invalid("export: duplicate export name", Detail::kUnset);
    }
    return Ok();
}

Result<void> ModuleValidator::check_code() {
    CodeValidator validator(m_context);
    for (std::size_t i = 0; i < m_module.functions.size(); ++i) {
        ESTA_TRY(validator.validate(m_module.imported_functions + static_cast<u32>(i),
                                    m_module.functions[i]));
    }
    return Ok();
}

}  // namespace

Result<void> validate_module(const Module& module, const ModuleLimits& limits) {
    auto result = ModuleValidator(module, limits).validate();
    if (result || result.error().code != Status::Invalid) return result;
    // The parser left function bodies undecoded, and a malformed binary takes precedence over
    // an invalid one (check_body_encoding), so on this error path decode them all first.
    for (std::size_t i = 0; i < module.functions.size(); ++i) {
        ESTA_TRY(check_body_encoding(
            module, limits, module.imported_functions + static_cast<u32>(i), module.functions[i]));
    }
    return result;
}

}  // namespace esta::wasm
