#include "app/run/node_guard.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "kernel/runtime/kernel_config.h"
#include "observe/json.h"

namespace esta::app::run {

namespace {

static_assert(kernel::TemporalLimits{}.fuel_per_milli == kernel::kDefaultFuelPerMilli);

kernel::KernelGuardConfig guard_config(std::string decision_process, u64 fuel_per_milli) {
    kernel::KernelGuardConfig config;
    config.temporal.fuel_per_milli = fuel_per_milli;
    config.decision_regions.insert(std::move(decision_process));
    return config;
}

}  // namespace

void audit_safety_event(observe::AuditSink& audit, const kernel::SafetyEvent& event,
                        std::string_view actual_key, std::string_view limit_key) {
    observe::Value::Map data;
    data.emplace("subject", observe::Value::text(std::string(event.subject)));
    data.emplace("detail", observe::Value::text(std::string(event.detail)));
    data.emplace(std::string(actual_key), observe::Value::integer(event.actual));
    data.emplace(std::string(limit_key), observe::Value::integer(event.limit));
    data.emplace("alarm", observe::Value::boolean(event.severity == kernel::SafetySeverity::Alarm));
    auto written = audit.append(event.event, data);
    std::fprintf(stderr, "%s: %.*s on %.*s (%.*s, %.*s %lld, %.*s %lld)%s\n",
                 event.severity == kernel::SafetySeverity::Alarm ? "ALARM" : "warning",
                 static_cast<int>(event.event.size()), event.event.data(),
                 static_cast<int>(event.subject.size()), event.subject.data(),
                 static_cast<int>(event.detail.size()), event.detail.data(),
                 static_cast<int>(actual_key.size()), actual_key.data(),
                 static_cast<long long>(event.actual), static_cast<int>(limit_key.size()),
                 limit_key.data(), static_cast<long long>(event.limit),
                 written ? "" : " (the audit log refused the record)");
}

NodeGuard::NodeGuard(std::string decision_process, u64 fuel_per_milli, const protocol::Clock& clock,
                     observe::AuditSink& audit, observe::MetricsRegistry& metrics)
    : m_audit(audit),
      m_guard(guard_config(std::move(decision_process), fuel_per_milli), clock, metrics, *this) {}

drivers::FaultReport NodeGuard::faults_of(const drivers::Driver& driver) {
    std::string_view kind = drivers::driver_kind_name(driver.kind());
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_drivers.find(kind);
    if (it == m_drivers.end()) {
        auto added = m_guard.add_driver(std::string(kind));
        if (!added) return {};  // No region: the bridge reports nowhere, as before.
        it = m_drivers.emplace(std::string(kind), DriverRegion{*added, {}, 0}).first;
        (void)m_guard.driver_connections(*added, 0);  // On /metrics from the start.
    }
    auto& known = it->second.drivers;
    if (std::find(known.begin(), known.end(), &driver) == known.end()) known.push_back(&driver);
    return drivers::guard_faults(m_guard, it->second.region);
}

void NodeGuard::serve() {
    m_guard.serve();
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& entry : m_drivers) {
        DriverRegion& region = entry.second;
        u64 held = 0;
        for (const drivers::Driver* driver : region.drivers)
            held += driver->connections();
        if (held == region.connections) continue;  // Reported once per change, not per round.
        region.connections = held;
        (void)m_guard.driver_connections(region.region, held);
    }
}

std::string NodeGuard::status_fields() const {
    auto regions = m_guard.regions();
    std::string out =
        ",\"regions\":{\"count\":" + std::to_string(regions.size()) + ",\"quarantined\":[";
    bool first = true;
    for (const auto& region : regions) {
        if (region.state != kernel::RegionState::Quarantined &&
            region.state != kernel::RegionState::Escalated)
            continue;
        if (!first) out += ',';
        first = false;
        observe::append_json_string(out, region.name);
    }
    out += "],\"driver_connections\":{";
    std::lock_guard<std::mutex> lock(m_mutex);
    first = true;
    for (const auto& entry : m_drivers) {
        if (!first) out += ',';
        first = false;
        observe::append_json_string(out, "driver." + entry.first);
        out += ':' + std::to_string(entry.second.connections);
    }
    return out + "}}";
}

void NodeGuard::report(const kernel::SafetyEvent& event) {
    // Warnings and info are counted on /metrics by the guard itself; one per late message
    // or slow decision would flood the log.
    // A driver over its connections is said once per change of its count (serve()).
    bool connections = event.event == kernel::limit_kind_name(kernel::LimitKind::DriverConnections);
    if (event.severity != kernel::SafetySeverity::Audit &&
        event.severity != kernel::SafetySeverity::Alarm && !connections)
        return;
    if (connections) {
        std::fprintf(stderr, "warning: driver_connections on %.*s (%lld held, limit %lld)\n",
                     static_cast<int>(event.subject.size()), event.subject.data(),
                     static_cast<long long>(event.actual), static_cast<long long>(event.limit));
        return;
    }
    audit_safety_event(m_audit, event, "actual", "limit");
}

}  // namespace esta::app::run
