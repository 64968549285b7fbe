// Loading and admitting the accrual module with the kernel's module loader (K-22, V-2).
#pragma once

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "kernel/audit_log_object.h"
#include "kernel/object_type.h"
#include "wasm/wasm.h"

namespace esta::accrual {

struct AdmittedModule {
    std::shared_ptr<const wasm::CompiledModule> compiled;
    std::string sha256_hex;  // The loader's hash of the exact bytes.
};

// Loads `bytes` under the kernel's default policy (manifest required, signature optional)
// and admits it against the grants the host gives: "state" (a key-value port of
// `state_kind`, read and write), "audit" (write) and "decisions" (an endpoint, write).
// Every step is recorded in `audit`. Errors and Diagnostics are the loader's.
Result<AdmittedModule> admit_accrual_module(ByteSpan bytes, kernel::ObjectType state_kind,
                                            kernel::KernelAuditLog& audit, Diagnostics& problems);

}  // namespace esta::accrual
