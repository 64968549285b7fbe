#include "kernel/realtime/kernel_realtime.h"

namespace esta::kernel {

namespace {

// One recovery per (process, kind) at a time: the id says both.
RecoveryId recovery_id(ProcessId pid, RecoveryKind kind) {
    return RecoveryId((static_cast<u64>(pid.value()) << 8) | static_cast<u64>(kind));
}

Accounted finish(LatencyAccounting& accounting, const LatencyBudget& budget, Nanos now) {
    return Accounted{budget.consumed(), accounting.finish(budget, now)};
}

}  // namespace

KernelRealtime::KernelRealtime(RealtimeConfig config, observe::MetricsRegistry& metrics,
                               SafetySink& sink)
    : m_spawn(std::move(config.spawn), metrics, sink),
      m_message(std::move(config.message), metrics, sink),
      m_decision(std::move(config.decision), metrics, sink),
      m_audit(std::move(config.audit), metrics, sink),
      m_message_jitter(std::move(config.message_jitter), metrics, sink),
      m_rto(std::move(config.rto), metrics, sink) {}

Accounted KernelRealtime::spawn(const SpawnTiming& timing) {
    LatencyBudget budget = m_spawn.start();
    (void)budget.charge(BudgetComponent::Processing, timing.instantiated - timing.began);
    (void)budget.charge(BudgetComponent::Scheduling, timing.scheduled - timing.instantiated);
    return finish(m_spawn, budget, timing.scheduled);
}

Accounted KernelRealtime::delivery(Nanos sent, Nanos taken) {
    LatencyBudget budget = m_message.start();
    (void)budget.charge(BudgetComponent::Scheduling, taken - sent);
    (void)m_message_jitter.record(taken - sent, taken);
    return finish(m_message, budget, taken);
}

Accounted KernelRealtime::decision(Nanos taken, Nanos finished) {
    LatencyBudget budget = m_decision.start();
    (void)budget.charge(BudgetComponent::Processing, finished - taken);
    return finish(m_decision, budget, finished);
}

Accounted KernelRealtime::audit(Nanos began, Nanos appending, Nanos written) {
    LatencyBudget budget = m_audit.start();
    (void)budget.charge(BudgetComponent::Serialization, appending - began);
    (void)budget.charge(BudgetComponent::DiskIo, written - appending);
    return finish(m_audit, budget, written);
}

void KernelRealtime::recovery_started(ProcessId pid, RecoveryKind kind, Nanos now) {
    (void)m_rto.start(recovery_id(pid, kind), kind, now);  // Invalid: one already runs.
}

std::optional<RtoOutcome> KernelRealtime::recovery_completed(ProcessId pid, RecoveryKind kind,
                                                             bool success, Nanos now) {
    auto outcome = m_rto.complete(recovery_id(pid, kind), success, now);
    if (!outcome) return std::nullopt;
    return *outcome;
}

}  // namespace esta::kernel
