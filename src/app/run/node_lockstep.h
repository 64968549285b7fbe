// NodeLockstep: what `estalogic run` gives the processes a manifest marks `critical`
// (REQUIREMENTS K-60): the registry of their lockstep counters, and the alarm sink through
// which each lockstep decision (a divergence that was retried, a quarantine) becomes a
// record of the node's audit log ("lockstep.divergence", "lockstep.quarantine") and a line
// on stderr. Its counters (esta_kernel_lockstep_comparisons_total,
// esta_kernel_lockstep_divergences_total) go to the node's registry, so /metrics shows them.
#pragma once

#include "kernel/guardrails/safety_sink.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "observe/audit_sink.h"
#include "observe/metrics.h"

namespace esta::app::run {

class NodeLockstep final : public kernel::SafetySink {
  public:
    // `audit` and `metrics` (the node's /metrics registry) outlive it.
    NodeLockstep(observe::AuditSink& audit, observe::MetricsRegistry& metrics);

    void report(const kernel::SafetyEvent& event) override;
    // For SyscallServices::lockstep.
    const kernel::KernelLockstepSupport* support() const { return &m_support; }

  private:
    observe::AuditSink& m_audit;
    kernel::KernelLockstepSupport m_support;
};

}  // namespace esta::app::run
