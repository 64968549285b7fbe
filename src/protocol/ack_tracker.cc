#include "protocol/ack_tracker.h"

#include <algorithm>

namespace esta::protocol {

std::string_view nack_reason_name(NackReason reason) {
    switch (reason) {
        case NackReason::Corrupted:
            return "corrupted";
        case NackReason::Lost:
            return "lost";
        case NackReason::ProcessingFailed:
            return "processing_failed";
        case NackReason::ResourceUnavailable:
            return "resource_unavailable";
    }
    return "unknown";
}

Nanos backoff_delay(const RetryPolicy& policy, u32 attempt, DeterministicRng& rng) {
    Nanos base = std::max<Nanos>(policy.initial_timeout, 1);
    for (u32 i = 0; i < attempt && base < policy.max_timeout; ++i) {
        // Saturating multiply: a long retry chain must not overflow into a negative wait.
        if (__builtin_mul_overflow(base, static_cast<Nanos>(policy.multiplier), &base)) {
            base = policy.max_timeout;
        }
    }
    base = std::min(base, policy.max_timeout);
    const u64 jitter_permille = std::min<u32>(policy.jitter_permille, 1000);
    const u64 max_cut = static_cast<u64>(base) / 1000 * jitter_permille;
    return base - static_cast<Nanos>(rng.next_below(max_cut + 1));
}

Result<void> AckTracker::track(u64 sequence) {
    if (m_pending.contains(sequence)) {
        return Err(Status::InvalidArgs, "ack.already_pending", Detail{.actual = sequence});
    }
    m_pending.emplace(sequence,
                      Pending{m_clock.now_ns() + backoff_delay(m_policy, 0, m_rng), 0, {}});
    return Ok();
}

std::vector<u64> AckTracker::on_ack(const Ack& ack) {
    std::vector<u64> settled;
    auto settle = [&](u64 sequence) {
        if (m_pending.erase(sequence) != 0) settled.push_back(sequence);
    };
    if (const auto* positive = std::get_if<PositiveAck>(&ack)) {
        settle(positive->sequence);
    } else if (const auto* negative = std::get_if<NegativeAck>(&ack)) {
        const auto found = m_pending.find(negative->sequence);
        if (found != m_pending.end()) {
            // The peer told us it failed: waiting out the timeout would only add latency.
            found->second.deadline = m_clock.now_ns();
            found->second.last_nack = negative->reason;
        }
    } else if (const auto* cumulative = std::get_if<CumulativeAck>(&ack)) {
        const auto end = m_pending.upper_bound(cumulative->up_to);
        for (auto it = m_pending.begin(); it != end; ++it)
            settled.push_back(it->first);
        m_pending.erase(m_pending.begin(), end);
    } else if (const auto* selective = std::get_if<SelectiveAck>(&ack)) {
        for (const u64 sequence : selective->sequences)
            settle(sequence);
    }
    return settled;
}

AckTracker::Due AckTracker::poll() {
    const Nanos now = m_clock.now_ns();
    Due due;
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        Pending& pending = it->second;
        if (pending.deadline > now) {
            ++it;
            continue;
        }
        if (pending.retries >= m_policy.max_retries) {
            due.exhausted.push_back(Exhausted{it->first, pending.retries, pending.last_nack});
            it = m_pending.erase(it);
            continue;
        }
        ++pending.retries;
        pending.deadline = now + backoff_delay(m_policy, pending.retries, m_rng);
        due.retransmit.push_back(Retransmit{it->first, pending.retries});
        ++it;
    }
    return due;
}

std::optional<Nanos> AckTracker::next_deadline() const {
    std::optional<Nanos> next;
    for (const auto& [sequence, pending] : m_pending) {
        if (!next || pending.deadline < *next) next = pending.deadline;
    }
    return next;
}

}  // namespace esta::protocol
