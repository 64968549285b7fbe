// KernelGuard (REQUIREMENTS K-40..K-43, K-50..K-52): the kernel's guardrails and real-time
// accounting on its real paths, behind the narrow SafetyHooks door (kernel/safety_hooks.h)
// that the runtime and the syscall layer call.
//
// Regions (K-40): the kernel region at the root, one region per driver (add_driver) and
// one per application module — a supervised child's region is its supervision name, a
// spawned process's the name its spec gives it (all instances share it), an anonymous
// spawn's "process.<pid>"; a restart keeps the region. Every fault reaches the
// region tree only through the region's quarantine gateway (K-41), served in the gateway's
// priority order: a crash is submitted and served at once (the kernel is the caller), a
// driver's faults queue until serve() (at most 1000, then backpressure). A quarantined or
// escalated region's processes are not restarted until the region recovers (or its parent
// resets it).
//
// Limits (K-42, K-43): a send refused by the payload or mailbox limit is reported with the
// real numbers and recorded as a ResourceExhausted fault of the sender's region; a handler
// that ran longer than the operation limit on one message is a Timeout fault of its region,
// the limit counted in instructions (100 ms of fuel at the kernel's fuel_per_milli), never
// in host time: a handler slowed by a loaded machine is not a fault, and the same input
// gives the same faults on every run. A message delivered later than the delivery limit
// (1000 ms, on the kernel's injected clock) after it was sent is counted and reported as a
// warning, never a fault. Driver connections over 100 warn and continue.
//
// Real time (K-50..K-52): see realtime/kernel_realtime.h.
//
// Thread-safe: one mutex; the kernel calls the hooks with its own lock held, and nothing
// here calls back into the kernel.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kernel/guardrails/gateway.h"
#include "kernel/guardrails/limits.h"
#include "kernel/guardrails/region_tree.h"
#include "kernel/realtime/kernel_realtime.h"
#include "kernel/safety_hooks.h"

namespace esta::kernel {

struct KernelGuardConfig {
    RegionConfig regions;
    GatewayConfig gateway;
    SpatialLimits spatial;
    TemporalLimits temporal;
    RealtimeConfig realtime;
    u32 serve_per_call = 64;  // Gateway events served per region per serving.
    // Application regions whose handled messages are rule decisions (K-50
    // accrual_calculation): "esta_accrual".
    std::set<std::string, std::less<>> decision_regions;
};

class KernelGuard final : public SafetyHooks {
  public:
    // Borrowed objects outlive the guard.
    KernelGuard(KernelGuardConfig config, const protocol::Clock& clock,
                observe::MetricsRegistry& metrics, SafetySink& sink);
    ~KernelGuard() override;

    // A driver's region below the kernel's. Errors are RegionTree::add's.
    Result<RegionId> add_driver(std::string name);
    // A driver's fault, through its gateway (queued until serve()). Limit under backpressure
    // (the numbers in the detail); NotFound for an unknown region.
    Result<void> driver_fault(RegionId region, FaultKind kind, i64 code);
    // K-42: the driver region now holds `held` connections (kernel.driver_connections
    // {region}); over the limit (100) warns and continues, with the numbers.
    LimitDecision driver_connections(RegionId region, u64 held);
    // An operator's or security decision: quarantine the region (through its gateway).
    Result<void> request_quarantine(RegionId region);
    // The region is well again: served now, refused past the recovery window (Timeout).
    Result<void> recover(RegionId region);
    // Serves every gateway (up to serve_per_call events each, regions in id order), applies
    // time-driven transitions and acts on late recoveries. Returns the events served.
    std::size_t serve();

    Result<RegionState> state(RegionId region) const;
    // The application region of a pid (its current or last incarnation).
    std::optional<RegionId> region_of(ProcessId pid) const;
    std::optional<RegionId> find(std::string_view name) const;
    u32 pending(RegionId region) const;
    // Every region's name and state, in id order (the kernel's first).
    struct Reading {
        std::string name;
        RegionState state = RegionState::Healthy;
    };
    std::vector<Reading> regions() const;
    RegionId kernel_region() const { return m_tree.kernel(); }
    // For reads that need the realtime figures (jitter windows, RTO percentiles).
    template <class F>
    auto with_realtime(F&& read) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return read(m_realtime);
    }

    // SafetyHooks.
    void started(ProcessId pid, std::string_view name, StartKind kind,
                 const SpawnTiming& timing) override;
    void crashed(ProcessId pid, u32 trap_code, Nanos now) override;
    bool may_restart(ProcessId pid, Nanos now) override;
    void delivered(ProcessId pid, u64 seq, Nanos sent, Nanos now) override;
    void handled(ProcessId pid, u64 seq, Nanos taken, u64 fuel, Nanos now) override;
    void refused(ProcessId pid, const Error& error, Nanos now) override;
    void audit_written(ProcessId pid, Nanos began, Nanos appending, Nanos written) override;
    // K-60: the process's region is quarantined (its replicas disagreed twice).
    void lockstep_quarantined(ProcessId pid, Nanos now) override;

  private:
    struct Region {
        std::unique_ptr<QuarantineGateway> gateway;
        std::string name;
    };
    Result<RegionId> add_locked(RegionKind kind, std::string name);
    Region* find_locked(RegionId region);
    // Submits the event and serves that region's gateway now (the kernel's own events).
    void submit_and_serve_locked(RegionId region, GatewayEvent event);
    std::size_t serve_locked(Region& region);
    void fault_locked(ProcessId pid, FaultKind kind, i64 code, Nanos now);

    KernelGuardConfig m_config;
    const protocol::Clock& m_clock;
    SafetySink& m_sink;
    observe::MetricsRegistry& m_metrics;
    mutable std::mutex m_mutex;
    RegionTree m_tree;
    LimitGuard m_limits;
    KernelRealtime m_realtime;
    std::map<RegionId, Region> m_regions;
    std::map<ProcessId, RegionId> m_process_regions;
};

}  // namespace esta::kernel
