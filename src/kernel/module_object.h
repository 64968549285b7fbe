// The module kernel object (ObjectType::Module): a validated, compiled wasm module a
// process may start others from (`spawn`, with EXECUTE on its handle). Immutable and
// shared: every process started from it instantiates the same compiled code.
#pragma once

#include <memory>
#include <string>

#include "kernel/object.h"
#include "wasm/wasm.h"

namespace esta::kernel {

class ModuleObject final : public KernelObject {
  public:
    static constexpr ObjectType kType = ObjectType::Module;

    ModuleObject(ObjectId id, std::string name, std::shared_ptr<const wasm::CompiledModule> module)
        : KernelObject(id, Resource{kType, std::move(name), {}}), m_module(std::move(module)) {}

    const std::shared_ptr<const wasm::CompiledModule>& module() const { return m_module; }

  private:
    std::shared_ptr<const wasm::CompiledModule> m_module;
};

}  // namespace esta::kernel
