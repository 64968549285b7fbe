#include "kernel/scheduler.h"

#include <algorithm>

namespace esta::kernel {

Priority effective_priority(Priority base, Nanos waited, const SchedulerConfig& config) {
    // System is never aged and never demoted (the prototype demoted it to Realtime).
    if (base == Priority::System) return base;
    u32 level = static_cast<u32>(base);
    u64 boost = waited <= 0 ? 0 : static_cast<u64>(waited / config.aging_step);
    level += static_cast<u32>(std::min<u64>(boost, config.max_aging_boost));
    return static_cast<Priority>(std::min(level, static_cast<u32>(Priority::Realtime)));
}

std::optional<Nanos> process_deadline(Process& process) {
    std::optional<Nanos> deadline = process.mailbox().earliest_deadline();
    const std::optional<Message>& in_hand = process.message_in_hand();
    if (in_hand && in_hand->deadline && (!deadline || *in_hand->deadline < *deadline))
        deadline = in_hand->deadline;
    return deadline;
}

namespace {
// EDF order: a deadline before none; the earlier of two.
bool earlier(std::optional<Nanos> a, std::optional<Nanos> b) {
    return a && (!b || *a < *b);
}
}  // namespace

Scheduler::Scheduler(SchedulerConfig config) : m_config(config) {}

Result<void> Scheduler::add(Ref<Process> process, Nanos now) {
    ESTA_ASSERT(process);
    ProcessId pid = process->pid();
    if (m_processes.count(pid) != 0) return Err(Status::InvalidArgs, "scheduler: pid in use");
    ESTA_TRY(process->transition(ProcessState::Ready));
    Entry& entry = m_processes[pid];
    entry.process = std::move(process);
    make_ready(entry, now);
    return Ok();
}

void Scheduler::make_ready(Entry& entry, Nanos now) {
    entry.ready_since = now;
    m_ready.push_back(entry.process->pid());
    if (m_running && m_processes.count(*m_running) != 0) {
        Nanos running_waited = 0;  // The running process is not waiting: no aging.
        Process& current = *m_processes.at(*m_running).process;
        Priority running = effective_priority(current.priority(), running_waited, m_config);
        Priority ready = entry.process->priority();
        if (ready > running) m_preempt.store(true);
        // K-53: preemptive EDF within Realtime.
        if (ready == Priority::Realtime && running == Priority::Realtime &&
            earlier(process_deadline(*entry.process), process_deadline(current))) {
            m_preempt.store(true);
        }
    }
}

void Scheduler::wake(ProcessId pid) {
    auto it = m_processes.find(pid);
    if (it == m_processes.end()) return;
    Entry& entry = it->second;
    if (entry.running) {
        entry.wake_pending = true;  // finish() makes it ready if the slice ended waiting.
        return;
    }
    Process& process = *entry.process;
    if (process.state() != ProcessState::Waiting && process.state() != ProcessState::Blocked) {
        return;  // Already ready or completed.
    }
    if (!process.transition(ProcessState::Ready)) return;
    make_ready(entry, m_now);
}

Priority Scheduler::effective_priority_of(ProcessId pid, Nanos now) const {
    const Entry& entry = m_processes.at(pid);
    Nanos waited = entry.process->state() == ProcessState::Ready ? now - entry.ready_since : 0;
    return effective_priority(entry.process->priority(), waited, m_config);
}

Result<std::optional<SliceReport>> Scheduler::run_next(Nanos now) {
    Ref<Process> process = pick(now);
    if (!process) return std::optional<SliceReport>();
    auto slice = process->run_slice(&m_preempt);
    auto report = ESTA_TRY(finish(process->pid(), std::move(slice), now));
    return std::optional<SliceReport>(report);
}

bool Scheduler::runs_before(ProcessId a, ProcessId b, Nanos now) const {
    Priority first = effective_priority_of(a, now);
    Priority second = effective_priority_of(b, now);
    if (first != second) return first > second;
    if (first != Priority::Realtime) return false;
    return earlier(process_deadline(*m_processes.at(a).process),
                   process_deadline(*m_processes.at(b).process));
}

Ref<Process> Scheduler::pick(Nanos now) {
    m_now = now;
    expire_timeouts(now);
    if (m_ready.empty()) return nullptr;
    // Highest effective priority, EDF at Realtime; the earliest in arrival order among
    // equals.
    auto best = m_ready.begin();
    for (auto it = m_ready.begin(); it != m_ready.end(); ++it) {
        if (runs_before(*it, *best, now)) best = it;
    }
    ProcessId pid = *best;
    m_ready.erase(best);
    Entry& entry = m_processes.at(pid);
    m_preempt.store(false);
    m_running = pid;
    entry.running = true;
    entry.wake_pending = false;
    ++m_context_switches;
    return entry.process;
}

Result<SliceReport> Scheduler::finish(ProcessId pid, Result<SliceResult> slice, Nanos now) {
    m_now = now;
    m_running.reset();
    Entry& entry = m_processes.at(pid);
    entry.running = false;
    bool preempted = m_preempt.exchange(false);
    if (preempted) ++m_preemptions;
    if (!slice) return slice.error();

    SliceReport report{pid, slice->state, slice->fuel_used, preempted};
    ProcessState state = entry.process->state();
    if (entry.wake_pending && (state == ProcessState::Waiting || state == ProcessState::Blocked)) {
        if (entry.process->transition(ProcessState::Ready)) state = ProcessState::Ready;
    }
    entry.wake_pending = false;
    if (state == ProcessState::Ready) {
        make_ready(entry, now);
    } else if (state == ProcessState::Completed) {
        m_processes.erase(pid);
    }
    return report;
}

bool Scheduler::remove(ProcessId pid) {
    auto it = m_processes.find(pid);
    if (it == m_processes.end() || it->second.running) return false;
    m_ready.erase(std::remove(m_ready.begin(), m_ready.end(), pid), m_ready.end());
    m_processes.erase(it);
    return true;
}

void Scheduler::expire_timeouts(Nanos now) {
    for (auto& [pid, entry] : m_processes) {
        Process& process = *entry.process;
        if (entry.running) continue;
        // A parked recv or endpoint call whose deadline passed: its retried syscall reports
        // TIMEOUT.
        if (process.state() == ProcessState::Waiting &&
            (process.mailbox().expire_receiver(now) || process.call_expired(now))) {
            if (process.transition(ProcessState::Ready)) make_ready(entry, now);
        }
    }
}

SchedulerStats Scheduler::stats() const {
    SchedulerStats stats;
    for (const auto& [pid, entry] : m_processes) {
        if (entry.running) {
            ++stats.running;
            continue;
        }
        switch (entry.process->state()) {
            case ProcessState::Ready:
                ++stats.ready;
                break;
            case ProcessState::Waiting:
                ++stats.waiting;
                break;
            case ProcessState::Blocked:
                ++stats.blocked;
                break;
            default:
                break;
        }
    }
    stats.context_switches = m_context_switches;
    stats.preemptions = m_preemptions;
    return stats;
}

Process* Scheduler::find(ProcessId pid) const {
    auto it = m_processes.find(pid);
    return it == m_processes.end() ? nullptr : it->second.process.get();
}

}  // namespace esta::kernel
