#include "kernel/realtime/deadline_queue.h"

namespace esta::kernel {

ESTA_COUNTER(kDeadlineMisses, "kernel.deadline_misses",
             "Missed message deadlines by queue and miss policy (K-53).", "queue", "policy");
ESTA_GAUGE(kDeadlineDepth, "kernel.deadline_queue_depth", "Messages waiting with a deadline.",
           "queue");

DeadlineQueue::DeadlineQueue(std::string name, DeadlineQueueConfig config,
                             observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_name(std::move(name)), m_config(config), m_metrics(metrics), m_sink(sink) {
    m_metrics.gauge(kDeadlineDepth, {m_name}).set(0);
}

Result<void> DeadlineQueue::push(u64 message_id, Nanos deadline, std::optional<MissPolicy> policy) {
    if (m_entries.size() >= m_config.capacity) {
        return Err(Status::Limit, "deadline_queue.push",
                   Detail{.limit = m_config.capacity, .actual = m_entries.size()});
    }
    DeadlineEntry entry{message_id, deadline, policy.value_or(m_config.default_policy)};
    m_entries.emplace(Key{deadline, m_next_arrival++}, Slot{entry});
    m_metrics.gauge(kDeadlineDepth, {m_name}).set(static_cast<f64>(m_entries.size()));
    return Ok();
}

void DeadlineQueue::count_miss(Slot& slot, Nanos now) {
    if (slot.miss_counted) return;
    slot.miss_counted = true;
    ++m_misses;
    std::string_view policy = miss_policy_name(slot.entry.policy);
    m_metrics.counter(kDeadlineMisses, {m_name, policy}).inc();
    m_sink.report(SafetyEvent{.event = "deadline.missed",
                              .subject = m_name,
                              .detail = policy,
                              .severity = slot.entry.policy == MissPolicy::Escalate
                                              ? SafetySeverity::Audit
                                              : SafetySeverity::Warning,
                              .actual = now,
                              .limit = slot.entry.deadline,
                              .at = now});
}

DeadlineDecision DeadlineQueue::decide(Slot& slot, Nanos now) {
    DeadlineDecision decision{slot.entry, DeadlineOutcome::OnTime, 0};
    if (now <= slot.entry.deadline) return decision;
    count_miss(slot, now);
    decision.lateness = now - slot.entry.deadline;
    switch (slot.entry.policy) {
        case MissPolicy::DeliverLate:
            decision.outcome = DeadlineOutcome::Late;
            break;
        case MissPolicy::Drop:
            decision.outcome = DeadlineOutcome::Dropped;
            break;
        case MissPolicy::Escalate:
            decision.outcome = DeadlineOutcome::Escalated;
            break;
    }
    return decision;
}

Result<DeadlineDecision> DeadlineQueue::pop(Nanos now) {
    if (m_entries.empty()) return Err(Status::Empty, "deadline_queue.pop");
    auto first = m_entries.begin();
    DeadlineDecision decision = decide(first->second, now);
    m_entries.erase(first);
    m_metrics.gauge(kDeadlineDepth, {m_name}).set(static_cast<f64>(m_entries.size()));
    return decision;
}

std::vector<DeadlineDecision> DeadlineQueue::sweep(Nanos now) {
    std::vector<DeadlineDecision> removed;
    // Sorted by deadline: stop at the first entry that is still on time.
    for (auto it = m_entries.begin(); it != m_entries.end() && it->first.first < now;) {
        DeadlineDecision decision = decide(it->second, now);
        if (decision.deliver()) {
            ++it;
            continue;
        }
        removed.push_back(decision);
        it = m_entries.erase(it);
    }
    if (!removed.empty()) {
        m_metrics.gauge(kDeadlineDepth, {m_name}).set(static_cast<f64>(m_entries.size()));
    }
    return removed;
}

}  // namespace esta::kernel
