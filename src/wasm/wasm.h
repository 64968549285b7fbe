// The engine's door: the public embedding API (REQUIREMENTS E-8).
//
//   compile()      bytes -> CompiledModule (parse + validate + lower, once; immutable and
//                  shareable across threads through std::shared_ptr<const CompiledModule>).
//   Store          owns every runtime object (functions, tables, memories, globals,
//                  instances). Objects live as long as their store; handles into it
//                  (FuncRef, LinearMemory*, ...) are borrows that stay valid until then.
//   Linker         names the imports an instantiation may use (module, name) -> Extern.
//   instantiate()  links, allocates and initializes an instance in spec order, and tells a
//                  link error (Status::Unlinkable) apart from a trap during initialization.
//   Execution      the value stack and call frames of one logical wasm thread, on the heap.
//                  invoke() runs an exported function; a suspended call is continued with
//                  resume(), possibly on another OS thread.
//
// Threading: a CompiledModule may be shared freely. A Store and everything in it is used by
// one OS thread at a time (hand it over together with its suspended Executions).
// Spec: https://webassembly.github.io/spec/core/exec/runtime.html
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "wasm/limits.h"
#include "wasm/memory.h"
#include "wasm/trap.h"
#include "wasm/types.h"
#include "wasm/v128.h"

namespace esta::wasm {

class CompiledModule;
class Instance;
class Store;
class TableInstance;
class GlobalInstance;
struct FunctionInstance;

// A reference to a function in a store (the spec's funcaddr). Null is nullptr.
using FuncRef = const FunctionInstance*;

// A typed value as the embedder sees it. Numbers are kept as raw bits, so NaN payloads
// survive a round trip. References: funcref holds a FuncRef; externref holds an opaque
// 64-bit host value (any value but ~0); both may be null. A v128 keeps its 16 bytes.
class Value {
  public:
    Value() = default;  // i32 0

    static Value i32(u32 bits) { return Value(ValType::I32, bits); }
    static Value i64(u64 bits) { return Value(ValType::I64, bits); }
    static Value f32_bits(u32 bits) { return Value(ValType::F32, bits); }
    static Value f64_bits(u64 bits) { return Value(ValType::F64, bits); }
    static Value f32(f32 value);
    static Value f64(f64 value);
    static Value funcref(FuncRef function);
    static Value externref(u64 host_value) { return Value(ValType::ExternRef, host_value + 1); }
    static Value null(ValType reference_type) { return Value(reference_type, 0); }
    static Value v128(const V128& value) { return Value(ValType::V128, value.low(), value.high()); }
    // The zero value of a type (spec: default values of locals and table slots).
    static Value zero(ValType type) { return Value(type, 0); }

    ValType type() const { return m_type; }
    u32 as_i32() const { return static_cast<u32>(m_bits); }
    u64 as_i64() const { return m_bits; }
    u32 f32_bits() const { return static_cast<u32>(m_bits); }
    u64 f64_bits() const { return m_bits; }
    float as_f32() const;
    double as_f64() const;
    bool is_null() const { return m_bits == 0; }  // For reference types.
    FuncRef as_funcref() const;
    u64 extern_value() const { return m_bits - 1; }  // Only when !is_null().
    V128 as_v128() const { return V128::from_halves(m_bits, m_high); }

    // Exact equality of type and bits (NaN payloads compare as bits).
    bool operator==(const Value&) const = default;

    // The untagged 64-bit slot the interpreter stores (references: pointer or host value
    // + 1, 0 for null). A v128 takes two slots (slot_count); slot() is only its low half,
    // so code that may see a v128 uses write_slots / from_slots.
    u64 slot() const { return m_bits; }
    static Value from_slot(ValType type, u64 slot) { return Value(type, slot); }
    static u32 slot_count(ValType type) { return type == ValType::V128 ? 2 : 1; }
    // Writes slot_count(type()) slots at `out` (a v128: low half first).
    void write_slots(u64* out) const {
        out[0] = m_bits;
        if (m_type == ValType::V128) out[1] = m_high;
    }
    static Value from_slots(ValType type, const u64* slots) {
        return type == ValType::V128 ? Value(type, slots[0], slots[1]) : Value(type, slots[0]);
    }

    std::string to_string() const;  // "i32:42", "f64:0x7ff8000000000000", "funcref:null"

  private:
    Value(ValType type, u64 bits, u64 high = 0) : m_type(type), m_bits(bits), m_high(high) {}

    ValType m_type = ValType::I32;
    u64 m_bits = 0;
    u64 m_high = 0;  // v128 only: bytes 8..15.
};

// An external value (spec: externval): what an export is and what an import is bound to.
struct Extern {
    ExternKind kind = ExternKind::Func;
    FuncRef function = nullptr;
    TableInstance* table = nullptr;
    LinearMemory* memory = nullptr;
    GlobalInstance* global = nullptr;

    static Extern of(FuncRef function) { return {ExternKind::Func, function, {}, {}, {}}; }
    static Extern of(TableInstance* table) { return {ExternKind::Table, {}, table, {}, {}}; }
    static Extern of(LinearMemory* memory) { return {ExternKind::Memory, {}, {}, memory, {}}; }
    static Extern of(GlobalInstance* global) { return {ExternKind::Global, {}, {}, {}, global}; }
};

// ---------------------------------------------------------------------------------------
// Host functions

// What a host function sees of its caller. memory() is the calling instance's memory 0
// (nullptr when the caller has none, or for a call made directly from the embedder); every
// access through it is bounds-checked (LinearMemory::read/write/span).
class HostContext {
  public:
    HostContext(Store& store, Instance* caller, LinearMemory* memory)
        : m_store(store), m_caller(caller), m_memory(memory) {}
    Store& store() const { return m_store; }
    Instance* caller() const { return m_caller; }
    LinearMemory* memory() const { return m_memory; }

  private:
    Store& m_store;
    Instance* m_caller;
    LinearMemory* m_memory;
};

// How a host function ends: with its results written, with a trap, by asking to block
// (the call is suspended; on resume() the same host function is called again with the same
// arguments, so a blocking receive simply retries), or by ending the whole invocation with
// an exit code (WASI proc_exit, the kernel's exit).
class HostResult {
  public:
    enum class Kind : u8 { Return, Trap, Block, Exit };

    static HostResult ok() { return HostResult(Kind::Return); }
    static HostResult trap(TrapKind kind, const char* reason) {
        HostResult result(Kind::Trap);
        result.m_trap = Trap{kind, reason, 0, 0};
        return result;
    }
    static HostResult block() { return HostResult(Kind::Block); }
    static HostResult exit(u32 code) {
        HostResult result(Kind::Exit);
        result.m_exit_code = code;
        return result;
    }

    Kind kind() const { return m_kind; }
    const Trap& trap_value() const { return m_trap; }
    u32 exit_code() const { return m_exit_code; }

  private:
    explicit HostResult(Kind kind) : m_kind(kind) {}
    Kind m_kind;
    Trap m_trap{};
    u32 m_exit_code = 0;
};

// A host function receives its arguments typed as its FuncType says, and must write one
// value of the declared type into each element of `results` before returning ok().
using HostFunction = std::function<HostResult(HostContext& context, std::span<const Value> args,
                                              std::span<Value> results)>;

// ---------------------------------------------------------------------------------------
// Limits and execution settings

// Per-instance limits fixed at instantiation (REQUIREMENTS E-5). A memory.grow or table.grow
// beyond them returns -1. A module whose declared minimum exceeds them fails to instantiate.
struct InstanceLimits {
    u32 max_memory_pages = 256;         // 16 MiB, the "user" class default.
    u32 max_table_elements = 1u << 20;  // Per table.
};

// Sizes of an Execution's stacks, allocated once when the Execution is created (the pages
// are only touched as they are used). Exceeding either is trap 4006.
struct StackLimits {
    u32 max_call_depth = 10'000;
    u32 max_value_slots = 1u << 20;  // 64-bit slots: locals, operands, spilled frames.
};

// What happens when the fuel of an invocation runs out (REQUIREMENTS T-4, E-4). resume()
// in Budget mode adds `fuel` to what is left; in Slice mode `fuel` is the step's whole
// allowance (a leftover counts towards it), so no step runs more than one slice.
enum class FuelMode : u8 {
    Budget,  // Trap 3003 (fuel exhausted).
    Slice,   // The call is suspended; resume() continues it with new fuel.
};

inline constexpr u64 kUnlimitedFuel = std::numeric_limits<u64>::max();

struct ExecutionConfig {
    u64 fuel = kUnlimitedFuel;  // 1 unit per wasm instruction, plus the bulk costs of T-3.
    FuelMode fuel_mode = FuelMode::Budget;
    // Raised by a watchdog thread: the guest stops at its next safepoint with trap 3001.
    const std::atomic<bool>* interrupt = nullptr;
    // Raised by a scheduler: the guest suspends at its next safepoint (resume() continues).
    const std::atomic<bool>* preempt = nullptr;
};

// The end of invoke() or resume().
struct Outcome {
    enum class Kind : u8 { Completed, Trapped, Suspended, Exited };
    Kind kind = Kind::Completed;
    std::vector<Value> results;  // Completed.
    Trap trap{};                 // Trapped.
    u32 exit_code = 0;           // Exited (a host function returned HostResult::exit).
    u64 fuel_used = 0;           // By this invoke/resume step.

    bool completed() const { return kind == Kind::Completed; }
    bool trapped() const { return kind == Kind::Trapped; }
    bool suspended() const { return kind == Kind::Suspended; }
};

// ---------------------------------------------------------------------------------------
// Modules

// Parses, validates and lowers `bytes` once. Errors: Status::Malformed (the binary is not
// well-formed), Status::Invalid (it fails validation), Status::Limit (a ModuleLimits bound).
// When `diagnostic` is given it receives the section, function index, offset and reason.
Result<std::shared_ptr<const CompiledModule>> compile(ByteSpan bytes,
                                                      const ModuleLimits& limits = {},
                                                      Diagnostic* diagnostic = nullptr);

// What an embedder may ask of a compiled module: its imports and exports, as declared.
struct ImportInfo {
    std::string_view module;
    std::string_view name;
    ExternKind kind;
};
std::vector<ImportInfo> module_imports(const CompiledModule& module);
std::vector<std::pair<std::string_view, ExternKind>> module_exports(const CompiledModule& module);

// ---------------------------------------------------------------------------------------
// Linking and instantiation

// Named externs available to instantiate(). Later definitions of the same (module, name)
// replace earlier ones (as the spec scripts' `register` expects).
class Linker {
  public:
    void define(std::string_view module, std::string_view name, Extern value);
    // Defines every export of `instance` under module name `module` (spec `register`).
    void define_instance(std::string_view module, const Instance& instance);
    std::optional<Extern> find(std::string_view module, std::string_view name) const;

  private:
    struct Entry {
        std::string module;
        std::string name;
        Extern value;
    };
    std::vector<Entry> m_entries;
};

// The result of instantiate() once linking succeeded. When `trap` is set, initialization
// trapped (an element or data segment out of bounds, or the start function trapped): the
// instance must not be used, but what it already wrote to imported tables and memories
// stays (WebAssembly 2.0 semantics).
struct Instantiated {
    Instance* instance = nullptr;
    std::optional<Trap> trap;
};

// Instantiates `module` in `store` in the spec's order: resolve and type-check imports,
// allocate functions, tables, memories and globals (initial values from constant
// expressions), initialize active element then data segments, run the start function with
// `start_config`. Link errors: Status::Unlinkable with context "unknown import" or
// "incompatible import type"; Status::Limit when the module's minimum sizes exceed `limits`.
Result<Instantiated> instantiate(Store& store, std::shared_ptr<const CompiledModule> module,
                                 const Linker& linker, const InstanceLimits& limits = {},
                                 const ExecutionConfig& start_config = {});

// ---------------------------------------------------------------------------------------
// Runtime objects

class TableInstance {
  public:
    TableInstance(TableType type, u32 max_elements, u64 init_slot);

    const TableType& type() const { return m_type; }
    u32 size() const { return static_cast<u32>(m_elements.size()); }
    Result<Value> get(u32 index) const;  // Status::OutOfBounds past the end.
    Result<void> set(u32 index, Value value);
    // Returns the old size, or -1 when the new size would exceed the type's maximum or the
    // instance limit (E-5).
    i32 grow(u32 delta, Value init);

    // Interpreter access (slots as Value::slot()).
    u64* data() { return m_elements.data(); }
    const u64* data() const { return m_elements.data(); }
    u32 max_elements() const { return m_max_elements; }

  private:
    TableType m_type;
    u32 m_max_elements;
    std::vector<u64> m_elements;
};

class GlobalInstance {
  public:
    GlobalInstance(GlobalType type, Value value) : m_type(type) { value.write_slots(m_slots); }

    const GlobalType& type() const { return m_type; }
    Value get() const { return Value::from_slots(m_type.type, m_slots); }
    // Status::AccessDenied for an immutable global, Status::WrongType for a type mismatch.
    Result<void> set(Value value);

    u64* slot() { return m_slots; }  // Interpreter access: one slot, two for a v128.

  private:
    GlobalType m_type;
    u64 m_slots[2] = {0, 0};
};

// A module instance. Created and owned by a Store.
class Instance {
  public:
    virtual ~Instance() = default;
    virtual std::optional<Extern> find_export(std::string_view name) const = 0;
    virtual std::vector<std::pair<std::string, Extern>> exports() const = 0;
    virtual LinearMemory* memory(u32 index = 0) const = 0;  // nullptr if none.

    FuncRef function(std::string_view name) const {
        auto found = find_export(name);
        return found && found->kind == ExternKind::Func ? found->function : nullptr;
    }
};

// The function type of any function in a store.
const FuncType& function_type(FuncRef function);

class StoreImpl;

// Owns every runtime object; they stay valid (at fixed addresses) until the store dies.
class Store {
  public:
    Store();
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    FuncRef create_host_function(FuncType type, HostFunction function);
    TableInstance* create_table(TableType type, Value init = Value::null(ValType::FuncRef));
    LinearMemory* create_memory(MemoryType type);  // nullptr if the minimum is too large.
    GlobalInstance* create_global(GlobalType type, Value value);

    StoreImpl& impl() { return *m_impl; }

  private:
    std::unique_ptr<StoreImpl> m_impl;
};

// ---------------------------------------------------------------------------------------
// Execution

class ExecutionState;

// One logical thread of wasm execution: its value stack and call frames live on the heap,
// allocated once here, so calls never allocate and a suspended call ties up no C++ stack.
// Reuse one Execution for many invocations. Not copyable; movable.
class Execution {
  public:
    explicit Execution(Store& store, const StackLimits& limits = {});
    ~Execution();
    Execution(Execution&&) noexcept;
    Execution& operator=(Execution&&) noexcept;

    // Calls `function` with `args` (checked against its type: Status::InvalidArgs on a
    // mismatch, Status::InvalidArgs when a suspended call is pending).
    Result<Outcome> invoke(FuncRef function, std::span<const Value> args,
                           const ExecutionConfig& config = {});
    // Continues a suspended call. Status::InvalidArgs when nothing is suspended.
    Result<Outcome> resume(const ExecutionConfig& config = {});
    bool suspended() const;
    // Abandons a suspended call.
    void reset();

  private:
    friend class ExecutionAccess;  // fault_hooks.cc: reads a suspended call's frame.
    std::unique_ptr<ExecutionState> m_state;
};

// Convenience for one-off calls (tests, spec scripts): a temporary Execution.
Result<Outcome> invoke(Store& store, FuncRef function, std::span<const Value> args,
                       const ExecutionConfig& config = {}, const StackLimits& limits = {});

// The spec's wording for a trap kind ("integer divide by zero"), used when no more specific
// reason is known.
std::string_view trap_kind_text(TrapKind kind);

}  // namespace esta::wasm
