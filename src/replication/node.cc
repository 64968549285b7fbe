#include "replication/node.h"

namespace esta::replication {

ReplicationNode::ReplicationNode(NodeOptions options, const protocol::Clock& clock,
                                 StateMachine& machine, Witness& witness)
    : m_options(std::move(options)), m_clock(clock), m_machine(machine), m_witness(witness) {}

void ReplicationNode::lead(Lease lease, ReplicaLog log) {
    m_primary = std::make_unique<Primary>(m_options.node, lease, m_options.config, m_clock,
                                          m_machine, m_witness, std::move(log));
    m_standby.reset();
}

Result<void> ReplicationNode::start() {
    m_listener = ESTA_TRY(Listener::listen(m_options.listen));
    auto lease = m_options.start_as_standby
                     ? Result<Lease>(Err(Status::Unavailable, "node: starts as a standby"))
                     : m_witness.acquire(m_options.node);
    if (lease) {
        lead(*lease, {});
    } else {
        m_standby = std::make_unique<Standby>(m_options.node, m_options.config, m_clock, m_machine,
                                              m_witness);
    }
    return Ok();
}

Result<void> ReplicationNode::step() {
    m_just_promoted = false;
    if (m_primary) {
        auto link = ESTA_TRY(m_listener->accept());
        if (link) m_primary->attach(std::move(link));
        return m_primary->poll();
    }
    if (!m_standby) return Err(Status::Invalid, "node: not started");
    if (!m_standby_linked) {
        auto link = connect_to(m_options.peer);
        if (link) {
            ESTA_TRY(m_standby->attach(std::move(*link)));
            m_standby_linked = true;
        }
    }
    auto polled = m_standby->poll();
    if (!polled) m_standby_linked = false;  // Reconnect at the next step.
    if (m_standby->promoted()) {
        Lease lease = *m_standby->lease();
        lead(lease, m_standby->take_log());
        m_just_promoted = true;
        return Ok();
    }
    return polled;
}

}  // namespace esta::replication
