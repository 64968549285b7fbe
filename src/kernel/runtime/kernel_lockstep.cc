// The kernel's side of lockstep (REQUIREMENTS K-60): after a critical process's handler
// returned, its gate compares the replicas; this file acts on the decision.
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {

bool Kernel::settle_lockstep(Process& process, Nanos now) {
    LockstepGate& gate = *process.lockstep();
    auto checked = gate.check(process.instance(), process.last_handler_code(), now);
    const LockstepDecision decision =
        checked ? checked->decision : LockstepDecision::Quarantine;  // Not restorable: stop.
    if (decision == LockstepDecision::Release) {
        process.message_agreed();
        return true;
    }
    if (decision == LockstepDecision::Retry) {
        // Both replicas are back at the last agreed state; the leader takes it again next.
        ++m_lockstep_retries;
        process.redo_message();
        return false;
    }
    ++m_lockstep_quarantines;
    if (const Message* copy = process.lockstep_message()) {
        Message unhandled = copy->copy_without_handles();
        dead_letter_unhandled(process.pid(), unhandled, now, std::nullopt);
    }
    worker_of(process.pid()).scheduler.remove(process.pid());
    process.kill();
    if (m_safety != nullptr) m_safety->lockstep_quarantined(process.pid(), now);
    return false;
}

Result<void> Kernel::plan_lockstep_fault(ProcessId pid, const FaultPlan& fault) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end() || it->second.process->lockstep() == nullptr)
        return Err(Status::NotFound, "kernel.plan_lockstep_fault: no such critical process");
    it->second.process->lockstep()->plan_fault(fault);
    return Ok();
}

}  // namespace esta::kernel
