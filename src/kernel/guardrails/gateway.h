// QuarantineGateway (REQUIREMENTS K-41): the one way a region's faults and requests reach
// the kernel. Bounded (1000 pending by default): when full it pushes back — submit() fails
// with Limit and the gateway stays paused until the backlog drains to `resume_at` — so a
// faulting region cannot flood the kernel. Events are served by kind, Escalation >
// QuarantineRequest > Fault > RestartRequest > RecoveryComplete > HealthCheck, and FIFO
// within a kind (the prototype served ties newest-first; K-41 fixes that).
//
// Cost: submit and next are O(1) (one deque per kind). Not thread-safe.
#pragma once

#include <array>
#include <deque>
#include <string>
#include <string_view>

#include "base/result.h"
#include "kernel/guardrails/region_tree.h"
#include "kernel/guardrails/safety_sink.h"
#include "observe/metrics.h"

namespace esta::kernel {

// In serving order: a lower value is served first.
enum class GatewayEventKind : u8 {
    Escalation,
    QuarantineRequest,
    Fault,
    RestartRequest,
    RecoveryComplete,
    HealthCheck
};
inline constexpr std::size_t kGatewayEventKinds = 6;
std::string_view gateway_event_kind_name(GatewayEventKind kind);

struct GatewayEvent {
    GatewayEventKind kind = GatewayEventKind::Fault;
    RegionId source;
    Nanos at = 0;
    FaultKind fault = FaultKind::Unknown;  // For Fault events.
    i64 code = 0;                          // Trap code, attempt number, escalation level...
    u64 sequence = 0;                      // Assigned by submit(): the global arrival order.
};

struct GatewayConfig {
    u32 max_pending = 1000;  // K-41.
    // Accept again once the backlog is at or below this (hysteresis, so a full gateway does
    // not flip between paused and open on every event). Defaults to three quarters of max.
    u32 resume_at = 750;
};

enum class GatewayState : u8 { Open, Paused, Closed };

class QuarantineGateway {
  public:
    // `name` labels the metrics ("driver.kafka->kernel").
    QuarantineGateway(std::string name, RegionId source, GatewayConfig config,
                      observe::MetricsRegistry& metrics, SafetySink& sink);

    // Queues `event`. Errors: Limit when the gateway is full or paused (backpressure: the
    // event is not queued and the caller keeps it), with the pending count and the maximum;
    // ShuttingDown when closed; Invalid when the event's source is not this gateway's region.
    Result<void> submit(GatewayEvent event);
    // The next event to serve, by kind priority then arrival; Empty when none.
    // Draining may reopen a paused gateway.
    Result<GatewayEvent> next();
    // Stops accepting; pending events can still be drained.
    void close() { m_state = GatewayState::Closed; }

    GatewayState state() const { return m_state; }
    u32 pending() const { return m_pending; }
    u32 pending(GatewayEventKind kind) const;
    RegionId source() const { return m_source; }

  private:
    std::string m_name;
    RegionId m_source;
    GatewayConfig m_config;
    SafetySink& m_sink;
    observe::Gauge& m_pending_gauge;
    observe::Counter& m_refused;
    GatewayState m_state = GatewayState::Open;
    std::array<std::deque<GatewayEvent>, kGatewayEventKinds> m_queues;
    u32 m_pending = 0;
    u64 m_next_sequence = 0;
};

}  // namespace esta::kernel
