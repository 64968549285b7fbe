#include "app/run/node_lockstep.h"

#include <cstdio>
#include <string>

namespace esta::app::run {

NodeLockstep::NodeLockstep(observe::AuditSink& audit, observe::MetricsRegistry& metrics)
    : m_audit(audit), m_support{&metrics, this, {}} {
    // The checker replica runs on the leader's scheduler thread. On its own thread it hands
    // over at every syscall (a futex wake-up each, several per message), which cost the node
    // more CPU than the replica itself; the scheduler threads already use the cores.
    m_support.config.checker_thread = false;
}

void NodeLockstep::report(const kernel::SafetyEvent& event) {
    observe::Value::Map data;
    data.emplace("subject", observe::Value::text(std::string(event.subject)));
    data.emplace("detail", observe::Value::text(std::string(event.detail)));
    data.emplace("effect_index", observe::Value::integer(event.actual));
    data.emplace("message_seq", observe::Value::integer(event.limit));
    data.emplace("alarm", observe::Value::boolean(event.severity == kernel::SafetySeverity::Alarm));
    auto written = m_audit.append(event.event, data);
    std::fprintf(stderr, "%s: %.*s on %.*s (%.*s, message %lld)%s\n",
                 event.severity == kernel::SafetySeverity::Alarm ? "ALARM" : "warning",
                 static_cast<int>(event.event.size()), event.event.data(),
                 static_cast<int>(event.subject.size()), event.subject.data(),
                 static_cast<int>(event.detail.size()), event.detail.data(),
                 static_cast<long long>(event.limit),
                 written ? "" : " (the audit log refused the record)");
}

}  // namespace esta::app::run
