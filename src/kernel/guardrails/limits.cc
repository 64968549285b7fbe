#include "kernel/guardrails/limits.h"

#include <algorithm>

namespace esta::kernel {

ESTA_COUNTER(kLimitViolations, "kernel.limit_violations",
             "Spatial and temporal limit violations by limit and action.", "limit", "action");

std::string_view limit_kind_name(LimitKind kind) {
    switch (kind) {
        case LimitKind::Payload:
            return "payload";
        case LimitKind::Memory:
            return "memory";
        case LimitKind::Mailbox:
            return "mailbox";
        case LimitKind::QueueDepth:
            return "queue_depth";
        case LimitKind::DriverConnections:
            return "driver_connections";
        case LimitKind::Operation:
            return "operation";
        case LimitKind::Delivery:
            return "delivery";
        case LimitKind::Watchdog:
            return "watchdog";
        case LimitKind::QueueWait:
            return "queue_wait";
    }
    return "unknown";
}

u64 SpatialLimits::memory_limit(MemoryClass memory_class) const {
    switch (memory_class) {
        case MemoryClass::User:
            return user_memory;
        case MemoryClass::Compliance:
            return compliance_memory;
        case MemoryClass::System:
            return system_memory;
    }
    return user_memory;
}

Error LimitDecision::to_error() const {
    Detail detail{.limit = static_cast<u64>(limit), .actual = static_cast<u64>(actual)};
    switch (kind) {
        case LimitKind::Payload:
            return Err(Status::PayloadTooLarge, "limits.payload", detail);
        case LimitKind::Memory:
            return Err(Status::Limit, "limits.memory", detail);
        case LimitKind::Mailbox:
            return Err(Status::MailboxFull, "limits.mailbox", detail);
        case LimitKind::QueueDepth:
            return Err(Status::Limit, "limits.queue_depth", detail);
        case LimitKind::DriverConnections:
            return Err(Status::Limit, "limits.driver_connections", detail);
        case LimitKind::Operation:
            return Err(Status::Timeout, "limits.operation", detail);
        case LimitKind::Delivery:
            return Err(Status::Timeout, "limits.delivery", detail);
        case LimitKind::Watchdog:
            return Err(Status::Timeout, "limits.watchdog", detail);
        case LimitKind::QueueWait:
            return Err(Status::Timeout, "limits.queue_wait", detail);
    }
    return Err(Status::Internal, "limits", detail);
}

namespace {

LimitDecision decide(LimitKind kind, bool violated, LimitAction on_violation, u64 actual,
                     u64 limit) {
    return LimitDecision{kind, violated ? on_violation : LimitAction::Continue,
                         static_cast<i64>(actual), static_cast<i64>(limit)};
}

LimitDecision decide_elapsed(LimitKind kind, Nanos limit, Nanos from, Nanos now) {
    Nanos elapsed = now - from;
    return LimitDecision{kind,
                         elapsed > limit ? LimitAction::FailImmediately : LimitAction::Continue,
                         elapsed, limit};
}

}  // namespace

LimitDecision check_payload(const SpatialLimits& limits, u64 size) {
    return decide(LimitKind::Payload, size > limits.max_payload, LimitAction::FailImmediately, size,
                  limits.max_payload);
}

LimitDecision check_memory(const SpatialLimits& limits, MemoryClass memory_class, u64 used,
                           u64 additional) {
    u64 limit = limits.memory_limit(memory_class);
    // Saturate instead of wrapping: a huge request must not look small.
    u64 total = used > ~u64{0} - additional ? ~u64{0} : used + additional;
    return decide(LimitKind::Memory, total > limit, LimitAction::FailImmediately, total, limit);
}

LimitDecision check_mailbox(u64 depth, u64 capacity) {
    return decide(LimitKind::Mailbox, depth >= capacity, LimitAction::FailImmediately, depth,
                  capacity);
}

LimitDecision check_queue_depth(const SpatialLimits& limits, u64 depth) {
    return decide(LimitKind::QueueDepth, depth >= limits.max_queue_depth,
                  LimitAction::FailImmediately, depth, limits.max_queue_depth);
}

LimitDecision check_driver_connections(const SpatialLimits& limits, u64 held) {
    return decide(LimitKind::DriverConnections, held > limits.max_driver_connections,
                  LimitAction::WarnAndContinue, held, limits.max_driver_connections);
}

LimitDecision check_operation(const TemporalLimits& limits, u64 fuel) {
    u64 limit = limits.operation_fuel();
    return decide(LimitKind::Operation, fuel > limit, LimitAction::FailImmediately, fuel, limit);
}

LimitDecision check_delivery(const TemporalLimits& limits, Nanos sent, Nanos now) {
    Nanos late = now - sent;
    return decide(LimitKind::Delivery, late > limits.delivery, LimitAction::WarnAndContinue,
                  static_cast<u64>(std::max<Nanos>(late, 0)), static_cast<u64>(limits.delivery));
}

LimitDecision check_queue_wait(const TemporalLimits& limits, Nanos enqueued, Nanos now) {
    return decide_elapsed(LimitKind::QueueWait, limits.queue_wait, enqueued, now);
}

LimitDecision KickWatchdog::check(Nanos now) const {
    return decide_elapsed(LimitKind::Watchdog, m_interval, m_last_kick, now);
}

LimitDecision LimitGuard::enforce(const LimitDecision& decision, std::string_view subject,
                                  Nanos now) {
    if (decision.ok()) return decision;
    bool warn = decision.action == LimitAction::WarnAndContinue;
    m_metrics
        .counter(kLimitViolations,
                 {limit_kind_name(decision.kind), warn ? "warn_and_continue" : "fail_immediately"})
        .inc();
    m_sink.report(SafetyEvent{.event = limit_kind_name(decision.kind),
                              .subject = subject,
                              .detail = warn ? "warn_and_continue" : "fail_immediately",
                              .severity = warn ? SafetySeverity::Warning : SafetySeverity::Audit,
                              .actual = decision.actual,
                              .limit = decision.limit,
                              .at = now});
    return decision;
}

}  // namespace esta::kernel
