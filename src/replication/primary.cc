#include "replication/primary.h"

#include <algorithm>

namespace esta::replication {

namespace {
// A batch stops growing past this many record bytes, so its frame stays within the
// frame limit (one maximal entry always fits).
constexpr std::size_t kMaxBatchBytes = 256u << 10;
}  // namespace

Primary::Primary(u64 node, Lease lease, ReplicationConfig config, const protocol::Clock& clock,
                 StateMachine& machine, Witness& witness, ReplicaLog log)
    : m_node(node),
      m_lease(lease),
      m_config(config),
      m_clock(clock),
      m_machine(machine),
      m_witness(witness),
      m_log(std::move(log)),
      m_acknowledged(m_log.last()),  // A promoted standby applied its own log.
      m_last_send(clock.now_ns()) {}

void Primary::attach(std::unique_ptr<Link> link) {
    m_link = std::move(link);
    m_reader = MessageReader();
    m_shipping = false;
    m_sent = 0;
}

void Primary::drop_link() {
    if (m_link) m_link->close();
    m_link.reset();
    m_shipping = false;
}

Result<u64> Primary::append(protocol::JournalRecord record) {
    if (m_fenced || !m_witness.holds(m_node)) {
        m_fenced = true;
        return Err(Status::Revoked, "primary.append: not the leader",
                   Detail{.actual = m_lease.epoch});
    }
    record.sequence = m_log.last() + 1;
    Entry entry;
    entry.output = ESTA_TRY(m_machine.apply(record));
    entry.chain = chain_next(m_log.head(), record);
    entry.record = std::move(record);
    if (m_sent == m_log.last()) m_oldest_unsent = m_clock.now_ns();
    m_log.append(std::move(entry), m_machine, m_config.checkpoint_every);
    return m_log.last();
}

Result<void> Primary::send(Message message) {
    message.epoch = m_lease.epoch;
    auto sent = send_message(*m_link, message);
    if (!sent) {
        drop_link();
        return sent.error();
    }
    m_last_send = m_clock.now_ns();
    return Ok();
}

Result<void> Primary::send_checkpoint() {
    const Checkpoint& checkpoint = *m_log.checkpoint();
    const auto& state = checkpoint.state;
    if (state.size() <= kCheckpointPartBytes) {
        ESTA_TRY(send(Message{0, checkpoint}));
    } else {
        for (std::size_t offset = 0; offset < state.size(); offset += kCheckpointPartBytes) {
            std::size_t end = std::min(state.size(), offset + kCheckpointPartBytes);
            CheckpointPart part{checkpoint.sequence, checkpoint.chain, state.size(), offset,
                                std::vector<u8>(state.begin() + static_cast<std::ptrdiff_t>(offset),
                                                state.begin() + static_cast<std::ptrdiff_t>(end))};
            ESTA_TRY(send(Message{0, std::move(part)}));
        }
    }
    ++m_stats.checkpoints_sent;
    m_sent = checkpoint.sequence;
    return Ok();
}

Result<void> Primary::handle(const Message& message) {
    if (message.epoch > m_lease.epoch) {
        m_fenced = true;  // A newer leader exists: this node must not write.
        return Err(Status::Revoked, "primary: a newer epoch", Detail{.actual = message.epoch});
    }
    if (const auto* hello = std::get_if<Hello>(&message.body)) {
        m_shipping = true;
        u64 from = std::max<u64>(hello->next_sequence, 1);
        if (from > m_log.last() + 1) from = m_log.last() + 1;  // Ahead of us: its tail is not ours.
        if (!m_log.has_from(from)) {
            ESTA_TRY(send_checkpoint());
        } else {
            m_sent = from - 1;
        }
        m_oldest_unsent = m_clock.now_ns() - m_config.batch_interval;  // Ship the backlog now.
    } else if (const auto* ack = std::get_if<Ack>(&message.body)) {
        if (message.epoch == m_lease.epoch)
            m_acknowledged = std::max(m_acknowledged, std::min(ack->sequence, m_log.last()));
    } else if (std::holds_alternative<Refused>(message.body)) {
        m_fenced = true;
        return Err(Status::Revoked, "primary: refused by the peer");
    }
    return Ok();
}

Result<void> Primary::ship_due(Nanos now) {
    u64 unsent = m_log.last() - m_sent;
    bool due = unsent >= m_config.batch_records ||
               (unsent > 0 && now - m_oldest_unsent >= m_config.batch_interval);
    while (due && m_link && m_sent < m_log.last()) {
        if (!m_log.has_from(m_sent + 1)) {
            // The entries this standby needs are gone: it restarts from the checkpoint.
            ESTA_TRY(send_checkpoint());
            continue;
        }
        Entries batch;
        std::size_t bytes = 0;
        for (u64 seq = m_sent + 1;
             seq <= m_log.last() && batch.entries.size() < m_config.batch_records &&
             bytes < kMaxBatchBytes;
             ++seq) {
            batch.entries.push_back(m_log.entry(seq));
            bytes += batch.entries.back().record.data.size();
        }
        u64 count = batch.entries.size();
        ESTA_TRY(send(Message{0, std::move(batch)}));
        m_sent += count;
        m_stats.shipped += count;
        ++m_stats.batches;
        due = m_log.last() > m_sent;  // The rest of a backlog goes at once.
    }
    if (m_link && now - m_last_send >= m_config.heartbeat) {
        ESTA_TRY(send(Message{0, Heartbeat{m_log.last()}}));
        ++m_stats.heartbeats;
    }
    return Ok();
}

Result<void> Primary::poll() {
    if (!m_witness.holds(m_node)) m_fenced = true;
    if (m_fenced) {
        drop_link();
        return Err(Status::Revoked, "primary: fenced", Detail{.actual = m_lease.epoch});
    }
    if (!m_link) return Ok();
    for (;;) {
        auto next = m_reader.next(*m_link);
        if (!next) {
            drop_link();
            return next.error();
        }
        if (!*next) break;
        auto handled = handle(**next);
        if (!handled) {
            drop_link();
            return handled.error();
        }
    }
    if (!m_shipping) return Ok();
    return ship_due(m_clock.now_ns());
}

}  // namespace esta::replication
