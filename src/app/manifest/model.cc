#include "app/manifest/model.h"

namespace esta::app::manifest {

const ModuleSpec* AppManifest::find_module(std::string_view name) const {
    for (const auto& module : modules)
        if (module.name == name) return &module;
    return nullptr;
}

const ProcessSpec* AppManifest::find_process(std::string_view name) const {
    for (const auto& process : processes)
        if (process.name == name) return &process;
    return nullptr;
}

}  // namespace esta::app::manifest
