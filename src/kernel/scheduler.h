// Scheduler (REQUIREMENTS K-2, K-6, K-7), first cut: one scheduler on one thread, fully
// deterministic on the injected clock. It keeps the ready processes, picks the one with the
// highest effective priority (aging: +1 level per full second spent ready, at most +2, never
// above Realtime, never demoting), FIFO among equals, runs it for one slice, and raises the
// running guest's preempt flag as soon as a process of higher effective priority becomes
// ready, so the guest stops at its next safepoint (K-6).
//
// Among processes at Realtime (K-53), earliest deadline first: a process's deadline is the
// earliest among the message it is handling and the ones it has queued (Mailbox keeps it);
// those with none come after every one with one; FIFO among equals. A Realtime process
// becoming ready with an earlier deadline than the running Realtime one preempts it too.
//
// The runtime (runtime/kernel_runtime.h) gives each scheduler thread one Scheduler and holds
// the kernel lock around pick() and finish(); the slice itself runs unlocked in between.
// A wake() that arrives while its process is running (another thread sent to it after it
// parked, before the slice ended) is remembered and applied by finish(), so it is never lost.
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
    u32 running = 0;
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

// K-53: the earliest deadline of the message `process` is handling or has queued; nullopt
// when none carries one.
std::optional<Nanos> process_deadline(Process& process);

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

    // run_next in two halves, for threads that run the slice outside the kernel lock:
    // pick() chooses (and marks running) the next process, nullptr when none is ready;
    // the caller runs it with preempt_flag(), then reports the slice with finish().
    Ref<Process> pick(Nanos now);
    Result<SliceReport> finish(ProcessId pid, Result<SliceResult> slice, Nanos now);
    const std::atomic<bool>* preempt_flag() const { return &m_preempt; }
    bool has_ready() const { return !m_ready.empty(); }
    bool empty() const { return m_processes.empty(); }
    // Forgets a process that is not running (a supervisor replacing it); false otherwise.
    bool remove(ProcessId pid);
    // Every process, in pid order (shutdown, statistics).
    template <class F>
    void for_each(F&& visit) const {
        for (const auto& [pid, entry] : m_processes)
            visit(*entry.process);
    }
    // Parked receivers whose deadline passed become Ready (their retried recv says TIMEOUT).
    void expire_timeouts(Nanos now);

    Priority effective_priority_of(ProcessId pid, Nanos now) const;
    SchedulerStats stats() const;
    u64 context_switches() const { return m_context_switches; }
    Process* find(ProcessId pid) const;

  private:
    struct Entry {
        Ref<Process> process;
        Nanos ready_since = 0;
        bool running = false;       // Between pick() and finish(): its state is the slice's.
        bool wake_pending = false;  // wake() came while running.
    };

    void make_ready(Entry& entry, Nanos now);
    // True when `a` is to run before `b` (priority, then EDF at Realtime); false for equals.
    bool runs_before(ProcessId a, ProcessId b, Nanos now) const;

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
