#include "replication/standby.h"

namespace esta::replication {

Standby::Standby(u64 node, ReplicationConfig config, const protocol::Clock& clock,
                 StateMachine& machine, Witness& witness)
    : m_node(node),
      m_config(config),
      m_clock(clock),
      m_machine(machine),
      m_witness(witness),
      m_last_heard(clock.now_ns()) {}

void Standby::drop_link() {
    if (m_link) m_link->close();
    m_link.reset();
    m_partial.reset();  // A new link starts its checkpoint from its first part.
}

Result<void> Standby::attach(std::unique_ptr<Link> link) {
    m_link = std::move(link);
    m_reader = MessageReader();
    m_partial.reset();
    // Connecting is not hearing from a primary: whoever listens at the peer's address may
    // be a node restarting as a standby, and the silence since the primary was last heard
    // still counts toward the timeout.
    auto sent = send_message(*m_link, Message{m_epoch, Hello{m_log.last() + 1}});
    if (!sent) drop_link();
    return sent;
}

Result<void> Standby::apply(const Entry& entry) {
    u64 sequence = entry.record.sequence;
    if (sequence <= m_log.last()) return Ok();  // Shipped again after a reconnect.
    if (sequence != m_log.last() + 1) {
        return Err(Status::Corrupt, "standby: a gap in the journal",
                   Detail{.limit = m_log.last() + 1, .actual = sequence});
    }
    Digest expected = chain_next(m_log.head(), entry.record);
    if (expected != entry.chain) {
        ++m_stats.chain_failures;
        return Err(Status::Corrupt, "standby: chain hash mismatch", Detail{.index = sequence});
    }
    auto output = ESTA_TRY(m_machine.apply(entry.record));
    if (output != entry.output) {
        ++m_stats.divergences;
        if (m_on_divergence)
            m_on_divergence(sequence, entry.output.value_or(Digest{}), output.value_or(Digest{}));
    }
    m_log.append(entry, m_machine, m_config.checkpoint_every);
    ++m_stats.applied;
    return Ok();
}

Result<void> Standby::restore(const Checkpoint& checkpoint) {
    ESTA_TRY(m_machine.restore(ByteSpan(checkpoint.state.data(), checkpoint.state.size())));
    m_log.reset(checkpoint);
    ++m_stats.checkpoints_restored;
    return send_message(*m_link, Message{m_epoch, Ack{m_log.last()}});
}

Result<void> Standby::handle(const Message& message) {
    if (message.epoch < m_epoch) {
        ++m_stats.refused_stale;
        return send_message(*m_link, Message{m_epoch, Refused{m_epoch}});
    }
    m_epoch = message.epoch;
    m_last_heard = m_clock.now_ns();
    if (const auto* heartbeat = std::get_if<Heartbeat>(&message.body))
        m_primary_last = heartbeat->last_sequence;
    if (const auto* entries = std::get_if<Entries>(&message.body)) {
        if (!entries->entries.empty())
            m_primary_last = std::max(m_primary_last, entries->entries.back().record.sequence);
        for (const Entry& entry : entries->entries)
            ESTA_TRY(apply(entry));
        // Acknowledged only once applied: an acknowledged input is on this node too.
        return send_message(*m_link, Message{m_epoch, Ack{m_log.last()}});
    }
    if (const auto* checkpoint = std::get_if<Checkpoint>(&message.body)) {
        m_partial.reset();
        return restore(*checkpoint);
    }
    if (const auto* part = std::get_if<CheckpointPart>(&message.body)) {
        if (part->offset == 0) m_partial = Checkpoint{part->sequence, part->chain, {}};
        // The parts come in order on one link: anything else is not this checkpoint.
        if (!m_partial || m_partial->sequence != part->sequence ||
            m_partial->chain != part->chain || m_partial->state.size() != part->offset) {
            m_partial.reset();
            return Err(Status::Malformed, "standby: a checkpoint part out of order",
                       Detail{.limit = part->offset, .actual = part->sequence});
        }
        m_partial->state.insert(m_partial->state.end(), part->bytes.begin(), part->bytes.end());
        if (m_partial->state.size() < part->total) return Ok();
        Checkpoint whole = std::move(*m_partial);
        m_partial.reset();
        return restore(whole);
    }
    return Ok();  // Heartbeats only refresh last_heard.
}

Result<void> Standby::poll() {
    if (m_lease) return Ok();
    Result<void> outcome = Ok();
    while (m_link) {
        auto next = m_reader.next(*m_link);
        if (!next) {
            outcome = next.error();
            drop_link();
            break;
        }
        if (!*next) break;
        auto handled = handle(**next);
        if (!handled) {
            outcome = handled.error();
            drop_link();
            break;
        }
    }
    Nanos now = m_clock.now_ns();
    if (now - m_last_heard > m_config.timeout) {
        auto lease = m_witness.acquire(m_node);
        if (lease) {
            m_lease = *lease;
            m_epoch = lease->epoch;
            m_promoted_at = now;
            drop_link();
        }
    }
    return outcome;
}

}  // namespace esta::replication
