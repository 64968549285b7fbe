// The replicated state every node keeps (REQUIREMENTS K-61, K-62): the state machine that
// re-executes journal records deterministically, and the log of entries since its latest
// checkpoint. A checkpoint is taken every 10 000 entries (configurable); a standby that is
// new or fell behind the tail catches up from the checkpoint plus the tail.
#pragma once

#include <optional>
#include <vector>

#include "protocol/clock.h"
#include "replication/messages.h"

namespace esta::replication {

using protocol::kNanosPerMilli;
using protocol::Nanos;

// Deterministic re-execution of the journal (T-1): the same records in the same order give
// the same state and the same outputs on every node.
class StateMachine {
  public:
    virtual ~StateMachine() = default;
    // Applies one record; the digest of the outputs it produced, if any.
    virtual Result<std::optional<Digest>> apply(const protocol::JournalRecord& record) = 0;
    virtual std::vector<u8> snapshot() const = 0;
    virtual Result<void> restore(ByteSpan state) = 0;
};

struct ReplicationConfig {
    Nanos heartbeat = 100 * kNanosPerMilli;      // K-61.
    Nanos timeout = 500 * kNanosPerMilli;        // K-61: silence before a standby acts.
    u32 batch_records = 100;                     // K-61: a batch ships at 100 entries ...
    Nanos batch_interval = 10 * kNanosPerMilli;  // ... or 10 ms after its first.
    u64 checkpoint_every = 10'000;               // K-62.
    bool synchronous = true;                     // K-61: an input is accepted once acked.
};

class ReplicaLog {
  public:
    // Chains and keeps `entry` (its sequence must follow the last); takes a checkpoint of
    // `machine` when the sequence is a multiple of `checkpoint_every`.
    void append(Entry entry, const StateMachine& machine, u64 checkpoint_every);
    // Replaces everything with `checkpoint` (a catch-up).
    void reset(Checkpoint checkpoint);

    u64 last() const { return m_last; }
    const Digest& head() const { return m_head; }
    const std::optional<Checkpoint>& checkpoint() const { return m_checkpoint; }
    u64 checkpoint_sequence() const { return m_checkpoint ? m_checkpoint->sequence : 0; }
    // Entries after the checkpoint, oldest first.
    const std::vector<Entry>& tail() const { return m_tail; }
    // Whether `sequence` onwards can be shipped from the tail alone.
    bool has_from(u64 sequence) const { return sequence > checkpoint_sequence(); }

  private:
    std::optional<Checkpoint> m_checkpoint;
    std::vector<Entry> m_tail;
    Digest m_head{};
    u64 m_last = 0;
};

}  // namespace esta::replication
