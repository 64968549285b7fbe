// Spatial and temporal limits (REQUIREMENTS K-42, K-43): fail-fast checks that keep the
// real numbers. Each check is pure and returns a LimitDecision naming the limit, the action
// (continue, fail immediately, or warn and continue — for driver connections and a late
// delivery, which has happened by the time it is measured) and the measured value against the
// bound, so a refusal can say "payload 1048577 > 1048576" and a timeout "elapsed 130 ms > 100 ms"
// (the prototype lost both in Timeout(0, 0)). LimitGuard adds the side effects: a metric per
// violation and a SafetySink report.
//
// Comparisons (each one chosen, and tested at its boundary):
//   payload      actual > max fails       (exactly 1 MiB passes)
//   memory       used + more > class max  fails
//   mailbox      depth >= capacity fails  (pre-enqueue: full at capacity)
//   queue depth  depth >= max fails       (pre-enqueue)
//   connections  held > max warns, continues (exactly 100 held is within the limit)
//   operation    fuel > limit fails        (instructions; exactly at the limit is on time)
//   delivery     now - sent > limit warns, continues (the message was delivered)
//   queue wait   now - enqueued > limit fails
//   watchdog     now - last kick > interval triggers
#pragma once

#include <string_view>

#include "base/result.h"
#include "base/types.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "observe/metrics.h"

namespace esta::kernel {

// Memory classes of E-5; a region's memory limit is its module's class.
enum class MemoryClass : u8 { User, Compliance, System };

struct SpatialLimits {
    u64 max_payload = 1u << 20;         // K-42: 1 MiB, equal passes.
    u64 user_memory = 16u << 20;        // E-5.
    u64 compliance_memory = 32u << 20;  // E-5.
    u64 system_memory = 64u << 20;      // E-5.
    u32 max_driver_connections = 100;   // K-42: warn and continue.
    u32 max_queue_depth = 10'000;       // K-42.
    u64 memory_limit(MemoryClass memory_class) const;
};

// What each is measured in (docs/ARCHITECTURE.md "Guardrails and real time"): the operation limit
// in the handler's instructions, `operation` converted at `fuel_per_milli` (the kernel's,
// KernelConfig), so it decides the same on every run; delivery and queue wait on the
// kernel's injected clock; the watchdog on the host's clock (runtime/watchdog.h).
struct TemporalLimits {
    Nanos operation = 100 * kNanosPerMilli;    // K-43.
    u64 fuel_per_milli = 1'200'000;            // runtime/kernel_config.h's default.
    Nanos delivery = 1000 * kNanosPerMilli;    // K-43.
    Nanos watchdog = 500 * kNanosPerMilli;     // K-43.
    Nanos queue_wait = 5000 * kNanosPerMilli;  // K-43.
    // The operation limit in instructions.
    u64 operation_fuel() const {
        return static_cast<u64>(operation / kNanosPerMilli) * fuel_per_milli;
    }
};

enum class LimitKind : u8 {
    Payload,
    Memory,
    Mailbox,
    QueueDepth,
    DriverConnections,
    Operation,
    Delivery,
    Watchdog,
    QueueWait
};
std::string_view limit_kind_name(LimitKind kind);

enum class LimitAction : u8 { Continue, FailImmediately, WarnAndContinue };

struct LimitDecision {
    LimitKind kind = LimitKind::Payload;
    LimitAction action = LimitAction::Continue;
    i64 actual = 0;  // Bytes, messages, connections, instructions or nanoseconds.
    i64 limit = 0;

    bool ok() const { return action == LimitAction::Continue; }
    bool fails() const { return action == LimitAction::FailImmediately; }
    // The Status a refused request returns to its caller (PayloadTooLarge, Limit,
    // MailboxFull, Timeout), with the numbers in the detail. Only for fails().
    Error to_error() const;
};

LimitDecision check_payload(const SpatialLimits& limits, u64 size);
LimitDecision check_memory(const SpatialLimits& limits, MemoryClass memory_class, u64 used,
                           u64 additional);
LimitDecision check_mailbox(u64 depth, u64 capacity);
LimitDecision check_queue_depth(const SpatialLimits& limits, u64 depth);
// `held`: the connections one driver region holds.
LimitDecision check_driver_connections(const SpatialLimits& limits, u64 held);
// `fuel`: the instructions the handler ran on one message.
LimitDecision check_operation(const TemporalLimits& limits, u64 fuel);
LimitDecision check_delivery(const TemporalLimits& limits, Nanos sent, Nanos now);
LimitDecision check_queue_wait(const TemporalLimits& limits, Nanos enqueued, Nanos now);

// A watchdog fed by the running work (kick at each safepoint or message boundary); the
// scheduler's periodic check() triggers when it starved past the interval. Expiry is what
// becomes trap 3001 (T-4) for the process it guards.
class KickWatchdog {
  public:
    KickWatchdog(Nanos interval, Nanos now) : m_interval(interval), m_last_kick(now) {}
    void kick(Nanos now) { m_last_kick = now; }
    LimitDecision check(Nanos now) const;

  private:
    Nanos m_interval;
    Nanos m_last_kick;
};

// Counts and reports violations. `subject` names what was checked (a region or process).
class LimitGuard {
  public:
    LimitGuard(observe::MetricsRegistry& metrics, SafetySink& sink)
        : m_metrics(metrics), m_sink(sink) {}
    // Passes `decision` through; a violation bumps kernel.limit_violations{limit, action}
    // and is reported (Warning for warn-and-continue, Audit for a refusal).
    LimitDecision enforce(const LimitDecision& decision, std::string_view subject, Nanos now);

  private:
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
};

}  // namespace esta::kernel
