// Standby (REQUIREMENTS K-61, K-62): receives the primary's ordered journal, verifies every
// entry's SHA-256 chain hash (a mismatch is refused and the link dropped: Corrupt),
// re-executes it on its own state machine, compares its output digest with the
// primary's (a difference is a divergence: counted and reported, as lockstep reports one)
// and acknowledges what it applied. A checkpoint replaces its state (catch-up); one in parts
// is gathered first (at most kMaxCheckpointBytes, in order, or the link is dropped).
//
// Failover: when the primary has been silent for longer than the timeout (500 ms), the
// standby asks the witness for the lease; only if it gets it (the old primary's session is
// gone) is it promoted, with the new, higher epoch — take_log() then hands its log to a
// Primary. While the old primary holds the lease the standby stays a standby, however long
// the silence: a partition never makes two leaders. Messages from an older epoch than the
// newest it has seen are answered Refused.
//
// A node that was primary and comes back rejoins as a standby with a fresh state machine:
// its own unacknowledged tail is discarded, and it catches up from the new primary.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>

#include "replication/link.h"
#include "replication/replica_log.h"
#include "replication/witness.h"

namespace esta::replication {

struct StandbyStats {
    u64 applied = 0;
    u64 divergences = 0;
    u64 chain_failures = 0;
    u64 checkpoints_restored = 0;
    u64 refused_stale = 0;
};

class Standby {
  public:
    Standby(u64 node, ReplicationConfig config, const protocol::Clock& clock, StateMachine& machine,
            Witness& witness);

    // Connected to the primary: says hello with the next sequence it needs.
    Result<void> attach(std::unique_ptr<Link> link);
    // Applies what arrived and acknowledges it; then, if the primary is silent past the
    // timeout, tries for the lease. Errors: Corrupt for a chain mismatch (the link is
    // dropped), the link's errors.
    Result<void> poll();

    bool promoted() const { return m_lease.has_value(); }
    std::optional<Lease> lease() const { return m_lease; }
    // When the primary was last heard from, and when this node took over.
    Nanos last_heard() const { return m_last_heard; }
    std::optional<Nanos> promoted_at() const { return m_promoted_at; }
    u64 last_sequence() const { return m_log.last(); }
    u64 known_epoch() const { return m_epoch; }
    // The primary's last sequence as its latest heartbeat or batch showed it (the lag is
    // this minus last_sequence()).
    u64 primary_last() const { return std::max(m_primary_last, m_log.last()); }
    const StandbyStats& stats() const { return m_stats; }
    const ReplicaLog& log() const { return m_log; }
    // Called for each divergence: (sequence, primary's digest, ours).
    void on_divergence(std::function<void(u64, const Digest&, const Digest&)> callback) {
        m_on_divergence = std::move(callback);
    }
    // The log, for the Primary this node becomes (after promotion).
    ReplicaLog take_log() { return std::move(m_log); }

  private:
    Result<void> handle(const Message& message);
    Result<void> apply(const Entry& entry);
    Result<void> restore(const Checkpoint& checkpoint);
    void drop_link();

    u64 m_node;
    ReplicationConfig m_config;
    const protocol::Clock& m_clock;
    StateMachine& m_machine;
    Witness& m_witness;
    ReplicaLog m_log;
    std::unique_ptr<Link> m_link;
    MessageReader m_reader;
    u64 m_epoch = 0;
    u64 m_primary_last = 0;
    Nanos m_last_heard;
    std::optional<Lease> m_lease;
    std::optional<Checkpoint> m_partial;  // A checkpoint arriving in parts.
    std::optional<Nanos> m_promoted_at;
    StandbyStats m_stats;
    std::function<void(u64, const Digest&, const Digest&)> m_on_divergence;
};

}  // namespace esta::replication
