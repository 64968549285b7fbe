// The replicated state every node keeps (REQUIREMENTS K-61, K-62): the state machine that
// re-executes journal records deterministically, and the log of entries around its latest
// checkpoint. A checkpoint is taken every 10 000 entries (configurable); a standby that is
// new or fell behind the tail catches up from the checkpoint plus the tail.
#pragma once

#include <optional>
#include <span>
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

// Entries are kept from the one after the previous checkpoint on: each checkpoint drops
// those up to the checkpoint before it, so at most two intervals are held, and a standby
// that fell behind by less than an interval past the latest checkpoint gets the entries
// it lacks, not the whole state (K-62: a checkpoint only when its entries are gone).
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
    std::span<const Entry> tail() const;
    // The oldest entry kept (last() + 1 when none is).
    u64 first_kept() const { return m_first; }
    // Whether `sequence` onwards can be shipped as entries (they are all still kept).
    bool has_from(u64 sequence) const { return sequence >= m_first; }
    // A kept entry; `sequence` in [first_kept(), last()].
    const Entry& entry(u64 sequence) const { return m_entries[sequence - m_first]; }

  private:
    std::optional<Checkpoint> m_checkpoint;
    std::vector<Entry> m_entries;  // m_first through m_last.
    u64 m_first = 1;
    Digest m_head{};
    u64 m_last = 0;
};

}  // namespace esta::replication
