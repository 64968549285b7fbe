// A live upgrade's kernel side: the host retires the old version's process once it has
// finished every message it was given (docs/OPERATIONS.md "Upgrade"). The new version is an
// ordinary spawn; what the kernel adds is re-attaching the old endpoint to it, so the
// handles other processes hold reach the new version, and ending a process for good,
// supervised or not.
#include <algorithm>

#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {

namespace {

// Why a process cannot be retired yet, or nullptr: it is in the middle of a slice on another
// thread (not cut short), or messages queued for it before the switch are not handled yet
// (not dropped), also when it crashed and its supervisor will restart it to handle them.
const char* unfinished(Process& process, bool restart_pending) {
    if (process.state() == ProcessState::Completed)
        return restart_pending && process.mailbox().size() != 0
                   ? "retire: the process restarts to handle its queued messages"
                   : nullptr;
    if (process.state() == ProcessState::Running || process.message_in_hand())
        return "retire: the process is handling a message";
    if (process.mailbox().size() != 0) return "retire: messages are queued for the process";
    return nullptr;
}

template <class Restarts>
bool restart_pending(const Restarts& restarts, ProcessId pid) {
    return std::any_of(restarts.begin(), restarts.end(),
                       [pid](const auto& due) { return due.pid == pid; });
}

}  // namespace

Result<void> Kernel::retire(ProcessId pid) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return Err(Status::NotFound, "retire: no such process");
    Record& record = it->second;
    Process& process = *record.process;
    if (const char* why = unfinished(process, restart_pending(m_restarts, pid)))
        return Err(Status::Invalid, why);
    // No supervisor brings it back, whatever happens to its siblings.
    m_retired.insert(pid);
    std::erase_if(m_restarts, [pid](const PendingRestart& due) { return due.pid == pid; });
    if (process.state() != ProcessState::Completed) {
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
    return unfinished(*it->second.process, restart_pending(m_restarts, pid)) == nullptr;
}

}  // namespace esta::kernel
