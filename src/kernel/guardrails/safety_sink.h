// SafetySink: the narrow door through which guardrails, real-time tracking and redundancy
// report decisions that matter (a region quarantined, a limit violated, a deadline missed,
// an RTO blown). The kernel wires it to the audit log, alarms and the flight recorder later;
// these rooms never talk to those directly, so they stay testable on a fake.
#pragma once

#include <string_view>

#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

// How loud a report is. Alarm means an operator must hear of it (K-60 mismatch, an
// escalation, an RTO hard limit); Audit means it belongs in the tamper-evident log.
enum class SafetySeverity : u8 { Info, Warning, Audit, Alarm };

// One decision, with the real numbers that led to it. `event` and `subject` are static or
// long-lived strings (a region or operation name owned by the reporter); no allocation.
struct SafetyEvent {
    std::string_view event;    // "region.quarantined", "limit.payload", "deadline.missed"...
    std::string_view subject;  // Region, operation or recovery kind the event is about.
    std::string_view detail;   // Which part: a budget component, a jitter measure, an action.
    SafetySeverity severity = SafetySeverity::Info;
    i64 actual = 0;  // The measured number (bytes, ns, count).
    i64 limit = 0;   // The configured bound it was compared against.
    Nanos at = 0;    // Injected-clock time of the decision.
};

class SafetySink {
  public:
    virtual ~SafetySink() = default;
    // Called on the deciding thread; must not block (queue if the target does I/O).
    virtual void report(const SafetyEvent& event) = 0;
};

// For components constructed before the kernel wires a real sink.
class NullSafetySink final : public SafetySink {
  public:
    void report(const SafetyEvent&) override {}
};

}  // namespace esta::kernel
