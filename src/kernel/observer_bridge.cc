#include "kernel/observer_bridge.h"

namespace esta::kernel {

void ObservedCapabilityAudit::record(const CapEvent& event) {
    if (m_next) m_next->record(event);
    observe::CapabilityFacts facts;
    facts.kind = cap_event_kind_name(event.kind);
    facts.at = event.at;
    facts.process = event.process.value();
    facts.cap = event.cap.value();
    facts.parent = event.parent.value();
    facts.object = event.object.value();
    facts.rights = event.rights.bits();
    facts.status = static_cast<i32>(event.status);
    facts.count = event.count;
    m_observer.capability(facts);
}

}  // namespace esta::kernel
