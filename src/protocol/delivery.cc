#include "protocol/delivery.h"

namespace esta::protocol {

std::string_view delivery_mode_name(DeliveryMode mode) {
    switch (mode) {
        case DeliveryMode::AtMostOnce:
            return "at-most-once";
        case DeliveryMode::AtLeastOnce:
            return "at-least-once";
        case DeliveryMode::ExactlyOnce:
            return "exactly-once";
    }
    return "unknown";
}

Result<ReliableSender::Outgoing> ReliableSender::send(Envelope envelope) {
    const u64 sequence = m_next_sequence++;
    if (m_mode == DeliveryMode::AtMostOnce) {
        // Fire and forget: only the message being handed out is kept, until the next call.
        m_in_flight.clear();
        auto [it, inserted] = m_in_flight.emplace(sequence, std::move(envelope));
        return Outgoing{sequence, &it->second, 0};
    }
    ESTA_TRY(m_tracker.track(sequence));
    auto [it, inserted] = m_in_flight.emplace(sequence, std::move(envelope));
    return Outgoing{sequence, &it->second, 0};
}

std::vector<u64> ReliableSender::on_ack(const Ack& ack) {
    std::vector<u64> settled = m_tracker.on_ack(ack);
    for (const u64 sequence : settled)
        m_in_flight.erase(sequence);
    return settled;
}

Result<u64> ReliableSender::dead_letter(u64 sequence, DeadLetterReason reason, u32 code,
                                        u32 attempts) {
    const auto found = m_in_flight.find(sequence);
    ESTA_ASSERT(found != m_in_flight.end());
    u64 id = 0;
    if (m_dead_letters != nullptr) {
        id = ESTA_TRY(m_dead_letters->add(reason, code, attempts, "", found->second));
    }
    m_in_flight.erase(found);
    return id;
}

Result<ReliableSender::Due> ReliableSender::poll() {
    Due due;
    if (m_mode == DeliveryMode::AtMostOnce) return due;
    const Nanos now = m_clock.now_ns();
    const AckTracker::Due tracked = m_tracker.poll();
    for (const auto& exhausted : tracked.exhausted) {
        const u32 code = exhausted.last_nack ? u32(*exhausted.last_nack) : 0;
        due.dead_lettered.push_back(ESTA_TRY(dead_letter(
            exhausted.sequence, DeadLetterReason::RetriesExhausted, code, exhausted.retries)));
    }
    for (const auto& retransmit : tracked.retransmit) {
        const auto found = m_in_flight.find(retransmit.sequence);
        ESTA_ASSERT(found != m_in_flight.end());
        if (ttl_elapsed(found->second, now)) {
            // Retrying an expired message cannot help; stop tracking it and say why.
            (void)m_tracker.on_ack(PositiveAck{retransmit.sequence});
            due.dead_lettered.push_back(ESTA_TRY(dead_letter(
                retransmit.sequence, DeadLetterReason::Expired, 0, retransmit.attempt - 1)));
            continue;
        }
        due.retransmit.push_back(Outgoing{retransmit.sequence, &found->second, retransmit.attempt});
    }
    return due;
}

Result<ReliableReceiver> ReliableReceiver::create(const Clock& clock, DeliveryMode mode,
                                                  ReorderOptions reorder, DedupOptions dedup) {
    DedupStore store = ESTA_TRY(DedupStore::create(clock, dedup));
    return ReliableReceiver(clock, mode, reorder, std::move(store));
}

std::optional<Ack> ReliableReceiver::cumulative_ack() const {
    if (m_mode == DeliveryMode::AtMostOnce || m_reorder.expected() <= 1) return std::nullopt;
    return Ack{CumulativeAck{m_reorder.expected() - 1}};
}

ReliableReceiver::Outcome ReliableReceiver::receive(u64 sequence, Envelope envelope) {
    Outcome outcome;
    // (1) Validate: an invalid message is never delivered; the sender learns why.
    outcome.problems = validate_envelope(envelope, m_clock->now_ns());
    if (!outcome.problems.empty()) {
        outcome.verdict = Verdict::Invalid;
        if (m_mode != DeliveryMode::AtMostOnce) {
            outcome.ack = Ack{NegativeAck{sequence, NackReason::ProcessingFailed}};
        }
        return outcome;
    }
    if (m_mode == DeliveryMode::AtMostOnce) {
        outcome.deliver.push_back(std::move(envelope));
        return outcome;
    }
    // (2) Exactly-once: a key seen before gets its stored result back.
    if (m_mode == DeliveryMode::ExactlyOnce && envelope.idempotency_key) {
        if (auto hit = m_dedup.find(envelope.tenant, *envelope.idempotency_key)) {
            outcome.verdict = Verdict::Duplicate;
            outcome.stored_result = std::move(hit->result);
            outcome.ack = Ack{PositiveAck{sequence}};
            return outcome;
        }
    }
    // (3) Per-source order.
    auto ordered = m_reorder.insert(sequence, std::move(envelope));
    if (ordered.status == ReorderStatus::TooOld || ordered.status == ReorderStatus::Duplicate) {
        outcome.verdict = Verdict::Stale;
    }
    outcome.deliver = std::move(ordered.released);
    outcome.gaps = std::move(ordered.gaps);
    // (4) Cumulative ack of everything delivered so far; a stale retransmission is acked
    // again, since its first ack was evidently lost.
    outcome.ack = cumulative_ack();
    return outcome;
}

ReliableReceiver::Outcome ReliableReceiver::poll() {
    Outcome outcome;
    auto ordered = m_reorder.poll();
    outcome.deliver = std::move(ordered.released);
    outcome.gaps = std::move(ordered.gaps);
    if (!outcome.deliver.empty()) outcome.ack = cumulative_ack();
    return outcome;
}

void ReliableReceiver::record_result(const Envelope& envelope, std::vector<u8> result) {
    if (m_mode != DeliveryMode::ExactlyOnce || !envelope.idempotency_key) return;
    m_dedup.record(envelope.tenant, *envelope.idempotency_key, std::move(result));
}

}  // namespace esta::protocol
