// KernelRealtime (REQUIREMENTS K-50..K-52): the real-time accounting of one kernel, fed by
// the kernel's real paths through KernelGuard (guardrails/kernel_guard.h):
//   a spawn          -> process_spawn budget: Processing (instantiate), Scheduling (queue)
//   a delivery       -> message_passing budget: Scheduling (queued until its handler took
//                       it), and the message_passing jitter window (K-51)
//   a rule decision  -> accrual_calculation budget: Processing (handler took -> finished),
//                       for the regions named as deciding rules
//   an audit write   -> audit_write budget: Serialization (decode, copy), DiskIo (append)
//   a recovery       -> RTO tracking (K-52) from the crash to the restart (Restart) and to
//                       the next message handled by the new incarnation (Trap)
// Every figure is on the kernel's injected clock and exported by the realtime room's
// metrics (kernel.operation_latency_seconds, kernel.latency_budget_overruns,
// kernel.jitter_*, kernel.recovery_*). Not thread-safe: KernelGuard serializes calls.
#pragma once

#include "kernel/realtime/jitter.h"
#include "kernel/realtime/latency_budget.h"
#include "kernel/realtime/rto.h"
#include "kernel/safety_hooks.h"

namespace esta::kernel {

struct RealtimeConfig {
    BudgetSpec spawn = process_spawn_budget();
    BudgetSpec message = message_passing_budget();
    BudgetSpec decision = accrual_calculation_budget();
    BudgetSpec audit = audit_write_budget();
    JitterSpec message_jitter = message_passing_jitter();
    RtoConfig rto;
};

// Overruns reported by the last accounting call, for callers and tests.
struct Accounted {
    Nanos latency = 0;
    std::size_t overruns = 0;
};

class KernelRealtime {
  public:
    KernelRealtime(RealtimeConfig config, observe::MetricsRegistry& metrics, SafetySink& sink);

    Accounted spawn(const SpawnTiming& timing);
    Accounted delivery(Nanos sent, Nanos taken);
    Accounted decision(Nanos taken, Nanos finished);
    Accounted audit(Nanos began, Nanos appending, Nanos written);

    // K-52: a recovery of `kind` for `pid` began (a second start while one runs is ignored:
    // the first crash is when the service went down).
    void recovery_started(ProcessId pid, RecoveryKind kind, Nanos now);
    // Completes the running recovery, if any; its outcome.
    std::optional<RtoOutcome> recovery_completed(ProcessId pid, RecoveryKind kind, bool success,
                                                 Nanos now);
    // Acts on running recoveries that crossed a level (warning, violation, hard limit).
    void tick(Nanos now) { (void)m_rto.check(now); }

    const JitterTracker& message_jitter() const { return m_message_jitter.tracker(); }
    const RtoTracker& rto() const { return m_rto; }

  private:
    LatencyAccounting m_spawn;
    LatencyAccounting m_message;
    LatencyAccounting m_decision;
    LatencyAccounting m_audit;
    JitterMonitor m_message_jitter;
    RtoTracker m_rto;
};

}  // namespace esta::kernel
