#include "kernel/guardrails/gateway_dispatch.h"

namespace esta::kernel {

namespace {

Result<void> apply(const GatewayEvent& event, RegionTree& tree) {
    switch (event.kind) {
        case GatewayEventKind::Fault: {
            ESTA_TRY(tree.record_fault(event.source, event.fault, event.code));
            return Ok();
        }
        case GatewayEventKind::QuarantineRequest:
            return tree.quarantine(event.source);
        case GatewayEventKind::Escalation: {
            RegionId parent = ESTA_TRY(tree.parent(event.source));
            ESTA_TRY(tree.record_fault(parent, FaultKind::Escalation, event.source.value()));
            return Ok();
        }
        case GatewayEventKind::RecoveryComplete:
            return tree.recover(event.source);
        case GatewayEventKind::RestartRequest:
        case GatewayEventKind::HealthCheck:
            return Ok();
    }
    return Err(Status::Internal, "gateway.serve: event kind");
}

}  // namespace

std::vector<ServedEvent> serve_gateway(QuarantineGateway& gateway, RegionTree& tree,
                                       u32 max_events) {
    std::vector<ServedEvent> served;
    for (u32 i = 0; i < max_events; ++i) {
        auto next = gateway.next();
        if (!next) break;
        Result<void> outcome = apply(*next, tree);
        served.push_back(ServedEvent{*next, outcome});
    }
    return served;
}

}  // namespace esta::kernel
