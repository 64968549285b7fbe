// Serving a quarantine gateway (REQUIREMENTS K-40, K-41): the kernel's side of the door.
// Each served event becomes a decision on the region tree, so a region's faults reach the
// kernel only through its gateway, in the gateway's priority order:
//   Fault             -> RegionTree::record_fault(source, fault, code)
//   QuarantineRequest -> RegionTree::quarantine(source)
//   Escalation        -> a fault of kind Escalation in the source's parent (the parent decides)
//   RecoveryComplete  -> RegionTree::recover(source) (refused past the recovery window)
//   RestartRequest, HealthCheck -> no region change here; returned for the supervisor
// Serving is bounded by `max_events` per call, so one noisy region cannot hold the kernel.
#pragma once

#include <vector>

#include "kernel/guardrails/gateway.h"
#include "kernel/guardrails/region_tree.h"

namespace esta::kernel {

struct ServedEvent {
    GatewayEvent event;
    Result<void> outcome;  // The region tree's answer (recover past the window: Timeout).
};

// Serves up to `max_events` events from `gateway` onto `tree`, in gateway order.
std::vector<ServedEvent> serve_gateway(QuarantineGateway& gateway, RegionTree& tree,
                                       u32 max_events);

}  // namespace esta::kernel
