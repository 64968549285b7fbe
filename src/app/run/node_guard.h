// NodeGuard: the kernel's guardrails and real-time accounting (REQUIREMENTS K-40..K-43,
// K-50..K-52) in a running node. It owns the KernelGuard the kernel gets as its SafetyHooks:
// a region per process (named after it), a region per driver ("driver.kv", "driver.sql",
// "driver.topic") whose bridges report the driver's faults to it, and the messages the
// decision process handles accounted as rule decisions (K-50 accrual_calculation).
//
// What the guard decides that belongs in the tamper-evident log (a region quarantined or
// escalated, a request a limit failed, an alarm) becomes a record of the node's audit log
// and a line on stderr; warnings (a region degraded, a budget overrun) are only counted on
// /metrics, which shows every region's state (esta_kernel_region_state). The guard never
// changes what a handler decides: it only holds the restart of a quarantined region's
// processes, and what makes a fault is counted in instructions or is the driver's own
// error, never the host's time (a loaded machine quarantines nothing).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/kernel_bridge/driver_bridge.h"
#include "kernel/guardrails/kernel_guard.h"
#include "observe/audit_sink.h"
#include "observe/metrics.h"

namespace esta::app::run {

// A safety event as a record of `audit` (its kind the event's name) and a line on stderr;
// `actual_key` and `limit_key` name its two numbers in the record.
void audit_safety_event(observe::AuditSink& audit, const kernel::SafetyEvent& event,
                        std::string_view actual_key, std::string_view limit_key);

class NodeGuard final : public kernel::SafetySink {
  public:
    // `clock` (the kernel's), `audit` and `metrics` (the node's /metrics registry) outlive
    // it. `decision_process` names the process whose handled messages are rule decisions;
    // `fuel_per_milli` is the kernel's (KernelConfig), which turns the operation limit
    // (K-43, 100 ms) into the instructions it is counted in.
    NodeGuard(std::string decision_process, u64 fuel_per_milli, const protocol::Clock& clock,
              observe::AuditSink& audit, observe::MetricsRegistry& metrics);

    // For SyscallServices::safety.
    kernel::SafetyHooks* hooks() { return &m_guard; }
    kernel::KernelGuard& guard() { return m_guard; }
    // Where a bridge over `driver` (borrowed; outlives this) reports its faults: the
    // driver's region, made on first use. The region counts the driver's connections.
    drivers::FaultReport faults_of(const drivers::Driver& driver);
    // Serves the driver faults queued at the gateways and the time-driven transitions, and
    // counts each driver region's connections (K-42: over 100 warns, on stderr and
    // /metrics, and the driver goes on); called off the scheduler threads every few
    // milliseconds.
    void serve();
    // ",\"regions\":{\"count\":N,\"quarantined\":[...],\"driver_connections\":{...}}"
    // for the status document; a region escalated counts as quarantined.
    std::string status_fields() const;

    void report(const kernel::SafetyEvent& event) override;

  private:
    observe::AuditSink& m_audit;
    kernel::KernelGuard m_guard;
    struct DriverRegion {
        kernel::RegionId region;
        std::vector<const drivers::Driver*> drivers;
        u64 connections = 0;  // As last counted.
    };
    mutable std::mutex m_mutex;  // m_drivers
    std::map<std::string, DriverRegion, std::less<>> m_drivers;
};

}  // namespace esta::app::run
