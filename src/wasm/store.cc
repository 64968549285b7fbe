// Store, values, tables, globals, the linker and compile(): the parts of wasm.h that are not
// instantiation (instance.cc) or execution (interpreter.cc).
#include "wasm/store.h"

#include <bit>
#include <cstdio>

#include "wasm/parser.h"
#include "wasm/validator.h"

namespace esta::wasm {

// ---------------------------------------------------------------------------------------
// Value

Value Value::f32(float value) {
    return f32_bits(std::bit_cast<u32>(value));
}
Value Value::f64(double value) {
    return f64_bits(std::bit_cast<u64>(value));
}
Value Value::funcref(FuncRef function) {
    return Value(ValType::FuncRef, reinterpret_cast<u64>(function));
}
float Value::as_f32() const {
    return std::bit_cast<float>(f32_bits());
}
double Value::as_f64() const {
    return std::bit_cast<double>(f64_bits());
}
FuncRef Value::as_funcref() const {
    return reinterpret_cast<FuncRef>(m_bits);
}

std::string Value::to_string() const {
    char buffer[64];
    switch (m_type) {
        case ValType::I32:
            std::snprintf(buffer, sizeof buffer, "i32:%u", as_i32());
            break;
        case ValType::I64:
            std::snprintf(buffer, sizeof buffer, "i64:%llu",
                          static_cast<unsigned long long>(m_bits));
            break;
        case ValType::F32:
            std::snprintf(buffer, sizeof buffer, "f32:%g (0x%08x)", static_cast<double>(as_f32()),
                          f32_bits());
            break;
        case ValType::F64:
            std::snprintf(buffer, sizeof buffer, "f64:%g (0x%016llx)", as_f64(),
                          static_cast<unsigned long long>(m_bits));
            break;
        case ValType::FuncRef:
        case ValType::ExternRef:
            if (is_null()) {
                std::snprintf(buffer, sizeof buffer, "%s:null", val_type_name(m_type).data());
            } else {
                std::snprintf(buffer, sizeof buffer, "%s:0x%llx", val_type_name(m_type).data(),
                              static_cast<unsigned long long>(m_bits));
            }
            break;
        case ValType::V128:
            std::snprintf(buffer, sizeof buffer, "v128:0x%016llx%016llx",
                          static_cast<unsigned long long>(m_high),
                          static_cast<unsigned long long>(m_bits));
            break;
    }
    return buffer;
}

std::string_view trap_kind_text(TrapKind kind) {
    switch (kind) {
        case TrapKind::None:
            return "no trap";
        case TrapKind::Timeout:
            return "interrupted by the watchdog";
        case TrapKind::OutOfMemory:
            return "out of memory";
        case TrapKind::FuelExhausted:
            return "fuel exhausted";
        case TrapKind::Unreachable:
            return "unreachable";
        case TrapKind::IntegerDivideByZero:
            return "integer divide by zero";
        case TrapKind::IntegerOverflow:
            return "integer overflow";
        case TrapKind::OutOfBounds:
            return "out of bounds memory access";
        case TrapKind::IndirectCallMismatch:
            return "indirect call type mismatch";
        case TrapKind::CallStackExhausted:
            return "call stack exhausted";
    }
    return "trap";
}

// ---------------------------------------------------------------------------------------
// Tables and globals

TableInstance::TableInstance(TableType type, u32 max_elements, u64 init_slot)
    : m_type(type),
      m_max_elements(std::min(type.limits.max.value_or(0xFFFF'FFFF), max_elements)),
      m_elements(type.limits.min, init_slot) {}

Result<Value> TableInstance::get(u32 index) const {
    if (index >= size()) return Err(Status::OutOfBounds, "table.get", {.index = index});
    return Value::from_slot(m_type.element, m_elements[index]);
}

Result<void> TableInstance::set(u32 index, Value value) {
    if (index >= size()) return Err(Status::OutOfBounds, "table.set", {.index = index});
    if (value.type() != m_type.element) return Err(Status::WrongType, "table.set");
    m_elements[index] = value.slot();
    return {};
}

i32 TableInstance::grow(u32 delta, Value init) {
    const u32 old_size = size();
    if (delta > m_max_elements - old_size) return -1;
    m_elements.resize(std::size_t{old_size} + delta, init.slot());
    return static_cast<i32>(old_size);
}

Result<void> GlobalInstance::set(Value value) {
    if (m_type.mutability != Mutability::Var) return Err(Status::AccessDenied, "global.set");
    if (value.type() != m_type.type) return Err(Status::WrongType, "global.set");
    value.write_slots(m_slots);
    return {};
}

// ---------------------------------------------------------------------------------------
// Store

u32 StoreImpl::intern_type(const FuncType& type) {
    auto key = std::make_pair(type.params, type.results);
    auto found = m_type_ids.find(key);
    if (found != m_type_ids.end()) return found->second;
    const u32 id = static_cast<u32>(m_types.size());
    m_types.push_back(std::make_unique<FuncType>(type));
    m_type_ids.emplace(std::move(key), id);
    return id;
}

Store::Store() : m_impl(std::make_unique<StoreImpl>()) {}
Store::~Store() = default;

FuncRef Store::create_host_function(FuncType type, HostFunction function) {
    const u32 id = m_impl->intern_type(type);
    FunctionInstance instance;
    instance.type = &m_impl->type(id);
    instance.type_id = id;
    instance.host = std::move(function);
    return &m_impl->add_function(std::move(instance));
}

TableInstance* Store::create_table(TableType type, Value init) {
    return &m_impl->add_table(type, 0xFFFF'FFFF, init.slot());
}

LinearMemory* Store::create_memory(MemoryType type) {
    auto memory = LinearMemory::create(type, 65536);
    if (!memory) return nullptr;
    return &m_impl->add_memory(std::move(*memory));
}

GlobalInstance* Store::create_global(GlobalType type, Value value) {
    return &m_impl->add_global(type, value);
}

const FuncType& function_type(FuncRef function) {
    return *function->type;
}

// ---------------------------------------------------------------------------------------
// Instances' exports and the linker

Extern InstanceImpl::extern_of(const Export& entry) const {
    switch (entry.kind) {
        case ExternKind::Func:
            return Extern::of(static_cast<FuncRef>(functions[entry.index]));
        case ExternKind::Table:
            return Extern::of(tables[entry.index]);
        case ExternKind::Memory:
            return Extern::of(memories[entry.index]);
        case ExternKind::Global:
            return Extern::of(globals[entry.index]);
    }
    return {};
}

std::optional<Extern> InstanceImpl::find_export(std::string_view name) const {
    for (const Export& entry : module().exports) {
        if (entry.name == name) return extern_of(entry);
    }
    return std::nullopt;
}

std::vector<std::pair<std::string, Extern>> InstanceImpl::exports() const {
    std::vector<std::pair<std::string, Extern>> result;
    for (const Export& entry : module().exports)
        result.emplace_back(entry.name, extern_of(entry));
    return result;
}

void Linker::define(std::string_view module, std::string_view name, Extern value) {
    for (Entry& entry : m_entries) {
        if (entry.module == module && entry.name == name) {
            entry.value = value;
            return;
        }
    }
    m_entries.push_back(Entry{std::string(module), std::string(name), value});
}

void Linker::define_instance(std::string_view module, const Instance& instance) {
    for (auto& [name, value] : instance.exports())
        define(module, name, value);
}

std::optional<Extern> Linker::find(std::string_view module, std::string_view name) const {
    for (const Entry& entry : m_entries) {
        if (entry.module == module && entry.name == name) return entry.value;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// compile()

Result<std::shared_ptr<const CompiledModule>> compile(ByteSpan bytes, const ModuleLimits& limits,
                                                      Diagnostic* diagnostic) {
    auto fail = [&](const Error& error, const char* where) {
        if (diagnostic != nullptr) *diagnostic = Diagnostic::from_error(error, where);
        return error;
    };
    auto parsed = parse_module(bytes, limits);
    if (!parsed) return fail(parsed.error(), "decode");
    Module module = std::move(*parsed);
    auto valid = validate_module(module, limits);
    if (!valid) return fail(valid.error(), "validate");
    std::vector<LoweredFunction> functions;
    functions.reserve(module.functions.size());
    for (u32 i = 0; i < module.functions.size(); ++i) {
        auto lowered = lower_function(module, i);
        if (!lowered) return fail(lowered.error(), "lower");
        functions.push_back(std::move(*lowered));
    }
    link_direct_calls(functions, module.imported_functions);
    return std::shared_ptr<const CompiledModule>(
        std::make_shared<CompiledModule>(std::move(module), std::move(functions)));
}

std::vector<ImportInfo> module_imports(const CompiledModule& module) {
    std::vector<ImportInfo> result;
    for (const Import& entry : module.module().imports)
        result.push_back(ImportInfo{entry.module, entry.name, entry.kind});
    return result;
}

std::vector<std::pair<std::string_view, ExternKind>> module_exports(const CompiledModule& module) {
    std::vector<std::pair<std::string_view, ExternKind>> result;
    for (const Export& entry : module.module().exports)
        result.emplace_back(entry.name, entry.kind);
    return result;
}

}  // namespace esta::wasm
