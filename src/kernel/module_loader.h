// Loading a module into the kernel (REQUIREMENTS K-22, K-23, V-2): bytes and a policy in; the
// compiled module, its declared manifest, its signature status and its SHA-256 out, or a
// refusal that says why. The runtime calls load_module() once per module it reads and
// admit_module() before it starts a process from it with the application's grants.
//
// Every decision is put on the record through the kernel's audit interface (process 0, the
// kernel): "kernel.module.signature" after the signature check, then "kernel.module.loaded"
// or "kernel.module.refused"; admit_module() adds "kernel.module.admitted" or
// "kernel.module.refused". Each record is a value-encoded map that carries the module's
// SHA-256, so a decision can be traced to the exact bytes (V-2).
#pragma once

#include <memory>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "kernel/audit_log_object.h"
#include "kernel/module_manifest.h"
#include "kernel/module_signature.h"
#include "wasm/wasm.h"

namespace esta::kernel {

enum class ManifestRule : u8 {
    Required,  // A module without `estalogic.manifest` is refused (the kernel's default).
    Optional,  // Tools may look at plain modules; they declare no needs.
};

struct ModuleLoadPolicy {
    SignaturePolicy signatures;
    ManifestRule manifest = ManifestRule::Required;
    wasm::ModuleLimits limits;
};

struct LoadedModule {
    std::shared_ptr<const wasm::CompiledModule> compiled;
    std::optional<ModuleManifest> manifest;  // Set unless ManifestRule::Optional allowed none.
    SignatureCheck signature;
    observe::Digest sha256{};  // Of the exact bytes loaded: the module's content address.
};

// Loads `bytes` under `policy`. The order matters: (1) the sections are listed, (2) the
// signature is checked before any code is decoded, (3) the manifest is decoded, (4) the
// module is compiled (parse, validate, lower), (5) the exports must match the declared style
// (reactive: a function `estalogic_handle`). Errors: Status::Malformed or Status::Invalid for
// a module that is not well-formed or valid, Status::AccessDenied for a signature the policy
// refuses, Status::Limit for an engine limit; `problems` receives one Diagnostic per reason.
// `audit` may be nullptr (tools); it is borrowed for the call only.
Result<LoadedModule> load_module(ByteSpan bytes, const ModuleLoadPolicy& policy,
                                 KernelAuditLog* audit, Diagnostics& problems);

// K-22: refuses (Status::AccessDenied, one Diagnostic per unmet need) unless `grants` covers
// every need the module declares. `custom` resolves custom right names (may be nullptr).
Result<void> admit_module(const LoadedModule& module, std::span<const OfferedGrant> grants,
                          const CustomRights* custom, KernelAuditLog* audit, Diagnostics& problems);

}  // namespace esta::kernel
