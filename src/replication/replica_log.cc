#include "replication/replica_log.h"

#include "base/assert.h"

namespace esta::replication {

void ReplicaLog::append(Entry entry, const StateMachine& machine, u64 checkpoint_every) {
    ESTA_ASSERT(entry.record.sequence == m_last + 1);
    m_head = entry.chain;
    m_last = entry.record.sequence;
    m_entries.push_back(std::move(entry));
    if (checkpoint_every != 0 && m_last % checkpoint_every == 0) {
        // The entries up to the previous checkpoint go: a standby that needs one of them
        // gets this checkpoint instead.
        u64 drop = checkpoint_sequence() + 1 - m_first;
        m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<std::ptrdiff_t>(drop));
        m_first += drop;
        m_checkpoint = Checkpoint{m_last, m_head, machine.snapshot()};
    }
}

void ReplicaLog::reset(Checkpoint checkpoint) {
    m_last = checkpoint.sequence;
    m_head = checkpoint.chain;
    m_entries.clear();
    m_first = m_last + 1;
    m_checkpoint = std::move(checkpoint);
}

std::span<const Entry> ReplicaLog::tail() const {
    std::span<const Entry> kept(m_entries);
    return kept.subspan(checkpoint_sequence() + 1 - m_first);
}

}  // namespace esta::replication
