// The kernel's observability interfaces backed by src/observe (REQUIREMENTS O-2, K-18):
//   ObservedCapabilityAudit  every capability decision to a KernelObserver (which keeps the
//                            integrity-log record and counts denials), then to the next audit.
//   AuditSinkLog             the audit-log object's records (the guest `audit` import and
//                            the module loader's) into an observe::AuditSink, normally the
//                            integrity-chained AuditLog.
#pragma once

#include "kernel/audit_log_object.h"
#include "kernel/cap_audit.h"
#include "observe/audit_sink.h"
#include "observe/kernel_observer.h"

namespace esta::kernel {

class ObservedCapabilityAudit final : public CapabilityAudit {
  public:
    // Both borrowed; `next` may be null.
    ObservedCapabilityAudit(observe::KernelObserver& observer, CapabilityAudit* next = nullptr)
        : m_observer(observer), m_next(next) {}
    void record(const CapEvent& event) override;

  private:
    observe::KernelObserver& m_observer;
    CapabilityAudit* m_next;
};

// A record from the kernel itself keeps its kind ("kernel.module.loaded"); a process's goes
// in as "guest.<kind>" with the writer's pid, so no module can write a record that reads as
// the kernel's. The record must be one canonical ABI value without floats (INVALID_ARGS).
class AuditSinkLog final : public KernelAuditLog {
  public:
    explicit AuditSinkLog(observe::AuditSink& sink) : m_sink(sink) {}
    Result<u64> append(ProcessId process, std::string_view kind,
                       std::span<const u8> record) override;

  private:
    observe::AuditSink& m_sink;
};

}  // namespace esta::kernel
