// The runtime's settings (REQUIREMENTS K-2, K-7, K-43) with their defaults.
#pragma once

#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "kernel/scheduler.h"
#include "kernel/supervisor.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

// Fuel (wasm instructions, T-3) the interpreter executes per millisecond of CPU on the
// reference machine (2 cores, Debian 12): bench/bench_kernel.cc's BM_FuelPerMillisecond, a
// counting loop, measured 1.24 G instructions per CPU second (2026-11-28; bench/README.md).
// Slices are K-2's times expressed in this fuel, so a slice stays deterministic (it ends at
// the same instruction on every run) while taking roughly its nominal CPU time.
inline constexpr u64 kDefaultFuelPerMilli = 1'200'000;

struct KernelConfig {
    // Scheduler threads for start(); 0 = one per core. Processes are assigned to threads
    // by pid (pid mod threads), so the assignment is the same on every run.
    u32 threads = 0;
    u64 fuel_per_milli = kDefaultFuelPerMilli;
    Nanos watchdog_limit = 500 * kNanosPerMilli;   // K-43: one slice, wall clock.
    Nanos watchdog_period = 10 * kNanosPerMilli;   // How often the watchdog thread looks.
    Nanos fairness_window = 10 * kNanosPerSecond;  // K-7.
    Nanos idle_tick = 1 * kNanosPerMilli;          // An idle thread re-checks timeouts.
    Nanos shutdown_grace = 1 * kNanosPerSecond;    // Wall clock for processes to finish.
    SchedulerConfig scheduler{};
    SyscallConfig syscalls{};
    // K-30: a restarted child that has run this long without failing is stable again (its
    // escalation and backoff start over).
    Nanos stable_after = kEscalationWindow;
    // Borrowed, may be null: where missed message deadlines (K-53) and system restarts
    // (K-30 L5) are reported beside the kernel's own counts.
    SafetySink* safety = nullptr;
    // Borrowed, may be null: the node, told of an L5 escalation.
    SystemEscalation* system = nullptr;
};

// K-2's slice for `priority` in fuel (System: to completion, bounded only by the budget).
constexpr u64 slice_fuel(Priority priority, u64 fuel_per_milli) {
    Nanos slice = time_slice(priority);
    if (slice == 0) return u64{1} << 62;
    return static_cast<u64>(slice / kNanosPerMilli) * fuel_per_milli;
}

}  // namespace esta::kernel
