#include "replication/replica_log.h"

#include "base/assert.h"

namespace esta::replication {

void ReplicaLog::append(Entry entry, const StateMachine& machine, u64 checkpoint_every) {
    ESTA_ASSERT(entry.record.sequence == m_last + 1);
    m_head = entry.chain;
    m_last = entry.record.sequence;
    m_tail.push_back(std::move(entry));
    if (checkpoint_every != 0 && m_last % checkpoint_every == 0) {
        m_checkpoint = Checkpoint{m_last, m_head, machine.snapshot()};
        m_tail.clear();
    }
}

void ReplicaLog::reset(Checkpoint checkpoint) {
    m_last = checkpoint.sequence;
    m_head = checkpoint.chain;
    m_tail.clear();
    m_checkpoint = std::move(checkpoint);
}

}  // namespace esta::replication
