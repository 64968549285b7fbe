// Message deadlines in the runtime (REQUIREMENTS K-53). The scheduler orders Realtime work
// by deadline (scheduler.h); this file makes sure a missed one is never silently ignored:
// every process with a deadline pending is watched at its earliest one, swept on the
// kernel clock before each slice, and each miss (found by a sweep or by a receive) is
// counted, reported to the SafetySink and handled by the message's MissPolicy.
#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {

void Kernel::watch_deadlines(ProcessId pid, const Mailbox& mailbox) {
    // A stale entry (the message was handled in time) costs one empty sweep of the mailbox.
    if (auto next = mailbox.next_miss_check()) m_deadline_watch.emplace(*next, pid);
}

void Kernel::sweep_deadlines(Nanos now) {
    while (!m_deadline_watch.empty() && m_deadline_watch.begin()->first < now) {
        ProcessId pid = m_deadline_watch.begin()->second;
        m_deadline_watch.erase(m_deadline_watch.begin());
        auto it = m_records.find(pid);
        if (it == m_records.end()) continue;
        Process& process = *it->second.process;
        process.mailbox().collect_missed(now);
        handle_misses(process, now);
    }
}

void Kernel::handle_misses(Process& process, Nanos now) {
    for (DeadlineMiss& miss : process.mailbox().take_misses()) {
        ++m_deadline_misses[static_cast<std::size_t>(miss.policy)];
        if (m_config.safety != nullptr) {
            m_config.safety->report(SafetyEvent{.event = "deadline.missed",
                                                .subject = "kernel.mailbox",
                                                .detail = miss_policy_name(miss.policy),
                                                .severity = miss.policy == MissPolicy::Escalate
                                                                ? SafetySeverity::Alarm
                                                                : SafetySeverity::Warning,
                                                .actual = now,
                                                .limit = miss.deadline,
                                                .at = now});
        }
        if (!miss.removed) continue;  // DeliverLate: delivered, marked late.
        dead_letter_unhandled(process.pid(), *miss.removed, now, miss.deadline);
    }
    watch_deadlines(process.pid(), process.mailbox());
}

void Kernel::dead_letter_unhandled(ProcessId pid, Message& message, Nanos now,
                                   std::optional<Nanos> deadline) {
    DeadLetterRecord record;
    record.process = pid;
    record.type = message.type;
    record.sender = message.sender;
    record.seq = message.seq;
    record.time = now;
    record.payload = std::move(message.payload);
    record.deadline = deadline;
    // A sink error leaves the count and the report as the trace of the loss.
    if (m_dead_letters.add(std::move(record))) ++m_dead_lettered;
    if (m_persistent != nullptr) (void)m_persistent->consumed(pid, message.seq);
    // Its caller, if it was a call, hears now rather than at its own timeout.
    if (message.reply_to && message.reply_to->fail()) wake(message.reply_to->caller());
}

}  // namespace esta::kernel
