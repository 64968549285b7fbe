// audit (ABI.md "Functions"): a compliance record appended through the audit-log handle
// granted as "audit", which must carry WRITE.
#include <string>
#include <string_view>

#include "kernel/audit_log_object.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/safety_hooks.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {
constexpr u32 kMaxAuditKindBytes = 64;
constexpr u32 kMaxAuditRecordBytes = 64 * 1024;
// A guest's kind is namespaced, so no guest record can read as one of the kernel's
// (capability.create, process.crashed, audit.read, ...): "accrual" is logged "app.accrual".
constexpr std::string_view kGuestKindPrefix = "app.";

// ASCII letters, digits, '.', '_' and '-': a kind is a name, not text to render.
bool valid_kind(std::string_view kind) {
    for (char c : kind) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}
}  // namespace

SyscallResult Syscalls::audit(Call& call) {
    // (1) Decode.
    Nanos began = m_clock.now_ns();
    u32 kind_length = call.u32_arg(1);
    u32 record_length = call.u32_arg(3);
    if (kind_length == 0 || kind_length > kMaxAuditKindBytes)
        return SyscallResult::failed(Status::InvalidArgs);
    if (record_length > kMaxAuditRecordBytes) return SyscallResult::failed(Status::PayloadTooLarge);
    auto kind = guest_range(call.memory, call.u32_arg(0), kind_length);
    if (!kind) return SyscallResult::failed(kind.error().code);
    std::string kind_text(kGuestKindPrefix);
    kind_text.append(reinterpret_cast<const char*>(kind->data()), kind->size());
    if (!valid_kind(kind_text)) return SyscallResult::failed(Status::InvalidArgs);
    auto record = guest_range(call.memory, call.u32_arg(2), record_length);
    if (!record) return SyscallResult::failed(record.error().code);
    // (2) Check: a process without the grant holds no right to audit.
    auto value = call.process.lookup_grant("audit");
    if (!value) return SyscallResult::failed(Status::AccessDenied);
    auto log = call.process.handles().get<AuditLogObject>(*value, Right::Write, call.context);
    if (!log) return SyscallResult::failed(log.error().code);
    if (LockstepGate* gate = holding(call.process)) {
        // K-60: written once the replicas agree; the answer cannot be the record's id,
        // which only the append assigns: it is 0.
        const CapNode& node = (*call.process.handles().lookup(*value, call.context))->node();
        if (auto use = hold_use(*gate, node, Right::Write, call.context); !use)
            return SyscallResult::failed(use.error().code);
        auto held = std::make_shared<std::pair<std::string, std::vector<u8>>>(
            std::move(kind_text), std::vector<u8>(record->begin(), record->end()));
        Process* process = &call.process;
        HandleValue handle = *value;
        CheckContext context = call.context;
        gate->hold(EffectKind::AuditRecord, [this, process, handle, held, context, began] {
            auto log = process->handles().get<AuditLogObject>(handle, Right::Write, context);
            if (!log || !process->handles().consume_use(handle, context)) return;
            const Nanos appending = m_clock.now_ns();
            auto id = (*log)->append(process->pid(), held->first,
                                     std::span<const u8>(held->second.data(), held->second.size()));
            if (id && m_services.safety != nullptr)
                m_services.safety->audit_written(process->pid(), began, appending,
                                                 m_clock.now_ns());
        });
        return SyscallResult::of(0);
    }
    auto used = call.process.handles().consume_use(*value, call.context);
    if (!used) return SyscallResult::failed(used.error().code);
    // (3) Invoke.
    Nanos appending = m_clock.now_ns();
    auto id = (*log)->append(call.process.pid(), kind_text, *record);
    if (!id) return SyscallResult::failed(id.error().code);
    if (m_services.safety != nullptr)
        m_services.safety->audit_written(call.process.pid(), began, appending, m_clock.now_ns());
    return SyscallResult::of(static_cast<i64>(*id));
}

}  // namespace esta::kernel
