// Latency budgets with per-component accounting (REQUIREMENTS K-50). An operation (an
// accrual calculation, an audit write, a message delivery, a spawn) gets a total budget
// split into component allocations; the code on the real path charges each component the
// time it spent, measured on the injected clock, and every overrun — of a component or of
// the total — is reported with its size. Time left unallocated in a spec is slack that only
// the total guards.
//
// Default specs (the prototype's constructors; its second, conflicting table of defaults is
// not used — kernel-safety.md RT gap 1):
//   accrual_calculation 10 ms: deserialization 0.5, processing 5, memory 0.5, database 3,
//                              serialization 0.5, scheduling 0.5
//   audit_write          5 ms: serialization 0.2, disk 3, memory 0.2, scheduling 0.1
//   message_passing      2 ms: serialization 0.2, transmission 0.5, deserialization 0.2,
//                              scheduling 0.2, context switch 0.1
//   process_spawn       50 ms: memory 5, processing 20, scheduling 1, disk 20
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "observe/metrics.h"
#include "protocol/clock.h"

namespace esta::kernel {

enum class BudgetComponent : u8 {
    Serialization,
    Transmission,
    Deserialization,
    Processing,
    MemoryAlloc,
    DiskIo,
    Database,
    ExternalService,
    Scheduling,
    ContextSwitch
};
inline constexpr std::size_t kBudgetComponents = 10;
std::string_view budget_component_name(BudgetComponent component);

struct BudgetSpec {
    std::string operation;  // "accrual_calculation"; labels the metrics.
    Nanos total = 0;
    // Allocation per component; 0 means "not allocated": time charged to it counts against
    // the total only.
    std::array<Nanos, kBudgetComponents> allocation{};

    BudgetSpec& allocate(BudgetComponent component, Nanos amount) {
        allocation[static_cast<std::size_t>(component)] = amount;
        return *this;
    }
};

BudgetSpec accrual_calculation_budget();
BudgetSpec audit_write_budget();
BudgetSpec message_passing_budget();
BudgetSpec process_spawn_budget();

struct BudgetOverrun {
    std::optional<BudgetComponent> component;  // Empty: the total.
    Nanos consumed = 0;
    Nanos budget = 0;
    Nanos overrun() const { return consumed - budget; }
};

// One operation's accounting. Charges accumulate; check() lists the overruns so far.
class LatencyBudget {
  public:
    explicit LatencyBudget(const BudgetSpec& spec) : m_spec(&spec) {}

    // Adds `spent` to `component` and the total. Returns the overrun this charge caused or
    // extended (the total first: it is the one the caller promised), or nothing.
    std::optional<BudgetOverrun> charge(BudgetComponent component, Nanos spent);

    Nanos consumed() const { return m_consumed; }
    Nanos consumed(BudgetComponent component) const {
        return m_component_consumed[static_cast<std::size_t>(component)];
    }
    Nanos remaining() const { return m_spec->total - m_consumed; }
    // Every component over its allocation, then the total if over; empty when within budget.
    std::vector<BudgetOverrun> overruns() const;
    const BudgetSpec& spec() const { return *m_spec; }

  private:
    const BudgetSpec* m_spec;  // Borrowed from the LatencyAccounting that made it.
    Nanos m_consumed = 0;
    std::array<Nanos, kBudgetComponents> m_component_consumed{};
};

// The metrics and reports for one operation type: bound to the registry once, so a finished
// operation costs a few relaxed atomic adds. finish() observes the total latency and counts
// and reports each overrun (components and total) with the real numbers.
class LatencyAccounting {
  public:
    LatencyAccounting(BudgetSpec spec, observe::MetricsRegistry& metrics, SafetySink& sink);

    LatencyBudget start() const { return LatencyBudget(m_spec); }
    // Returns the number of overruns reported.
    std::size_t finish(const LatencyBudget& budget, Nanos now);
    const BudgetSpec& spec() const { return m_spec; }

  private:
    BudgetSpec m_spec;
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
    observe::Histogram& m_latency;
    observe::Counter& m_total_overruns;
};

// Measures consecutive phases on the injected clock: lap(c) charges `c` the time since the
// previous lap (or since construction).
class BudgetStopwatch {
  public:
    BudgetStopwatch(LatencyBudget& budget, const protocol::Clock& clock)
        : m_budget(budget), m_clock(clock), m_last(clock.now_ns()) {}
    std::optional<BudgetOverrun> lap(BudgetComponent component);

  private:
    LatencyBudget& m_budget;
    const protocol::Clock& m_clock;
    Nanos m_last;
};

}  // namespace esta::kernel
