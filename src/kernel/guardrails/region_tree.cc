#include "kernel/guardrails/region_tree.h"

namespace esta::kernel {

ESTA_GAUGE(kRegionState, "kernel.region_state",
           "Fault containment region state: 0 healthy, 1 degraded, 2 quarantined, 3 escalated.",
           "region");
ESTA_COUNTER(kRegionFaults, "kernel.region_faults", "Faults recorded per region and kind.",
             "region", "kind");
ESTA_COUNTER(kRegionTransitions, "kernel.region_transitions",
             "Region state changes by the state entered.", "region", "state");

std::string_view region_kind_name(RegionKind kind) {
    switch (kind) {
        case RegionKind::Kernel:
            return "kernel";
        case RegionKind::Driver:
            return "driver";
        case RegionKind::Application:
            return "application";
    }
    return "unknown";
}

struct RegionTree::Node {
    Node(RegionId id_, RegionKind kind_, std::string name_, std::optional<RegionId> parent_,
         RegionConfig config, Nanos now)
        : id(id_), kind(kind_), name(std::move(name_)), parent(parent_), region(config, now) {}
    RegionId id;
    RegionKind kind;
    std::string name;
    std::optional<RegionId> parent;
    std::vector<RegionId> children;
    FaultRegion region;
};

RegionTree::RegionTree(RegionConfig defaults, const protocol::Clock& clock,
                       observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_defaults(defaults), m_clock(clock), m_metrics(metrics), m_sink(sink) {
    auto root = std::make_unique<Node>(RegionId{0}, RegionKind::Kernel, "kernel", std::nullopt,
                                       defaults, clock.now_ns());
    m_metrics.gauge(kRegionState, {root->name}).set(0);
    m_nodes.emplace(RegionId{0}, std::move(root));
}

RegionTree::~RegionTree() = default;

RegionTree::Node* RegionTree::find(RegionId id) {
    auto it = m_nodes.find(id);
    return it == m_nodes.end() ? nullptr : it->second.get();
}

const RegionTree::Node* RegionTree::find(RegionId id) const {
    auto it = m_nodes.find(id);
    return it == m_nodes.end() ? nullptr : it->second.get();
}

Result<RegionId> RegionTree::add(RegionKind kind, std::string name, RegionId parent) {
    return add(kind, std::move(name), parent, m_defaults);
}

Result<RegionId> RegionTree::add(RegionKind kind, std::string name, RegionId parent,
                                 RegionConfig config) {
    Node* parent_node = find(parent);
    if (parent_node == nullptr) return Err(Status::NotFound, "regions.add: parent");
    if (name.empty()) return Err(Status::Invalid, "regions.add: empty name");
    for (const auto& [id, node] : m_nodes) {
        if (node->name == name) return Err(Status::Invalid, "regions.add: duplicate name");
    }
    RegionId id{static_cast<u32>(m_nodes.rbegin()->first.value() + 1)};
    auto node = std::make_unique<Node>(id, kind, std::move(name), parent, config, m_clock.now_ns());
    m_metrics.gauge(kRegionState, {node->name}).set(0);
    parent_node->children.push_back(id);
    m_nodes.emplace(id, std::move(node));
    return id;
}

void RegionTree::after_change(Node& node, RegionState before, Nanos now) {
    RegionState after = node.region.state();
    if (after == before) return;
    m_metrics.gauge(kRegionState, {node.name}).set(static_cast<f64>(after));
    m_metrics.counter(kRegionTransitions, {node.name, region_state_name(after)}).inc();
    SafetyEvent event{.event = "region.state",
                      .subject = node.name,
                      .detail = region_kind_name(node.kind),
                      .severity = SafetySeverity::Info,
                      .actual = node.region.recent_faults(now),
                      .limit = node.region.config().quarantine_threshold,
                      .at = now};
    switch (after) {
        case RegionState::Healthy:
            event.event = "region.healthy";
            break;
        case RegionState::Degraded:
            event.event = "region.degraded";
            event.severity = SafetySeverity::Warning;
            break;
        case RegionState::Quarantined:
            event.event = "region.quarantined";
            event.severity = SafetySeverity::Audit;
            break;
        case RegionState::Escalated:
            event.event = "region.escalated";
            event.severity = SafetySeverity::Alarm;
            event.actual = now - node.region.quarantined_at();
            event.limit = node.region.config().recovery_window;
            break;
    }
    m_sink.report(event);
}

Result<RegionState> RegionTree::record_fault(RegionId id, FaultKind kind, i64 code) {
    Node* node = find(id);
    if (node == nullptr) return Err(Status::NotFound, "regions.record_fault");
    Nanos now = m_clock.now_ns();
    RegionState before = node->region.state();
    m_metrics.counter(kRegionFaults, {node->name, fault_kind_name(kind)}).inc();
    node->region.record_fault(FaultRecord{now, kind, code});
    after_change(*node, before, now);
    return node->region.state();
}

Result<void> RegionTree::quarantine(RegionId id) {
    Node* node = find(id);
    if (node == nullptr) return Err(Status::NotFound, "regions.quarantine");
    Nanos now = m_clock.now_ns();
    RegionState before = node->region.state();
    node->region.quarantine(now);
    after_change(*node, before, now);
    return Ok();
}

Result<void> RegionTree::recover(RegionId id) {
    Node* node = find(id);
    if (node == nullptr) return Err(Status::NotFound, "regions.recover");
    Nanos now = m_clock.now_ns();
    RegionState before = node->region.state();
    ESTA_TRY(node->region.recover(now));
    after_change(*node, before, now);
    return Ok();
}

Result<void> RegionTree::reset(RegionId id) {
    Node* node = find(id);
    if (node == nullptr) return Err(Status::NotFound, "regions.reset");
    if (node->region.state() != RegionState::Escalated) {
        return Err(Status::Invalid, "regions.reset: not escalated");
    }
    Nanos now = m_clock.now_ns();
    node->region.reset(now);
    after_change(*node, RegionState::Escalated, now);
    return Ok();
}

void RegionTree::escalate(Node& node, Nanos now) {
    if (!node.parent) return;  // The root's escalation alarm was reported by after_change.
    Node* parent = find(*node.parent);
    ESTA_ASSERT(parent != nullptr);
    RegionState before = parent->region.state();
    m_metrics.counter(kRegionFaults, {parent->name, fault_kind_name(FaultKind::Escalation)}).inc();
    parent->region.record_fault(FaultRecord{now, FaultKind::Escalation, node.id.value()});
    after_change(*parent, before, now);
}

void RegionTree::tick() {
    Nanos now = m_clock.now_ns();
    // Children have larger ids than their parents, so visiting in descending id order lets
    // an escalation land in a parent before the parent's own tick in this same pass.
    for (auto it = m_nodes.rbegin(); it != m_nodes.rend(); ++it) {
        Node& node = *it->second;
        RegionState before = node.region.state();
        RegionState after = node.region.tick(now);
        after_change(node, before, now);
        if (before != RegionState::Escalated && after == RegionState::Escalated) {
            escalate(node, now);
        }
    }
}

Result<RegionState> RegionTree::state(RegionId id) const {
    const Node* node = find(id);
    if (node == nullptr) return Err(Status::NotFound, "regions.state");
    return node->region.state();
}

Result<RegionId> RegionTree::parent(RegionId id) const {
    const Node* node = find(id);
    if (node == nullptr || !node->parent) return Err(Status::NotFound, "regions.parent");
    return *node->parent;
}

std::vector<RegionId> RegionTree::children(RegionId id) const {
    const Node* node = find(id);
    return node == nullptr ? std::vector<RegionId>{} : node->children;
}

const FaultRegion* RegionTree::region(RegionId id) const {
    const Node* node = find(id);
    return node == nullptr ? nullptr : &node->region;
}

std::string_view RegionTree::name(RegionId id) const {
    const Node* node = find(id);
    return node == nullptr ? std::string_view{} : std::string_view{node->name};
}

}  // namespace esta::kernel
