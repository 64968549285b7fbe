#include "kernel/guardrails/gateway.h"

namespace esta::kernel {

ESTA_GAUGE(kGatewayPending, "kernel.gateway_pending", "Events waiting in a quarantine gateway.",
           "gateway");
ESTA_COUNTER(kGatewayRefused, "kernel.gateway_refused",
             "Events refused by a full or paused quarantine gateway (backpressure).", "gateway");

std::string_view gateway_event_kind_name(GatewayEventKind kind) {
    switch (kind) {
        case GatewayEventKind::Escalation:
            return "escalation";
        case GatewayEventKind::QuarantineRequest:
            return "quarantine_request";
        case GatewayEventKind::Fault:
            return "fault";
        case GatewayEventKind::RestartRequest:
            return "restart_request";
        case GatewayEventKind::RecoveryComplete:
            return "recovery_complete";
        case GatewayEventKind::HealthCheck:
            return "health_check";
    }
    return "unknown";
}

QuarantineGateway::QuarantineGateway(std::string name, RegionId source, GatewayConfig config,
                                     observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_name(std::move(name)),
      m_source(source),
      m_config(config),
      m_sink(sink),
      m_pending_gauge(metrics.gauge(kGatewayPending, {m_name})),
      m_refused(metrics.counter(kGatewayRefused, {m_name})) {
    if (m_config.resume_at >= m_config.max_pending) {
        m_config.resume_at = m_config.max_pending == 0 ? 0 : m_config.max_pending - 1;
    }
}

Result<void> QuarantineGateway::submit(GatewayEvent event) {
    if (m_state == GatewayState::Closed) return Err(Status::ShuttingDown, "gateway.submit");
    if (event.source != m_source) return Err(Status::Invalid, "gateway.submit: source");
    if (m_state == GatewayState::Open && m_pending >= m_config.max_pending) {
        m_state = GatewayState::Paused;
        m_sink.report(SafetyEvent{.event = "gateway.backpressure",
                                  .subject = m_name,
                                  .detail = "refusing",
                                  .severity = SafetySeverity::Warning,
                                  .actual = m_pending,
                                  .limit = m_config.max_pending,
                                  .at = event.at});
    }
    if (m_state == GatewayState::Paused) {
        m_refused.inc();
        return Err(Status::Limit, "gateway.submit: backpressure",
                   Detail{.limit = m_config.max_pending, .actual = m_pending});
    }
    event.sequence = m_next_sequence++;
    m_queues[static_cast<std::size_t>(event.kind)].push_back(event);
    ++m_pending;
    m_pending_gauge.set(m_pending);
    return Ok();
}

Result<GatewayEvent> QuarantineGateway::next() {
    for (auto& queue : m_queues) {
        if (queue.empty()) continue;
        GatewayEvent event = queue.front();
        queue.pop_front();
        --m_pending;
        m_pending_gauge.set(m_pending);
        if (m_state == GatewayState::Paused && m_pending <= m_config.resume_at) {
            m_state = GatewayState::Open;
        }
        return event;
    }
    return Err(Status::Empty, "gateway.next");
}

u32 QuarantineGateway::pending(GatewayEventKind kind) const {
    return static_cast<u32>(m_queues[static_cast<std::size_t>(kind)].size());
}

}  // namespace esta::kernel
