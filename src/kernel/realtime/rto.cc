#include "kernel/realtime/rto.h"

#include <algorithm>

namespace esta::kernel {

ESTA_HISTOGRAM(kRtoDuration, "kernel.recovery_seconds", "Recovery durations by kind (K-52).",
               ::esta::observe::kLatencyBuckets, "kind");
ESTA_GAUGE(kRtoP50, "kernel.recovery_p50_seconds", "p50 recovery time by kind (K-52).", "kind");
ESTA_GAUGE(kRtoP99, "kernel.recovery_p99_seconds", "p99 recovery time by kind (K-52).", "kind");
ESTA_COUNTER(kRtoLevels, "kernel.recovery_rto_levels",
             "Recoveries that reached warning, violated or hard_limit_exceeded.", "kind", "level");
ESTA_COUNTER(kRecoveries, "kernel.recoveries", "Completed recoveries by kind and result.", "kind",
             "result");

namespace {
constexpr Nanos kMs = kNanosPerMilli;
constexpr u8 bits(std::initializer_list<RtoAction> actions) {
    u8 result = 0;
    for (RtoAction action : actions)
        result |= static_cast<u8>(action);
    return result;
}
constexpr RtoAction kAllActions[] = {RtoAction::Log, RtoAction::Alert, RtoAction::Escalate,
                                     RtoAction::RetryExtended};
}  // namespace

std::string_view recovery_kind_name(RecoveryKind kind) {
    switch (kind) {
        case RecoveryKind::Trap:
            return "trap";
        case RecoveryKind::Restart:
            return "restart";
        case RecoveryKind::DriverReconnect:
            return "driver_reconnect";
        case RecoveryKind::Failover:
            return "failover";
        case RecoveryKind::ModuleReload:
            return "module_reload";
        case RecoveryKind::Supervisor:
            return "supervisor";
    }
    return "unknown";
}

std::string_view rto_action_name(RtoAction action) {
    switch (action) {
        case RtoAction::Log:
            return "log";
        case RtoAction::Alert:
            return "alert";
        case RtoAction::Escalate:
            return "escalate";
        case RtoAction::RetryExtended:
            return "retry_extended";
    }
    return "unknown";
}

std::string_view rto_level_name(RtoLevel level) {
    switch (level) {
        case RtoLevel::OnTrack:
            return "on_track";
        case RtoLevel::Warning:
            return "warning";
        case RtoLevel::Violated:
            return "violated";
        case RtoLevel::HardLimitExceeded:
            return "hard_limit_exceeded";
    }
    return "unknown";
}

RtoSpec default_rto_spec(RecoveryKind kind) {
    using enum RtoAction;
    switch (kind) {
        case RecoveryKind::Trap:
            return {100 * kMs, 500 * kMs, 80, bits({Log, Alert})};
        case RecoveryKind::Restart:
            return {1000 * kMs, 5000 * kMs, 80, bits({Log, Alert, Escalate})};
        case RecoveryKind::DriverReconnect:
            return {5000 * kMs, 30000 * kMs, 80, bits({Log, Alert, RetryExtended})};
        case RecoveryKind::Failover:
            return {5000 * kMs, 15000 * kMs, 80, bits({Log, Alert, Escalate})};
        case RecoveryKind::ModuleReload:
            return {2000 * kMs, 10000 * kMs, 80, bits({Log, Alert})};
        case RecoveryKind::Supervisor:
            return {10000 * kMs, 60000 * kMs, 80, bits({Log, Alert, Escalate})};
    }
    return {};
}

RtoConfig::RtoConfig() {
    for (std::size_t i = 0; i < kRecoveryKinds; ++i) {
        specs[i] = default_rto_spec(static_cast<RecoveryKind>(i));
    }
}

RtoLevel classify_rto(const RtoSpec& spec, Nanos elapsed) {
    if (elapsed > spec.hard_limit) return RtoLevel::HardLimitExceeded;
    if (elapsed > spec.target) return RtoLevel::Violated;
    if (elapsed > spec.warn_at()) return RtoLevel::Warning;
    return RtoLevel::OnTrack;
}

RtoTracker::RtoTracker(RtoConfig config, observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_config(config), m_metrics(metrics), m_sink(sink) {}

Result<void> RtoTracker::start(RecoveryId id, RecoveryKind kind, Nanos now) {
    if (m_active.contains(id)) return Err(Status::Invalid, "rto.start: duplicate id");
    m_active.emplace(id, Active{kind, now});
    return Ok();
}

void RtoTracker::raise(Active& active, RtoLevel level, Nanos elapsed, Nanos now) {
    const RtoSpec& spec = m_config.spec(active.kind);
    std::string_view kind = recovery_kind_name(active.kind);
    // Walk up one level at a time so a recovery that jumps straight past the hard limit
    // still gets the warning and the target's actions.
    while (active.reported < level) {
        active.reported = static_cast<RtoLevel>(static_cast<u8>(active.reported) + 1);
        m_metrics.counter(kRtoLevels, {kind, rto_level_name(active.reported)}).inc();
        SafetyEvent event{.event = "rto.warning",
                          .subject = kind,
                          .detail = "",
                          .severity = SafetySeverity::Warning,
                          .actual = elapsed,
                          .limit = spec.warn_at(),
                          .at = now};
        switch (active.reported) {
            case RtoLevel::OnTrack:
                break;
            case RtoLevel::Warning:
                m_sink.report(event);
                break;
            case RtoLevel::Violated:
                event.event = "rto.violated";
                event.limit = spec.target;
                for (RtoAction action : kAllActions) {
                    if (!spec.has(action)) continue;
                    event.detail = rto_action_name(action);
                    event.severity =
                        action == RtoAction::Log ? SafetySeverity::Warning : SafetySeverity::Alarm;
                    m_sink.report(event);
                }
                break;
            case RtoLevel::HardLimitExceeded:
                event.event = "rto.hard_limit";
                event.detail = rto_action_name(RtoAction::Escalate);
                event.severity = SafetySeverity::Alarm;
                event.limit = spec.hard_limit;
                m_sink.report(event);
                break;
        }
    }
}

Result<RtoOutcome> RtoTracker::complete(RecoveryId id, bool success, Nanos now) {
    auto it = m_active.find(id);
    if (it == m_active.end()) return Err(Status::NotFound, "rto.complete");
    Active& active = it->second;
    RtoOutcome outcome{now - active.started, RtoLevel::OnTrack};
    outcome.level = classify_rto(m_config.spec(active.kind), outcome.duration);
    raise(active, outcome.level, outcome.duration, now);

    std::string_view kind = recovery_kind_name(active.kind);
    m_metrics.counter(kRecoveries, {kind, success ? "success" : "failure"}).inc();
    m_metrics.histogram(kRtoDuration, {kind})
        .observe(static_cast<f64>(outcome.duration) / protocol::kNanosPerSecond);
    auto& durations = m_durations[static_cast<std::size_t>(active.kind)];
    if (m_config.history > 0) {
        if (durations.size() >= m_config.history) durations.pop_front();
        durations.push_back(outcome.duration);
    }
    RtoPercentiles p = percentiles(active.kind);
    m_metrics.gauge(kRtoP50, {kind}).set(static_cast<f64>(p.p50) / protocol::kNanosPerSecond);
    m_metrics.gauge(kRtoP99, {kind}).set(static_cast<f64>(p.p99) / protocol::kNanosPerSecond);
    m_active.erase(it);
    return outcome;
}

std::vector<RtoCheck> RtoTracker::check(Nanos now) {
    std::vector<RtoCheck> checks;
    checks.reserve(m_active.size());
    for (auto& [id, active] : m_active) {
        Nanos elapsed = now - active.started;
        RtoLevel level = classify_rto(m_config.spec(active.kind), elapsed);
        raise(active, level, elapsed, now);
        checks.push_back(RtoCheck{id, active.kind, elapsed, level});
    }
    return checks;
}

RtoPercentiles RtoTracker::percentiles(RecoveryKind kind) const {
    const auto& durations = m_durations[static_cast<std::size_t>(kind)];
    RtoPercentiles result;
    if (durations.empty()) return result;
    std::vector<Nanos> sorted(durations.begin(), durations.end());
    std::sort(sorted.begin(), sorted.end());
    auto n = static_cast<u64>(sorted.size());
    // Nearest rank, as for jitter: the ceil(p·n/100)-th smallest.
    auto at = [&](u64 percent) { return sorted[(percent * n + 99) / 100 - 1]; };
    result.count = static_cast<u32>(n);
    result.p50 = at(50);
    result.p99 = at(99);
    result.worst = sorted.back();
    return result;
}

}  // namespace esta::kernel
