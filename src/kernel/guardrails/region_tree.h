// RegionTree (REQUIREMENTS K-40): the fault containment regions of one kernel — the kernel
// region at the root, one region per driver and per application module below it (a module
// may also sit below the driver or supervisor region that owns it) — and escalation along
// the tree: a region that stays quarantined past its recovery window escalates, which is
// recorded as a fault of kind Escalation in its parent, so the parent's own containment
// decides (enough escalations quarantine the parent in turn). The root has no parent: its
// escalation is an alarm for the operator.
//
// Every transition is counted in the metrics registry and reported to the SafetySink.
// Time comes from the injected clock. Not thread-safe: the kernel calls it from the thread
// that owns the regions (or under its lock).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/strong_id.h"
#include "kernel/guardrails/fault_region.h"
#include "kernel/guardrails/safety_sink.h"
#include "observe/metrics.h"
#include "protocol/clock.h"

namespace esta::kernel {

struct RegionIdTag {};
using RegionId = StrongId<RegionIdTag, u32>;

enum class RegionKind : u8 { Kernel, Driver, Application };
std::string_view region_kind_name(RegionKind kind);

class RegionTree {
  public:
    // Creates the kernel region (id 0). All borrowed objects must outlive the tree.
    RegionTree(RegionConfig defaults, const protocol::Clock& clock,
               observe::MetricsRegistry& metrics, SafetySink& sink);
    ~RegionTree();
    RegionTree(const RegionTree&) = delete;
    RegionTree& operator=(const RegionTree&) = delete;

    RegionId kernel() const { return RegionId{0}; }

    // Adds a region below `parent`. Errors: NotFound for an unknown parent; Invalid for an
    // empty or duplicate name (names label metrics, so they must be unique).
    Result<RegionId> add(RegionKind kind, std::string name, RegionId parent);
    Result<RegionId> add(RegionKind kind, std::string name, RegionId parent, RegionConfig config);

    // Records a fault now. Returns the region's state afterwards. NotFound for a bad id.
    Result<RegionState> record_fault(RegionId id, FaultKind kind, i64 code = 0);
    // Quarantines now (manual or security decision).
    Result<void> quarantine(RegionId id);
    // Quarantined -> Healthy within the recovery window (FaultRegion::recover's errors).
    Result<void> recover(RegionId id);
    // The parent's decision about an escalated child: restart it clean (Healthy). Invalid
    // unless the child is Escalated.
    Result<void> reset(RegionId id);
    // Applies time-driven transitions to every region and escalates regions whose recovery
    // window has passed. Regions are visited in id order, so the outcome is deterministic.
    void tick();

    Result<RegionState> state(RegionId id) const;
    Result<RegionId> parent(RegionId id) const;  // NotFound for the root.
    std::vector<RegionId> children(RegionId id) const;
    const FaultRegion* region(RegionId id) const;  // nullptr for a bad id.
    std::string_view name(RegionId id) const;      // "" for a bad id.
    std::size_t size() const { return m_nodes.size(); }

  private:
    struct Node;
    Node* find(RegionId id);
    const Node* find(RegionId id) const;
    // Publishes a transition (metrics and sink) if the state changed from `before`.
    void after_change(Node& node, RegionState before, Nanos now);
    void escalate(Node& node, Nanos now);

    RegionConfig m_defaults;
    const protocol::Clock& m_clock;
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
    std::map<RegionId, std::unique_ptr<Node>> m_nodes;
};

}  // namespace esta::kernel
