// ReplicationNode (REQUIREMENTS K-61): one node of a primary/standby pair, the library API
// behind `estalogic run --role primary|standby --peer HOST:PORT`. Each step() it plays its
// role: at start it asks the witness for the lease — granted, it leads (a Primary,
// accepting its standby on `listen`); refused, it follows (a Standby connecting to
// `peer`, with a fresh state machine). A standby promoted after the primary's silence
// becomes the Primary with its own log, from the same step on. The owner appends inputs
// through primary() while role() is Primary, and treats an input as accepted once
// primary()->accepted(sequence).
//
//     ReplicationNode node(options, clock, machine, witness);
//     for (;;) { node.step(); if (auto* p = node.primary()) { ... p->append(record) ... } }
//
// Single-threaded; `clock`, `machine` and `witness` are borrowed.
#pragma once

#include <memory>
#include <string>

#include "replication/primary.h"
#include "replication/standby.h"

namespace esta::replication {

struct NodeOptions {
    u64 node = 0;
    std::string listen;  // "HOST:PORT" or "unix:PATH": where this node accepts a standby.
    std::string peer;    // Where the other node listens.
    // Starts as a standby even when the lease is free (`--role standby`): it leads only
    // after the timeout passes without a primary.
    bool start_as_standby = false;
    ReplicationConfig config;
};

enum class Role : u8 { Primary, Standby };

class ReplicationNode {
  public:
    ReplicationNode(NodeOptions options, const protocol::Clock& clock, StateMachine& machine,
                    Witness& witness);

    // Starts: takes the role the witness allows and opens the listener. Listen errors.
    Result<void> start();
    // One round of the role's protocol (accepting or connecting links as needed). Link
    // errors are dropped links, retried at the next step; Revoked means this node was
    // fenced and must stop writing (it restarts as a standby).
    Result<void> step();

    Role role() const { return m_primary ? Role::Primary : Role::Standby; }
    Primary* primary() { return m_primary.get(); }
    Standby* standby() { return m_standby.get(); }
    // True on the step this node was promoted (the owner fences its effects then).
    bool just_promoted() const { return m_just_promoted; }

  private:
    void lead(Lease lease, ReplicaLog log);

    NodeOptions m_options;
    const protocol::Clock& m_clock;
    StateMachine& m_machine;
    Witness& m_witness;
    std::unique_ptr<Listener> m_listener;
    std::unique_ptr<Primary> m_primary;
    std::unique_ptr<Standby> m_standby;
    bool m_standby_linked = false;
    bool m_just_promoted = false;
};

}  // namespace esta::replication
