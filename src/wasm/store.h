// The runtime objects behind wasm.h's handles: compiled modules, function instances,
// module instances and the store that owns them all. Internal to the engine room; embedders
// use wasm.h.
// Spec: https://webassembly.github.io/spec/core/exec/runtime.html#store
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wasm/lowering.h"
#include "wasm/module.h"
#include "wasm/wasm.h"

namespace esta::wasm {

// A validated module and its lowered functions. Immutable after compile().
class CompiledModule {
  public:
    CompiledModule(Module module, std::vector<LoweredFunction> functions)
        : m_module(std::move(module)), m_functions(std::move(functions)) {}

    const Module& module() const { return m_module; }
    const LoweredFunction& function(u32 defined_index) const { return m_functions[defined_index]; }

  private:
    Module m_module;
    std::vector<LoweredFunction> m_functions;
};

class InstanceImpl;

// A function in the store (spec: funcinst): either wasm code of an instance, or a host
// function.
struct FunctionInstance {
    const FuncType* type = nullptr;         // Owned by the module or by the store's type table.
    u32 type_id = 0;                        // Canonical within the store: equal ids, equal types.
    InstanceImpl* instance = nullptr;       // Wasm functions only.
    const LoweredFunction* code = nullptr;  // Wasm functions only.
    u32 index = 0;                          // In the instance's function index space.
    HostFunction host;                      // Host functions only.

    bool is_host() const { return code == nullptr; }
};

// A module instance (spec: moduleinst). Addresses are borrowed from the store.
class InstanceImpl final : public Instance {
  public:
    explicit InstanceImpl(std::shared_ptr<const CompiledModule> module)
        : m_module(std::move(module)) {}

    std::optional<Extern> find_export(std::string_view name) const override;
    std::vector<std::pair<std::string, Extern>> exports() const override;
    LinearMemory* memory(u32 index = 0) const override {
        return index < memories.size() ? memories[index] : nullptr;
    }
    const Module& module() const { return m_module->module(); }
    const CompiledModule& compiled() const { return *m_module; }

    std::vector<FunctionInstance*> functions;
    std::vector<TableInstance*> tables;
    std::vector<LinearMemory*> memories;
    std::vector<GlobalInstance*> globals;
    std::vector<u32> type_ids;  // Module type index -> store type id.
    // Element segments as reference slots (dropped: empty), data segments as byte views
    // into the module (dropped: empty).
    std::vector<std::vector<u64>> elements;
    std::vector<ByteSpan> data;

    // The interpreter's cache of memory 0 (the base never moves; see memory.h).
    u8* memory_base = nullptr;
    const u64* memory_size = nullptr;

  private:
    Extern extern_of(const Export& entry) const;

    std::shared_ptr<const CompiledModule> m_module;
};

class StoreImpl {
  public:
    u32 intern_type(const FuncType& type);
    const FuncType& type(u32 id) const { return *m_types[id]; }

    FunctionInstance& add_function(FunctionInstance function) {
        return m_functions.emplace_back(std::move(function));
    }
    TableInstance& add_table(TableType type, u32 max_elements, u64 init) {
        return m_tables.emplace_back(type, max_elements, init);
    }
    LinearMemory& add_memory(std::unique_ptr<LinearMemory> memory) {
        return *m_memories.emplace_back(std::move(memory));
    }
    GlobalInstance& add_global(GlobalType type, Value value) {
        return m_globals.emplace_back(type, value);
    }
    InstanceImpl& add_instance(std::shared_ptr<const CompiledModule> module) {
        return *m_instances.emplace_back(std::make_unique<InstanceImpl>(std::move(module)));
    }

  private:
    // Deques keep addresses stable as they grow.
    std::deque<FunctionInstance> m_functions;
    std::deque<TableInstance> m_tables;
    std::vector<std::unique_ptr<LinearMemory>> m_memories;
    std::deque<GlobalInstance> m_globals;
    std::vector<std::unique_ptr<InstanceImpl>> m_instances;
    std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, u32> m_type_ids;
    std::vector<std::unique_ptr<FuncType>> m_types;
};

}  // namespace esta::wasm
