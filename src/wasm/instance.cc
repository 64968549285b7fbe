// instantiate(): link, allocate and initialize a module instance in the spec's order.
// Spec: https://webassembly.github.io/spec/core/exec/modules.html#instantiation
#include <algorithm>
#include <array>
#include <cstring>

#include "wasm/store.h"

namespace esta::wasm {
namespace {

Error unlinkable(const char* reason, u32 index) {
    return Err(Status::Unlinkable, reason, {.index = index});
}

// Import matching of limits: the provided object's current size must reach the declared
// minimum, and when a maximum is declared the provided one must have one no larger.
bool limits_match(const Limits& actual, const Limits& expected) {
    if (actual.min < expected.min) return false;
    if (!expected.max) return true;
    return actual.max && *actual.max <= *expected.max;
}

Result<void> resolve_import(StoreImpl& store, const Module& module, const Import& import, u32 index,
                            const Linker& linker, InstanceImpl& instance) {
    auto found = linker.find(import.module, import.name);
    if (!found) return unlinkable("unknown import", index);
    const Extern& value = *found;
    if (value.kind != import.kind) return unlinkable("incompatible import type", index);
    switch (import.kind) {
        case ExternKind::Func: {
            const FuncType& expected = module.types[import.func_type.value()];
            if (value.function == nullptr || store.intern_type(expected) != value.function->type_id)
                return unlinkable("incompatible import type", index);
            instance.functions.push_back(const_cast<FunctionInstance*>(value.function));
            return {};
        }
        case ExternKind::Table: {
            TableInstance* table = value.table;
            if (table == nullptr || table->type().element != import.table.element ||
                !limits_match(Limits{table->size(), table->type().limits.max}, import.table.limits))
                return unlinkable("incompatible import type", index);
            instance.tables.push_back(table);
            return {};
        }
        case ExternKind::Memory: {
            LinearMemory* memory = value.memory;
            if (memory == nullptr || !limits_match(memory->type().limits, import.memory.limits))
                return unlinkable("incompatible import type", index);
            instance.memories.push_back(memory);
            return {};
        }
        case ExternKind::Global: {
            GlobalInstance* global = value.global;
            if (global == nullptr || global->type().type != import.global.type ||
                global->type().mutability != import.global.mutability)
                return unlinkable("incompatible import type", index);
            instance.globals.push_back(global);
            return {};
        }
    }
    return unlinkable("incompatible import type", index);
}

// Evaluates a validated constant expression to its slots (a v128 fills both, anything else
// only the low one). Extended constant expressions are not part of 2.0, so the value is the
// last instruction's.
std::array<u64, 2> evaluate(const ConstExpr& expression, const InstanceImpl& instance) {
    std::array<u64, 2> value{};
    for (const ConstInstruction& instruction : expression.instructions) {
        value = {};
        switch (instruction.kind) {
            case ConstInstruction::Kind::I32Const:
            case ConstInstruction::Kind::F32Const: {
                u32 bits = 0;
                std::memcpy(&bits, instruction.bits.data(), sizeof bits);
                value[0] = bits;
                break;
            }
            case ConstInstruction::Kind::I64Const:
            case ConstInstruction::Kind::F64Const:
                std::memcpy(&value[0], instruction.bits.data(), sizeof(u64));
                break;
            case ConstInstruction::Kind::V128Const:
                std::memcpy(value.data(), instruction.bits.data(), sizeof value);
                break;
            case ConstInstruction::Kind::RefNull:
                break;
            case ConstInstruction::Kind::RefFunc:
                value[0] = reinterpret_cast<u64>(instance.functions[instruction.index]);
                break;
            case ConstInstruction::Kind::GlobalGet: {
                const u64* slots = instance.globals[instruction.index]->slot();
                value[0] = slots[0];
                if (instance.globals[instruction.index]->type().type == ValType::V128)
                    value[1] = slots[1];
                break;
            }
        }
    }
    return value;
}

Result<void> allocate(StoreImpl& store, InstanceImpl& instance, const InstanceLimits& limits) {
    const Module& module = instance.module();
    const CompiledModule& compiled = instance.compiled();
    for (const FuncType& type : module.types)
        instance.type_ids.push_back(store.intern_type(type));
    for (u32 i = 0; i < module.functions.size(); ++i) {
        FunctionInstance function;
        const u32 type_index = module.functions[i].type.value();
        function.type = &module.types[type_index];
        function.type_id = instance.type_ids[type_index];
        function.instance = &instance;
        function.code = &compiled.function(i);
        function.index = module.imported_functions + i;
        instance.functions.push_back(&store.add_function(std::move(function)));
    }
    for (const TableType& type : module.tables) {
        if (type.limits.min > limits.max_table_elements)
            return Err(Status::Limit, "table: minimum exceeds the instance limit",
                       {.limit = limits.max_table_elements, .actual = type.limits.min});
        instance.tables.push_back(&store.add_table(type, limits.max_table_elements, 0));
    }
    for (const MemoryType& type : module.memories) {
        auto memory = ESTA_TRY(LinearMemory::create(type, limits.max_memory_pages));
        instance.memories.push_back(&store.add_memory(std::move(memory)));
    }
    // Globals in order: an initializer may read imported (and, since they are allocated
    // first, earlier) globals.
    for (const Global& global : module.globals) {
        const std::array<u64, 2> slots = evaluate(global.init, instance);
        instance.globals.push_back(
            &store.add_global(global.type, Value::from_slots(global.type.type, slots.data())));
    }
    for (const ElementSegment& segment : module.elements) {
        std::vector<u64> items;
        items.reserve(segment.items.size());
        for (const ConstExpr& item : segment.items)
            items.push_back(evaluate(item, instance)[0]);
        instance.elements.push_back(std::move(items));
    }
    for (const DataSegment& segment : module.data)
        instance.data.push_back(module.range(segment.bytes));
    if (!instance.memories.empty()) {
        instance.memory_base = instance.memories[0]->base();
        instance.memory_size = instance.memories[0]->size_pointer();
    }
    return {};
}

// Active segments are table.init / memory.init followed by a drop; declarative element
// segments are dropped at once. The first out-of-bounds segment traps, and what earlier
// segments wrote stays.
std::optional<Trap> initialize_segments(InstanceImpl& instance) {
    const Module& module = instance.module();
    for (u32 i = 0; i < module.elements.size(); ++i) {
        const ElementSegment& segment = module.elements[i];
        if (segment.mode == SegmentMode::Passive) continue;
        std::vector<u64>& items = instance.elements[i];
        if (segment.mode == SegmentMode::Active) {
            TableInstance& table = *instance.tables[segment.table.value()];
            const u64 offset = static_cast<u32>(evaluate(segment.offset, instance)[0]);
            if (offset + items.size() > table.size())
                return Trap{TrapKind::OutOfBounds, "out of bounds table access", 0,
                            segment.offset.instructions.empty()
                                ? 0
                                : segment.offset.instructions[0].offset};
            std::copy(items.begin(), items.end(), table.data() + offset);
        }
        items.clear();
        items.shrink_to_fit();
    }
    for (u32 i = 0; i < module.data.size(); ++i) {
        const DataSegment& segment = module.data[i];
        if (segment.mode != SegmentMode::Active) continue;
        LinearMemory& memory = *instance.memories[segment.memory.value()];
        const u64 offset = static_cast<u32>(evaluate(segment.offset, instance)[0]);
        ByteSpan bytes = instance.data[i];
        auto target = memory.span(offset, bytes.size());
        if (!target)
            return Trap{
                TrapKind::OutOfBounds, "out of bounds memory access", 0,
                segment.offset.instructions.empty() ? 0 : segment.offset.instructions[0].offset};
        if (!bytes.empty()) std::memcpy(target->data(), bytes.data(), bytes.size());
        instance.data[i] = {};
    }
    return std::nullopt;
}

}  // namespace

Result<Instantiated> instantiate(Store& store, std::shared_ptr<const CompiledModule> module,
                                 const Linker& linker, const InstanceLimits& limits,
                                 const ExecutionConfig& start_config) {
    if (module == nullptr) return Err(Status::InvalidArgs, "instantiate: no module");
    StoreImpl& impl = store.impl();
    const Module& definition = module->module();
    // (1) Resolve and check every import before anything is allocated in the store.
    InstanceImpl scratch(module);
    for (u32 i = 0; i < definition.imports.size(); ++i)
        ESTA_TRY(resolve_import(impl, definition, definition.imports[i], i, linker, scratch));
    // (2) Allocate. From here on the instance exists in the store, even if a later step
    // traps (other instances may already hold its functions through shared tables).
    InstanceImpl& instance = impl.add_instance(module);
    instance.functions = std::move(scratch.functions);
    instance.tables = std::move(scratch.tables);
    instance.memories = std::move(scratch.memories);
    instance.globals = std::move(scratch.globals);
    ESTA_TRY(allocate(impl, instance, limits));
    // (3) Segments, then (4) the start function.
    Instantiated result;
    result.instance = &instance;
    result.trap = initialize_segments(instance);
    if (result.trap || !definition.start) return result;
    FuncRef start = instance.functions[definition.start->value()];
    auto outcome = ESTA_TRY(invoke(store, start, {}, start_config));
    if (outcome.kind == Outcome::Kind::Trapped) {
        result.trap = outcome.trap;
    } else if (outcome.kind != Outcome::Kind::Completed) {
        result.trap = Trap{TrapKind::Unreachable, "start function did not complete", 0, 0};
    }
    return result;
}

}  // namespace esta::wasm
