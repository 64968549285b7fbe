#include "kernel/realtime/latency_budget.h"

namespace esta::kernel {

ESTA_HISTOGRAM(kOperationLatency, "kernel.operation_latency_seconds",
               "End-to-end latency of budgeted operations (K-50).",
               ::esta::observe::kLatencyBuckets, "operation");
ESTA_COUNTER(kBudgetOverruns, "kernel.latency_budget_overruns",
             "Latency budget overruns by operation and component (\"total\" for the whole).",
             "operation", "component");
ESTA_COUNTER(kBudgetOverrunNanos, "kernel.latency_budget_overrun_nanos",
             "Nanoseconds over budget, summed, by operation and component.", "operation",
             "component");

namespace {
constexpr Nanos kMicro = protocol::kNanosPerMicro;
}

std::string_view budget_component_name(BudgetComponent component) {
    switch (component) {
        case BudgetComponent::Serialization:
            return "serialization";
        case BudgetComponent::Transmission:
            return "transmission";
        case BudgetComponent::Deserialization:
            return "deserialization";
        case BudgetComponent::Processing:
            return "processing";
        case BudgetComponent::MemoryAlloc:
            return "memory_alloc";
        case BudgetComponent::DiskIo:
            return "disk_io";
        case BudgetComponent::Database:
            return "database";
        case BudgetComponent::ExternalService:
            return "external_service";
        case BudgetComponent::Scheduling:
            return "scheduling";
        case BudgetComponent::ContextSwitch:
            return "context_switch";
    }
    return "unknown";
}

BudgetSpec accrual_calculation_budget() {
    BudgetSpec spec{"accrual_calculation", 10'000 * kMicro, {}};
    spec.allocate(BudgetComponent::Deserialization, 500 * kMicro)
        .allocate(BudgetComponent::Processing, 5'000 * kMicro)
        .allocate(BudgetComponent::MemoryAlloc, 500 * kMicro)
        .allocate(BudgetComponent::Database, 3'000 * kMicro)
        .allocate(BudgetComponent::Serialization, 500 * kMicro)
        .allocate(BudgetComponent::Scheduling, 500 * kMicro);
    return spec;
}

BudgetSpec audit_write_budget() {
    BudgetSpec spec{"audit_write", 5'000 * kMicro, {}};
    spec.allocate(BudgetComponent::Serialization, 200 * kMicro)
        .allocate(BudgetComponent::DiskIo, 3'000 * kMicro)
        .allocate(BudgetComponent::MemoryAlloc, 200 * kMicro)
        .allocate(BudgetComponent::Scheduling, 100 * kMicro);
    return spec;
}

BudgetSpec message_passing_budget() {
    BudgetSpec spec{"message_passing", 2'000 * kMicro, {}};
    spec.allocate(BudgetComponent::Serialization, 200 * kMicro)
        .allocate(BudgetComponent::Transmission, 500 * kMicro)
        .allocate(BudgetComponent::Deserialization, 200 * kMicro)
        .allocate(BudgetComponent::Scheduling, 200 * kMicro)
        .allocate(BudgetComponent::ContextSwitch, 100 * kMicro);
    return spec;
}

BudgetSpec process_spawn_budget() {
    BudgetSpec spec{"process_spawn", 50'000 * kMicro, {}};
    spec.allocate(BudgetComponent::MemoryAlloc, 5'000 * kMicro)
        .allocate(BudgetComponent::Processing, 20'000 * kMicro)
        .allocate(BudgetComponent::Scheduling, 1'000 * kMicro)
        .allocate(BudgetComponent::DiskIo, 20'000 * kMicro);
    return spec;
}

std::optional<BudgetOverrun> LatencyBudget::charge(BudgetComponent component, Nanos spent) {
    auto index = static_cast<std::size_t>(component);
    m_consumed += spent;
    m_component_consumed[index] += spent;
    if (m_consumed > m_spec->total) {
        return BudgetOverrun{std::nullopt, m_consumed, m_spec->total};
    }
    Nanos allocated = m_spec->allocation[index];
    if (allocated > 0 && m_component_consumed[index] > allocated) {
        return BudgetOverrun{component, m_component_consumed[index], allocated};
    }
    return std::nullopt;
}

std::vector<BudgetOverrun> LatencyBudget::overruns() const {
    std::vector<BudgetOverrun> result;
    for (std::size_t i = 0; i < kBudgetComponents; ++i) {
        Nanos allocated = m_spec->allocation[i];
        if (allocated > 0 && m_component_consumed[i] > allocated) {
            result.push_back(
                BudgetOverrun{static_cast<BudgetComponent>(i), m_component_consumed[i], allocated});
        }
    }
    if (m_consumed > m_spec->total) {
        result.push_back(BudgetOverrun{std::nullopt, m_consumed, m_spec->total});
    }
    return result;
}

LatencyAccounting::LatencyAccounting(BudgetSpec spec, observe::MetricsRegistry& metrics,
                                     SafetySink& sink)
    : m_spec(std::move(spec)),
      m_metrics(metrics),
      m_sink(sink),
      m_latency(metrics.histogram(kOperationLatency, {m_spec.operation})),
      m_total_overruns(metrics.counter(kBudgetOverruns, {m_spec.operation, "total"})) {}

std::size_t LatencyAccounting::finish(const LatencyBudget& budget, Nanos now) {
    m_latency.observe(static_cast<f64>(budget.consumed()) / protocol::kNanosPerSecond);
    if (budget.consumed() <= m_spec.total) {
        // Within the total: look for a component overrun without allocating, since this is
        // the common case on the hot path.
        bool any = false;
        for (std::size_t i = 0; i < kBudgetComponents && !any; ++i) {
            any = m_spec.allocation[i] > 0 &&
                  budget.consumed(static_cast<BudgetComponent>(i)) > m_spec.allocation[i];
        }
        if (!any) return 0;
    }
    std::vector<BudgetOverrun> overruns = budget.overruns();
    for (const BudgetOverrun& overrun : overruns) {
        std::string_view component =
            overrun.component ? budget_component_name(*overrun.component) : "total";
        if (overrun.component) {
            m_metrics.counter(kBudgetOverruns, {m_spec.operation, component}).inc();
        } else {
            m_total_overruns.inc();
        }
        m_metrics.counter(kBudgetOverrunNanos, {m_spec.operation, component})
            .inc(static_cast<u64>(overrun.overrun()));
        m_sink.report(SafetyEvent{
            .event = overrun.component ? "latency.component_overrun" : "latency.total_overrun",
            .subject = m_spec.operation,
            .detail = component,
            .severity = SafetySeverity::Warning,
            .actual = overrun.consumed,
            .limit = overrun.budget,
            .at = now});
    }
    return overruns.size();
}

std::optional<BudgetOverrun> BudgetStopwatch::lap(BudgetComponent component) {
    Nanos now = m_clock.now_ns();
    Nanos spent = now - m_last;
    m_last = now;
    return m_budget.charge(component, spent);
}

}  // namespace esta::kernel
