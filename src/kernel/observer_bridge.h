// The kernel's capability audit (K-18) reported to a KernelObserver (REQUIREMENTS O-2): the
// observer keeps the integrity-log record and counts denials. (The `audit` import's records
// reach the log through the audit-log object's KernelAuditLog, which the application backs.)
#pragma once

#include "kernel/cap_audit.h"
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

}  // namespace esta::kernel
