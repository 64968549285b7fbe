#include "app/run/node_lockstep.h"

#include "app/run/node_guard.h"

namespace esta::app::run {

NodeLockstep::NodeLockstep(observe::AuditSink& audit, observe::MetricsRegistry& metrics)
    : m_audit(audit), m_support{&metrics, this, {}} {
    // The checker replica runs on the leader's scheduler thread. On its own thread it hands
    // over at every syscall (a futex wake-up each, several per message), which cost the node
    // more CPU than the replica itself; the scheduler threads already use the cores.
    m_support.config.checker_thread = false;
}

void NodeLockstep::report(const kernel::SafetyEvent& event) {
    audit_safety_event(m_audit, event, "effect_index", "message_seq");
}

}  // namespace esta::app::run
