// A live upgrade's kernel side: the host retires the old version's process once it has
// finished every message it was given (docs/OPERATIONS.md "Upgrade"). The new version is an
// ordinary spawn; what the kernel adds is re-attaching the old endpoint to it, so the
// handles other processes hold reach the new version, and ending a process for good,
// supervised or not.
#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {

Result<void> Kernel::retire(ProcessId pid) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return Err(Status::NotFound, "retire: no such process");
    Record& record = it->second;
    Process& process = *record.process;
    // No supervisor brings it back, whatever happens to its siblings.
    m_retired.insert(pid);
    std::erase_if(m_restarts, [pid](const PendingRestart& due) { return due.pid == pid; });
    if (process.state() != ProcessState::Completed) {
        // One in the middle of a slice on another thread is not cut short, and what was
        // queued for it before the switch is handled, not dropped.
        if (process.state() == ProcessState::Running || process.message_in_hand())
            return Err(Status::Invalid, "retire: the process is handling a message");
        if (process.mailbox().size() != 0)
            return Err(Status::Invalid, "retire: messages are queued for the process");
        worker_of(pid).scheduler.remove(pid);
        process.kill();
        m_syscalls.release_drivers(pid);
        settle_reply(process);
    }
    process.endpoint()->detach_receiver();
    wake_orphaned_callers(*process.endpoint());
    record.supervision.reset();
    return Ok();
}

Result<void> Kernel::redirect(ProcessId from, ProcessId to) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto old = m_records.find(from);
    auto fresh = m_records.find(to);
    if (old == m_records.end() || fresh == m_records.end())
        return Err(Status::NotFound, "redirect: no such process");
    if (from == to) return Err(Status::Invalid, "redirect: a process to itself");
    old->second.process->endpoint()->forward_to(fresh->second.process->endpoint());
    return Ok();
}

bool Kernel::settled(ProcessId pid) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return false;
    Process& process = *it->second.process;
    if (process.state() == ProcessState::Completed) return true;
    return process.state() != ProcessState::Running && !process.message_in_hand() &&
           process.mailbox().size() == 0;
}

}  // namespace esta::kernel
