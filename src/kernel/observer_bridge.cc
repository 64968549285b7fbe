#include "kernel/observer_bridge.h"

#include <string>

#include "observe/value.h"

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

Result<u64> AuditSinkLog::append(ProcessId process, std::string_view kind,
                                 std::span<const u8> record) {
    auto value = observe::decode_value(record, {.allow_floats = false});
    if (!value) return Err(Status::InvalidArgs, "audit: the record is not a canonical value");
    Result<u64> id = 0;
    if (process == kKernelProcess) {
        const observe::Value::Map* fields = value->as_map();
        id = fields ? m_sink.append(kind, *fields) : m_sink.append(kind, {{"record", *value}});
    } else {
        observe::Value::Map data{{"process", observe::Value::integer(process.value())},
                                 {"record", std::move(*value)}};
        id = m_sink.append("guest." + std::string(kind), data);
    }
    if (!id) return Err(Status::Internal, "audit: the log refused the record");
    return id;
}

}  // namespace esta::kernel
