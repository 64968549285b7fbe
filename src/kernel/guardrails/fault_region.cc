#include "kernel/guardrails/fault_region.h"

#include <algorithm>

namespace esta::kernel {

std::string_view region_state_name(RegionState state) {
    switch (state) {
        case RegionState::Healthy:
            return "healthy";
        case RegionState::Degraded:
            return "degraded";
        case RegionState::Quarantined:
            return "quarantined";
        case RegionState::Escalated:
            return "escalated";
    }
    return "unknown";
}

std::string_view fault_kind_name(FaultKind kind) {
    switch (kind) {
        case FaultKind::Trap:
            return "trap";
        case FaultKind::MemoryViolation:
            return "memory_violation";
        case FaultKind::Timeout:
            return "timeout";
        case FaultKind::ResourceExhausted:
            return "resource_exhausted";
        case FaultKind::ProtocolViolation:
            return "protocol_violation";
        case FaultKind::DriverError:
            return "driver_error";
        case FaultKind::Security:
            return "security";
        case FaultKind::Escalation:
            return "escalation";
        case FaultKind::Unknown:
            return "unknown";
    }
    return "unknown";
}

FaultRegion::FaultRegion(RegionConfig config, Nanos created_at)
    : m_config(config), m_counting_since(created_at), m_last_state_change(created_at) {
    m_config.history_capacity = std::max(m_config.history_capacity, m_config.quarantine_threshold);
    if (m_config.history_capacity == 0) m_config.history_capacity = 1;
}

u32 FaultRegion::recent_faults(Nanos now) const {
    u32 count = 0;
    // Newest first: stop at the first fault that is out of the window or before recovery.
    for (auto it = m_history.rbegin(); it != m_history.rend(); ++it) {
        if (it->at < m_counting_since || now - it->at >= m_config.fault_window) break;
        ++count;
    }
    return count;
}

void FaultRegion::set_state(RegionState state, Nanos now) {
    if (state == m_state) return;
    m_state = state;
    m_last_state_change = now;
    if (state == RegionState::Quarantined) m_quarantined_at = now;
}

void FaultRegion::evaluate(Nanos now) {
    if (m_state == RegionState::Quarantined || m_state == RegionState::Escalated) return;
    u32 recent = recent_faults(now);
    if (recent >= m_config.quarantine_threshold && recent > 0) {
        set_state(RegionState::Quarantined, now);
    } else if (recent > 0) {
        set_state(RegionState::Degraded, now);
    } else {
        set_state(RegionState::Healthy, now);
    }
}

RegionState FaultRegion::record_fault(const FaultRecord& fault) {
    if (m_history.size() >= m_config.history_capacity) m_history.pop_front();
    // Keep the ring ordered by time even if a caller reports out of order, so the
    // newest-first scan in recent_faults() can stop early.
    auto position =
        std::upper_bound(m_history.begin(), m_history.end(), fault.at,
                         [](Nanos at, const FaultRecord& record) { return at < record.at; });
    m_history.insert(position, fault);
    ++m_total_faults;
    evaluate(fault.at);
    return m_state;
}

RegionState FaultRegion::tick(Nanos now) {
    if (m_state == RegionState::Quarantined) {
        if (now - m_quarantined_at > m_config.recovery_window) {
            set_state(RegionState::Escalated, now);
        }
        return m_state;
    }
    evaluate(now);
    return m_state;
}

void FaultRegion::quarantine(Nanos now) {
    if (m_state == RegionState::Quarantined || m_state == RegionState::Escalated) return;
    set_state(RegionState::Quarantined, now);
}

Result<void> FaultRegion::recover(Nanos now) {
    if (m_state != RegionState::Quarantined) {
        return Err(Status::Invalid, "region.recover: not quarantined");
    }
    Nanos elapsed = now - m_quarantined_at;
    if (elapsed > m_config.recovery_window) {
        return Err(Status::Timeout, "region.recover: escalation required",
                   Detail{.limit = static_cast<u64>(m_config.recovery_window),
                          .actual = static_cast<u64>(elapsed)});
    }
    m_counting_since = now;
    set_state(RegionState::Healthy, now);
    return Ok();
}

void FaultRegion::reset(Nanos now) {
    m_counting_since = now;
    set_state(RegionState::Healthy, now);
}

}  // namespace esta::kernel
