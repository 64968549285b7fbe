#include "module_admission.h"

#include <vector>

#include "kernel/module_loader.h"
#include "observe/json.h"

namespace esta::accrual {

Result<AdmittedModule> admit_accrual_module(ByteSpan bytes, kernel::ObjectType state_kind,
                                            kernel::KernelAuditLog& audit, Diagnostics& problems) {
    using kernel::Right;
    kernel::LoadedModule loaded =
        ESTA_TRY(kernel::load_module(bytes, kernel::ModuleLoadPolicy{}, &audit, problems));
    const std::vector<kernel::OfferedGrant> offered = {
        {"audit", kernel::ObjectType::AuditLog, Right::Write},
        {"decisions", kernel::ObjectType::Endpoint, Right::Write},
        {"state", state_kind, Right::Read | Right::Write},
    };
    ESTA_TRY(kernel::admit_module(loaded, offered, nullptr, &audit, problems));
    return AdmittedModule{loaded.compiled,
                          observe::to_hex(ByteSpan(loaded.sha256.data(), loaded.sha256.size()))};
}

}  // namespace esta::accrual
