// Scheduler (REQUIREMENTS K-2, K-6, K-7), first cut: one scheduler on one thread, fully
// deterministic on the injected clock. It keeps the ready processes, picks the one with the
// highest effective priority (aging: +1 level per full second spent ready, at most +2, never
// above Realtime, never demoting), FIFO among equals, runs it for one slice, and raises the
// running guest's preempt flag as soon as a process of higher effective priority becomes
// ready, so the guest stops at its next safepoint (K-6).
//
// Not yet here (scheduler issue): one thread per core, EDF among Realtime work, fuel
// calibrated to the slice's time, fairness statistics, the wall-clock watchdog.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <optional>

#include "base/result.h"
#include "kernel/process.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

struct SchedulerConfig {
    Nanos aging_step = kNanosPerSecond;  // K-2: +1 level per full second waiting.
    u32 max_aging_boost = 2;             // K-2: at most +2.
};

struct SchedulerStats {
    u32 ready = 0;
    u32 waiting = 0;
    u32 blocked = 0;
    u64 context_switches = 0;
    u64 preemptions = 0;  // Slices cut short by a higher priority becoming ready.
};

struct SliceReport {
    ProcessId pid;
    ProcessState state;  // After the slice.
    u64 fuel_used = 0;
    bool preempted = false;  // The preempt flag was raised during the slice.
};

// K-2's aging rule as a function, so it is testable on its own.
Priority effective_priority(Priority base, Nanos waited, const SchedulerConfig& config);

class Scheduler final : public ProcessWaker {
  public:
    explicit Scheduler(SchedulerConfig config = {});

    // Takes a Created process and makes it Ready at `now`.
    Result<void> add(Ref<Process> process, Nanos now);
    // ProcessWaker: a Waiting or Blocked process becomes Ready (a message arrived, room
    // freed). Raises the preempt flag when it outranks the running process.
    void wake(ProcessId pid) override;
    // Sets the time wake() and the aging rule use (the kernel's clock, injected).
    void set_now(Nanos now) { m_now = now; }

    // Runs the ready process with the highest effective priority for one slice. nullopt
    // when nothing is ready. Completed processes are forgotten.
    Result<std::optional<SliceReport>> run_next(Nanos now);
    // Parked receivers whose deadline passed become Ready (their retried recv says TIMEOUT).
    void expire_timeouts(Nanos now);

    Priority effective_priority_of(ProcessId pid, Nanos now) const;
    SchedulerStats stats() const;
    Process* find(ProcessId pid) const;

  private:
    struct Entry {
        Ref<Process> process;
        Nanos ready_since = 0;
    };

    void make_ready(Entry& entry, Nanos now);

    SchedulerConfig m_config;
    std::map<ProcessId, Entry> m_processes;  // Ordered: iteration is deterministic.
    std::deque<ProcessId> m_ready;           // Arrival order, for FIFO among equals.
    std::optional<ProcessId> m_running;
    std::atomic<bool> m_preempt{false};
    Nanos m_now = 0;
    u64 m_context_switches = 0;
    u64 m_preemptions = 0;
};

}  // namespace esta::kernel
