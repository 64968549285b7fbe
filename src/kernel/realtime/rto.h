// Recovery-time objectives (REQUIREMENTS K-52): each kind of recovery has a target, a hard
// limit, and a warning at 80 % of the target; recoveries are timed on the injected clock
// from start() to complete(), their durations kept (bounded) per kind for p50/p99, and a
// recovery that runs late is acted on, not just noted.
//
//   kind              target ms  hard ms  actions past the target
//   trap                   100      500   log, alert
//   restart               1000     5000   log, alert, escalate
//   driver reconnect      5000    30000   log, alert, retry extended
//   failover              5000    15000   log, alert, escalate
//   module reload         2000    10000   log, alert
//   supervisor           10000    60000   log, alert, escalate
//
// Levels, all strict comparisons of elapsed time: OnTrack, Warning (> 80 % of target),
// Violated (> target), HardLimitExceeded (> hard limit). A recovery reports each level once,
// when it first reaches it, whether check() sees it running or complete() sees it finish
// (the prototype never consulted the hard limit at completion and never ran the actions):
// Warning → one Warning report; Violated → one report per action of the spec (Alert and
// Escalate are alarms); HardLimitExceeded → an Alarm ("rto.hard_limit") and an escalation.
#pragma once

#include <array>
#include <deque>
#include <map>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/strong_id.h"
#include "base/types.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "observe/metrics.h"

namespace esta::kernel {

enum class RecoveryKind : u8 { Trap, Restart, DriverReconnect, Failover, ModuleReload, Supervisor };
inline constexpr std::size_t kRecoveryKinds = 6;
std::string_view recovery_kind_name(RecoveryKind kind);

enum class RtoAction : u8 { Log = 1, Alert = 2, Escalate = 4, RetryExtended = 8 };
std::string_view rto_action_name(RtoAction action);

struct RtoSpec {
    Nanos target = 0;
    Nanos hard_limit = 0;
    u32 warn_percent = 80;
    u8 actions = 0;  // RtoAction bits.

    Nanos warn_at() const { return target * warn_percent / 100; }
    bool has(RtoAction action) const { return (actions & static_cast<u8>(action)) != 0; }
};

RtoSpec default_rto_spec(RecoveryKind kind);

struct RtoConfig {
    std::array<RtoSpec, kRecoveryKinds> specs;
    u32 history = 1000;  // Durations kept per kind for p50/p99.
    RtoConfig();
    const RtoSpec& spec(RecoveryKind kind) const { return specs[static_cast<std::size_t>(kind)]; }
};

enum class RtoLevel : u8 { OnTrack, Warning, Violated, HardLimitExceeded };
std::string_view rto_level_name(RtoLevel level);
RtoLevel classify_rto(const RtoSpec& spec, Nanos elapsed);

struct RecoveryIdTag {};
using RecoveryId = StrongId<RecoveryIdTag, u64>;

struct RtoCheck {
    RecoveryId id;
    RecoveryKind kind;
    Nanos elapsed;
    RtoLevel level;
};

struct RtoOutcome {
    Nanos duration = 0;
    RtoLevel level = RtoLevel::OnTrack;
    bool met() const { return level == RtoLevel::OnTrack || level == RtoLevel::Warning; }
};

struct RtoPercentiles {
    u32 count = 0;
    Nanos p50 = 0;
    Nanos p99 = 0;
    Nanos worst = 0;
};

class RtoTracker {
  public:
    RtoTracker(RtoConfig config, observe::MetricsRegistry& metrics, SafetySink& sink);

    // Invalid for an id already running (a duplicate would make completion ambiguous).
    Result<void> start(RecoveryId id, RecoveryKind kind, Nanos now);
    // Ends the recovery; NotFound for an unknown id. `success` is counted separately: a
    // failed recovery still took the time it took.
    Result<RtoOutcome> complete(RecoveryId id, bool success, Nanos now);
    // Classifies every running recovery (in id order) and acts on newly reached levels.
    std::vector<RtoCheck> check(Nanos now);

    RtoPercentiles percentiles(RecoveryKind kind) const;
    std::size_t active() const { return m_active.size(); }
    const RtoConfig& config() const { return m_config; }

  private:
    struct Active {
        RecoveryKind kind;
        Nanos started;
        RtoLevel reported = RtoLevel::OnTrack;
    };
    void raise(Active& active, RtoLevel level, Nanos elapsed, Nanos now);

    RtoConfig m_config;
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
    std::map<RecoveryId, Active> m_active;
    std::array<std::deque<Nanos>, kRecoveryKinds> m_durations;
};

}  // namespace esta::kernel
