// What `estalogic check` says about a module: everything the kernel would decide when loading
// it (signature, declaration, validity, imports, entry points), gathered without stopping at
// the first problem, so one run shows all that needs fixing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "kernel/module_imports.h"
#include "kernel/module_manifest.h"
#include "kernel/module_signature.h"

namespace esta::app {

struct ExportEntry {
    std::string name;
    std::string type;  // "func () -> i32", "memory", ...
};

struct ModuleReport {
    std::size_t size = 0;
    observe::Digest sha256{};
    bool valid = false;  // Decodes and validates as WebAssembly.
    std::optional<kernel::ModuleManifest> manifest;
    std::optional<kernel::SignatureCheck> signature;  // Unset when the sections are unreadable.
    std::vector<kernel::ImportFinding> imports;
    std::vector<ExportEntry> exports;
    Diagnostics problems;  // Each one makes the kernel refuse the module.
    Diagnostics warnings;  // Worth knowing; the kernel would still load it.

    bool ok() const { return problems.empty(); }
};

ModuleReport build_module_report(ByteSpan module, const kernel::SignaturePolicy& signatures);

}  // namespace esta::app
