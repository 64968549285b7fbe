// Primary (REQUIREMENTS K-61, K-62): the node holding the lease. It executes each journal
// record on its state machine, chains it (SHA-256) and ships it in order to its standby in
// batches (100 entries or 10 ms), sends a heartbeat every 100 ms when idle, and learns
// from acknowledgements which entries the standby applied; in synchronous mode (the
// default) an input is accepted — may be acknowledged to whoever sent it — only once the
// standby acknowledged it (accepted()). A standby that says hello from before the entries
// the log still keeps (replica_log.h) gets the checkpoint first (in parts when its state does
// not fit one frame); one that is behind by less gets the entries it lacks. The primary steps
// down (fenced()) as soon as it no longer holds the lease or a peer shows it a newer epoch; it then
// refuses to append.
//
// Single-threaded: the owner calls append() and poll(); time is the injected clock.
#pragma once

#include <memory>

#include "replication/link.h"
#include "replication/replica_log.h"
#include "replication/witness.h"

namespace esta::replication {

struct PrimaryStats {
    u64 shipped = 0;  // Entries sent (re-sent ones count again).
    u64 batches = 0;
    u64 heartbeats = 0;
    u64 checkpoints_sent = 0;
};

class Primary {
  public:
    // Leads from `log` (a promoted standby's, or an empty one) at the lease's epoch.
    Primary(u64 node, Lease lease, ReplicationConfig config, const protocol::Clock& clock,
            StateMachine& machine, Witness& witness, ReplicaLog log = {});

    // A standby connected (replaces any earlier one); shipping starts at its hello.
    void attach(std::unique_ptr<Link> link);
    // Executes, chains and queues `record` (its sequence is assigned: last + 1). Revoked
    // once fenced; the state machine's error if it refuses the record.
    Result<u64> append(protocol::JournalRecord record);
    // Reads acknowledgements and hellos, ships due batches and heartbeats. A broken or
    // untrustworthy link is dropped (the error is returned once).
    Result<void> poll();

    bool accepted(u64 sequence) const {
        return !m_config.synchronous || m_acknowledged >= sequence;
    }
    u64 acknowledged() const { return m_acknowledged; }
    u64 last_sequence() const { return m_log.last(); }
    u64 epoch() const { return m_lease.epoch; }
    bool fenced() const { return m_fenced; }
    bool connected() const { return m_link != nullptr && m_shipping; }
    const ReplicaLog& log() const { return m_log; }
    const PrimaryStats& stats() const { return m_stats; }

  private:
    Result<void> handle(const Message& message);
    Result<void> ship_due(Nanos now);
    Result<void> send(Message message);
    // The latest checkpoint, in parts when it does not fit one frame.
    Result<void> send_checkpoint();
    void drop_link();

    u64 m_node;
    Lease m_lease;
    ReplicationConfig m_config;
    const protocol::Clock& m_clock;
    StateMachine& m_machine;
    Witness& m_witness;
    ReplicaLog m_log;
    std::unique_ptr<Link> m_link;
    MessageReader m_reader;
    bool m_shipping = false;  // The standby said hello.
    u64 m_sent = 0;           // Shipped through this sequence on the current link.
    u64 m_acknowledged = 0;
    Nanos m_oldest_unsent = 0;
    Nanos m_last_send = 0;
    bool m_fenced = false;
    PrimaryStats m_stats;
};

}  // namespace esta::replication
