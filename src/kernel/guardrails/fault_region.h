// FaultRegion (REQUIREMENTS K-40): one fault containment region's state machine.
//
//   Healthy --fault--> Degraded (1..threshold-1 faults in the window)
//   Degraded --fault--> Quarantined (>= threshold faults in the window)
//   Degraded --tick, faults aged out--> Healthy
//   Quarantined --recover within the recovery window--> Healthy
//   Quarantined --tick past the recovery window--> Escalated (the parent region decides)
//
// Decisions taken where the prototype left gaps (kernel-safety.md GR gaps 6, 7, 9):
// - The history is a bounded ring (oldest dropped); its capacity is at least the threshold,
//   so dropping never hides a quarantine.
// - Time alone moves Degraded back to Healthy and Quarantined to Escalated, through tick().
// - Recovery starts a fresh window: faults before the recovery instant no longer count,
//   so a recovered region is not re-quarantined by its very next fault.
// - Escalated is terminal for the region itself; only its parent may reset() it.
// Every instant comes from the caller's injected clock; nothing here reads the host.
#pragma once

#include <deque>
#include <string_view>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

enum class RegionState : u8 { Healthy, Degraded, Quarantined, Escalated };
std::string_view region_state_name(RegionState state);

enum class FaultKind : u8 {
    Trap,
    MemoryViolation,
    Timeout,
    ResourceExhausted,
    ProtocolViolation,
    DriverError,
    Security,
    Escalation,  // A child region escalated into this one.
    Unknown
};
std::string_view fault_kind_name(FaultKind kind);

struct RegionConfig {
    u32 quarantine_threshold = 5;                   // K-40: >= 5 faults in the window.
    Nanos fault_window = 60 * kNanosPerSecond;      // K-40: 60 s, a fault exactly this old is out.
    Nanos recovery_window = 300 * kNanosPerSecond;  // K-40: recovery allowed for 300 s.
    u32 history_capacity = 64;                      // Bounded fault history (>= threshold).
};

struct FaultRecord {
    Nanos at = 0;
    FaultKind kind = FaultKind::Unknown;
    i64 code = 0;  // Trap code, status code or driver error number; 0 when none.
};

class FaultRegion {
  public:
    // `config.history_capacity` is raised to the threshold if smaller (a smaller ring would
    // forget faults that must count).
    FaultRegion(RegionConfig config, Nanos created_at);

    // Records the fault (always, whatever the state) and re-evaluates Healthy/Degraded/
    // Quarantined. Quarantined and Escalated are left only through recover()/reset().
    RegionState record_fault(const FaultRecord& fault);
    // Time-driven transitions; returns the state after them.
    RegionState tick(Nanos now);
    // Quarantines whatever the state (a manual or security decision); keeps the first
    // quarantine instant if already quarantined, so repeated requests cannot extend recovery.
    void quarantine(Nanos now);
    // Quarantined -> Healthy if now - quarantined_at <= recovery_window. Errors: Invalid when
    // not quarantined; Timeout when the window has passed (escalation required), with the
    // elapsed time and the window in the detail.
    Result<void> recover(Nanos now);
    // The parent's decision after an escalation: back to Healthy with a fresh window.
    void reset(Nanos now);

    RegionState state() const { return m_state; }
    // Faults counted now: after the last recovery and younger than the window.
    u32 recent_faults(Nanos now) const;
    Nanos quarantined_at() const { return m_quarantined_at; }
    Nanos last_state_change() const { return m_last_state_change; }
    const std::deque<FaultRecord>& history() const { return m_history; }  // Oldest first.
    u64 total_faults() const { return m_total_faults; }
    const RegionConfig& config() const { return m_config; }

  private:
    void set_state(RegionState state, Nanos now);
    void evaluate(Nanos now);

    RegionConfig m_config;
    RegionState m_state = RegionState::Healthy;
    std::deque<FaultRecord> m_history;
    u64 m_total_faults = 0;
    Nanos m_counting_since;  // Faults before this instant do not count (last recovery).
    Nanos m_quarantined_at = 0;
    Nanos m_last_state_change;
};

}  // namespace esta::kernel
