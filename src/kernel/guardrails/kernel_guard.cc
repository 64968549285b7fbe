#include "kernel/guardrails/kernel_guard.h"

#include "kernel/guardrails/gateway_dispatch.h"

namespace esta::kernel {

ESTA_GAUGE(kDriverConnections, "kernel.driver_connections",
           "Connections each driver region holds (K-42: 100, then warn).", "region");

namespace {

i64 detail_number(u64 value) {
    return value == Detail::kUnset ? 0 : static_cast<i64>(value);
}

// The limit a refused request ran into, with its numbers (the mailbox's own check made it).
LimitDecision decision_of(const Error& error) {
    LimitKind kind = LimitKind::QueueDepth;
    if (error.code == Status::PayloadTooLarge) kind = LimitKind::Payload;
    if (error.code == Status::MailboxFull) kind = LimitKind::Mailbox;
    return LimitDecision{kind, LimitAction::FailImmediately, detail_number(error.detail.actual),
                         detail_number(error.detail.limit)};
}

}  // namespace

KernelGuard::KernelGuard(KernelGuardConfig config, const protocol::Clock& clock,
                         observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_config(std::move(config)),
      m_clock(clock),
      m_sink(sink),
      m_metrics(metrics),
      m_tree(m_config.regions, clock, metrics, sink),
      m_limits(metrics, sink),
      m_realtime(m_config.realtime, metrics, sink) {
    Region kernel;
    kernel.name = "kernel";
    kernel.gateway = std::make_unique<QuarantineGateway>("kernel->kernel", m_tree.kernel(),
                                                         m_config.gateway, metrics, sink);
    m_regions.emplace(m_tree.kernel(), std::move(kernel));
}

KernelGuard::~KernelGuard() = default;

Result<RegionId> KernelGuard::add_locked(RegionKind kind, std::string name) {
    RegionId id = ESTA_TRY(m_tree.add(kind, name, m_tree.kernel()));
    Region region;
    region.gateway = std::make_unique<QuarantineGateway>(name + "->kernel", id, m_config.gateway,
                                                         m_metrics, m_sink);
    region.name = std::move(name);
    m_regions.emplace(id, std::move(region));
    return id;
}

KernelGuard::Region* KernelGuard::find_locked(RegionId region) {
    auto it = m_regions.find(region);
    return it == m_regions.end() ? nullptr : &it->second;
}

Result<RegionId> KernelGuard::add_driver(std::string name) {
    std::lock_guard<std::mutex> lock(m_mutex);
    return add_locked(RegionKind::Driver, "driver." + name);
}

Result<void> KernelGuard::driver_fault(RegionId region, FaultKind kind, i64 code) {
    std::lock_guard<std::mutex> lock(m_mutex);
    Region* found = find_locked(region);
    if (found == nullptr) return Err(Status::NotFound, "guard.driver_fault: region");
    return found->gateway->submit(GatewayEvent{.kind = GatewayEventKind::Fault,
                                               .source = region,
                                               .at = m_clock.now_ns(),
                                               .fault = kind,
                                               .code = code});
}

LimitDecision KernelGuard::driver_connections(RegionId region, u64 held) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string_view name = m_tree.name(region);
    m_metrics.gauge(kDriverConnections, {name}).set(static_cast<f64>(held));
    return m_limits.enforce(check_driver_connections(m_config.spatial, held), name,
                            m_clock.now_ns());
}

Result<void> KernelGuard::request_quarantine(RegionId region) {
    std::lock_guard<std::mutex> lock(m_mutex);
    Region* found = find_locked(region);
    if (found == nullptr) return Err(Status::NotFound, "guard.quarantine: region");
    return found->gateway->submit(GatewayEvent{
        .kind = GatewayEventKind::QuarantineRequest, .source = region, .at = m_clock.now_ns()});
}

Result<void> KernelGuard::recover(RegionId region) {
    std::lock_guard<std::mutex> lock(m_mutex);
    Region* found = find_locked(region);
    if (found == nullptr) return Err(Status::NotFound, "guard.recover: region");
    serve_locked(*found);  // Faults queued before the recovery count first.
    ESTA_TRY(found->gateway->submit(GatewayEvent{
        .kind = GatewayEventKind::RecoveryComplete, .source = region, .at = m_clock.now_ns()}));
    auto served = serve_gateway(*found->gateway, m_tree, m_config.serve_per_call);
    for (const ServedEvent& event : served) {
        if (event.event.kind == GatewayEventKind::RecoveryComplete) return event.outcome;
    }
    return Err(Status::Internal, "guard.recover: not served");
}

std::size_t KernelGuard::serve_locked(Region& region) {
    return serve_gateway(*region.gateway, m_tree, m_config.serve_per_call).size();
}

std::size_t KernelGuard::serve() {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::size_t served = 0;
    for (auto& entry : m_regions)
        served += serve_locked(entry.second);
    m_tree.tick();
    m_realtime.tick(m_clock.now_ns());
    return served;
}

Result<RegionState> KernelGuard::state(RegionId region) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_tree.state(region);
}

std::optional<RegionId> KernelGuard::region_of(ProcessId pid) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_process_regions.find(pid);
    if (it == m_process_regions.end()) return std::nullopt;
    return it->second;
}

std::optional<RegionId> KernelGuard::find(std::string_view name) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& entry : m_regions) {
        if (entry.second.name == name) return entry.first;
    }
    return std::nullopt;
}

u32 KernelGuard::pending(RegionId region) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_regions.find(region);
    return it == m_regions.end() ? 0 : it->second.gateway->pending();
}

std::vector<KernelGuard::Reading> KernelGuard::regions() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<Reading> readings;
    for (const auto& entry : m_regions) {
        auto state = m_tree.state(entry.first);
        readings.push_back(Reading{entry.second.name, state ? *state : RegionState::Healthy});
    }
    return readings;
}

void KernelGuard::submit_and_serve_locked(RegionId region, GatewayEvent event) {
    Region* found = find_locked(region);
    if (found == nullptr) return;
    auto submitted = found->gateway->submit(event);
    // Under backpressure the kernel's own event is applied directly: the kernel is the
    // gateway's server, and a crash it saw must count.
    if (!submitted && event.kind == GatewayEventKind::Fault)
        (void)m_tree.record_fault(region, event.fault, event.code);
    serve_locked(*found);
}

void KernelGuard::fault_locked(ProcessId pid, FaultKind kind, i64 code, Nanos now) {
    auto it = m_process_regions.find(pid);
    if (it == m_process_regions.end()) return;
    submit_and_serve_locked(it->second, GatewayEvent{.kind = GatewayEventKind::Fault,
                                                     .source = it->second,
                                                     .at = now,
                                                     .fault = kind,
                                                     .code = code});
}

void KernelGuard::started(ProcessId pid, std::string_view name, StartKind kind,
                          const SpawnTiming& timing) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_process_regions.contains(pid)) {
        std::string region_name =
            name.empty() ? "process." + std::to_string(pid.value()) : std::string(name);
        std::optional<RegionId> region;
        for (const auto& entry : m_regions) {
            if (entry.second.name == region_name) region = entry.first;
        }
        if (!region) {
            auto added = add_locked(RegionKind::Application, std::move(region_name));
            if (added) region = *added;
        }
        if (region) m_process_regions.emplace(pid, *region);
    }
    (void)m_realtime.spawn(timing);
    if (kind == StartKind::Restart) {
        (void)m_realtime.recovery_completed(pid, RecoveryKind::Trap, true, timing.scheduled);
        (void)m_realtime.recovery_completed(pid, RecoveryKind::Restart, true, timing.scheduled);
    }
}

void KernelGuard::crashed(ProcessId pid, u32 trap_code, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    fault_locked(pid, FaultKind::Trap, trap_code, now);
    if (trap_code != 0) m_realtime.recovery_started(pid, RecoveryKind::Trap, now);
    m_realtime.recovery_started(pid, RecoveryKind::Restart, now);
}

bool KernelGuard::may_restart(ProcessId pid, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_tree.tick();
    m_realtime.tick(now);
    auto it = m_process_regions.find(pid);
    if (it == m_process_regions.end()) return true;
    Region* region = find_locked(it->second);
    if (region != nullptr) serve_locked(*region);
    auto state = m_tree.state(it->second);
    return state && (*state == RegionState::Healthy || *state == RegionState::Degraded);
}

void KernelGuard::delivered(ProcessId pid, u64, Nanos sent, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    (void)m_realtime.delivery(sent, now);
    auto it = m_process_regions.find(pid);
    std::string_view subject = it == m_process_regions.end() ? "" : m_tree.name(it->second);
    (void)m_limits.enforce(check_delivery(m_config.temporal, sent, now), subject, now);
}

void KernelGuard::handled(ProcessId pid, u64, Nanos taken, u64 fuel, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_process_regions.find(pid);
    if (it == m_process_regions.end()) return;
    std::string_view subject = m_tree.name(it->second);
    // K-50's latency is a measurement of host time; the fault below is decided on fuel.
    if (m_config.decision_regions.contains(subject)) (void)m_realtime.decision(taken, now);
    LimitDecision operation =
        m_limits.enforce(check_operation(m_config.temporal, fuel), subject, now);
    if (operation.fails()) fault_locked(pid, FaultKind::Timeout, operation.actual, now);
}

void KernelGuard::refused(ProcessId pid, const Error& error, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_process_regions.find(pid);
    std::string_view subject = it == m_process_regions.end() ? "kernel" : m_tree.name(it->second);
    LimitDecision decision = m_limits.enforce(decision_of(error), subject, now);
    if (pid != kKernelProcess)
        fault_locked(pid, FaultKind::ResourceExhausted, decision.actual, now);
}

void KernelGuard::audit_written(ProcessId, Nanos began, Nanos appending, Nanos written) {
    std::lock_guard<std::mutex> lock(m_mutex);
    (void)m_realtime.audit(began, appending, written);
}

void KernelGuard::lockstep_quarantined(ProcessId pid, Nanos now) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_process_regions.find(pid);
    if (it == m_process_regions.end()) return;
    // The kernel is the caller: served at once, like a crash.
    submit_and_serve_locked(
        it->second,
        GatewayEvent{.kind = GatewayEventKind::QuarantineRequest, .source = it->second, .at = now});
}

}  // namespace esta::kernel
