// Kernel: the runtime that owns and runs everything (REQUIREMENTS K-1..K-7, K-30..K-32,
// K-43, T-2, T-4). It owns the object-id allocator, the capability tree, the syscall layer,
// every process, one Scheduler per scheduler thread, the supervisors and the watchdog; the
// clock, the capability audit and the dead-letter sink are injected.
//
// Two ways to run:
//   run_until_idle()   on the caller's thread, every scheduler in turn, on the injected
//                      clock: fully deterministic, for tests and replays.
//   start()/shutdown() N scheduler threads (one per core by default) plus the watchdog
//                      thread; shutdown() sends SystemShutdown (0xFFFF) to every process,
//                      closes the mailboxes, waits up to the grace period, then stops and
//                      joins the threads and kills what is left.
//
// Threading: one recursive kernel lock guards processes' bookkeeping, mailboxes, handle
// tables and the capability tree; it is held around each syscall and around picking and
// finishing a slice, never while a guest runs. A process waiting in recv or call holds no
// thread. Each process runs on the thread its pid is assigned to.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kernel/cap_tree.h"
#include "kernel/handled_messages.h"
#include "kernel/persistent_messages.h"
#include "kernel/process.h"
#include "kernel/redundancy/replica.h"
#include "kernel/runtime/fairness.h"
#include "kernel/runtime/kernel_config.h"
#include "kernel/runtime/watchdog.h"
#include "kernel/safety_hooks.h"
#include "kernel/scheduler.h"
#include "kernel/supervisor.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

// A capability to grant at spawn, by the name cap_lookup finds it under. The kernel mints
// it (a root grant) each time the process starts, so a restarted process gets it again.
struct GrantSpec {
    std::string name;
    Ref<KernelObject> object;
    Rights rights;
    u32 badge = 0;
};

struct ProcessSpec {
    std::shared_ptr<const wasm::CompiledModule> module;
    // Journaled with each start (T-1), so a replay can find the process by name and verify
    // it is given the same module: a name ("" for none) and the module's SHA-256 (V-2).
    std::string name;
    std::array<u8, 32> module_sha256{};
    // Loads and validates the module again (from its file or store), for an L3+ restart
    // (K-30); without it the compiled module in memory is reused.
    std::function<Result<std::shared_ptr<const wasm::CompiledModule>>()> reload;
    std::string entry = "_start";
    Priority priority = Priority::Normal;
    // fuel_per_slice is replaced by K-2's slice for the priority (KernelConfig's
    // calibration) unless `slice_fuel` says otherwise.
    ProcessBudgets budgets{};
    std::optional<u64> slice_fuel;
    std::optional<MailboxConfig> mailbox;
    std::vector<GrantSpec> grants;
    // K-60: run as two lockstep replicas whose effects are compared before any leaves
    // (redundancy/lockstep_gate.h); the module must be reactive.
    bool critical = false;
};

struct ChildSpec {
    std::string name;
    ProcessSpec spec;
};

// What a crash left behind (K-31): where it trapped, what became of the message being
// handled, and the supervisor's answer.
struct CrashReport {
    ProcessId pid;
    std::string exit;  // ExitReason::to_string().
    wasm::TrapKind trap = wasm::TrapKind::None;
    u32 trap_function = 0;
    u32 trap_offset = 0;
    Nanos time = 0;
    std::optional<u64> message_seq;  // The message in hand, if a reactive handler trapped.
    std::optional<MessageDisposition> disposition;
    std::optional<EscalationLevel> level;  // Supervised: the escalation level answering.
    std::optional<Nanos> restart_at;       // Supervised: when the restart is due.
};

// A message from the kernel itself (Kernel::send): its priority 0..7 and, for K-53, an
// absolute deadline on the kernel clock with what to do if it passes unhandled.
struct SendOptions {
    u8 priority = 0;
    std::optional<Nanos> deadline;
    MissPolicy on_miss = MissPolicy::DeliverLate;
};

struct ProcessInfo {
    ProcessState state;
    Priority priority;
    std::optional<ExitReason> exit;
    u64 fuel_used = 0;
    u64 failed_messages = 0;
    u32 restarts = 0;
};

struct KernelStats {
    u32 running = 0;
    u32 ready = 0;
    u32 waiting = 0;
    u32 blocked = 0;
    u64 context_switches = 0;
    u64 preemptions = 0;
    u64 watchdog_interrupts = 0;
    u64 retried_messages = 0;  // T-4 / K-31: redeliveries after a 3001/3002.
    u64 dead_lettered = 0;
    u64 system_restarts = 0;  // K-30 L5.
    // K-60: messages of critical processes run again after their replicas disagreed, and
    // critical processes stopped after a second disagreement.
    u64 lockstep_retries = 0;
    u64 lockstep_quarantines = 0;
    // K-53: missed message deadlines, in all and by MissPolicy (DeliverLate, Drop, Escalate).
    u64 deadline_misses = 0;
    std::array<u64, 3> deadline_misses_by_policy{};
    double context_switches_per_second = 0;  // Over the current fairness window.
    std::array<std::optional<double>, kPriorityCount> fairness{};  // Current window (K-7).
    std::array<std::optional<double>, kPriorityCount> fairness_last{};
};

class Kernel final : private ProcessWaker, private KernelSpawner {
  public:
    Kernel(const protocol::Clock& clock, CapabilityAudit& audit, DeadLetterSink& dead_letters,
           KernelConfig config = {}, SyscallServices services = {});
    ~Kernel() override;
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    // Starts a process (state Ready). Errors are Process::spawn's.
    Result<ProcessId> spawn(ProcessSpec spec);
    // Starts supervised children in order under one supervisor (K-32); a crashed child is
    // restarted on its own endpoint with its pid, per the strategy and K-31's timing.
    Result<std::vector<ProcessId>> supervise(RestartStrategy strategy,
                                             std::vector<ChildSpec> children);
    // One more grant for a live process (wiring processes to each other after spawn).
    Result<void> grant(ProcessId pid, GrantSpec grant);
    // A process's endpoint, to grant to others; nullptr for an unknown pid.
    Ref<Endpoint> endpoint(ProcessId pid);
    // A module as a kernel object, to grant (EXECUTE) to a process that spawns from it.
    Ref<KernelObject> module_object(std::string name,
                                    std::shared_ptr<const wasm::CompiledModule> module);
    // A message from the kernel itself (external input; kernel types allowed). Errors are
    // the mailbox's, NOT_FOUND for an unknown or ended process.
    Result<u64> send(ProcessId pid, MessageType type, std::vector<u8> payload, u8 priority = 0);
    Result<u64> send(ProcessId pid, MessageType type, std::vector<u8> payload, SendOptions options);
    // Up to `max` messages processes sent to `endpoint`, oldest first: an endpoint no process
    // receives on, which the host reads (a node's sink). Taken under the kernel lock, so
    // it is safe while the threads run; a sender parked on the full mailbox is woken.
    std::vector<Message> take(Endpoint& endpoint, std::size_t max);
    // Ends a process for good (a live upgrade's old version, kernel_upgrade.cc): no
    // supervisor restarts it, its endpoint closes. Errors: NotFound, Invalid while it is
    // handling a message or has messages queued (the caller waits until it has finished).
    Result<void> retire(ProcessId pid);
    // A live upgrade's switch: sends through handles to `from`'s endpoint go to `to`'s
    // from now on (Endpoint::forward_to); what is queued for `from` stays for it to finish.
    // A send by pid (send() above) is not forwarded: a pid names one process. Errors:
    // NotFound for either pid, Invalid when they are the same.
    Result<void> redirect(ProcessId from, ProcessId to);
    // Nothing is queued for `pid` and it is handling nothing (true once it ended; false for
    // an unknown pid).
    bool settled(ProcessId pid);
    // Queues a persistent message recovered from the journal, as its sender sent it
    // (kernel_restore.cc); returns its mailbox sequence. Errors are send()'s.
    Result<u64> restore(ProcessId pid, Message message);

    // Deterministic run on the caller's thread: slices until nothing is ready (every
    // process completed or waiting) or `max_slices` ran. Returns the slices run. Due
    // restarts start, and expired timeouts fire, at the injected clock's time. Invalid
    // while the threads run.
    Result<u64> run_until_idle(u64 max_slices = 1'000'000);

    // Starts the scheduler threads (config.threads, 0 = one per core) and the watchdog.
    Result<void> start();
    // Stops everything (see the header comment). Idempotent; the destructor calls it.
    void shutdown();
    // Threads running: waits (wall clock, up to `timeout`) until nothing is ready or
    // running. True when idle.
    bool wait_idle(Nanos timeout);

    std::optional<ProcessInfo> process(ProcessId pid);
    KernelStats stats();
    std::vector<CrashReport> crash_reports();
    u32 scheduler_count() const { return static_cast<u32>(m_workers.size()); }
    // The scheduler (thread) a pid runs on.
    u32 scheduler_of(ProcessId pid) const { return pid.value() % scheduler_count(); }
    // The watchdog, for tests that drive it with their own times.
    Watchdog& watchdog() { return m_watchdog; }
    // K-60 tests and the fault campaign: a bit flip in one replica of a critical process's
    // next message (LockstepGate::plan_fault). NotFound for a pid that is not critical.
    Result<void> plan_lockstep_fault(ProcessId pid, const FaultPlan& fault);
    // Tells `listener` (borrowed; it outlives the kernel or is removed first) each message a
    // handler finished without trapping.
    void watch_handled(HandledMessages* listener);
    void unwatch_handled(HandledMessages* listener);

  private:
    struct Worker {
        explicit Worker(SchedulerConfig config) : scheduler(config) {}
        Scheduler scheduler;
        std::condition_variable_any wake;
        std::thread thread;
    };
    struct Record {
        Ref<Process> process;  // The current incarnation.
        ProcessSpec spec;
        std::optional<std::pair<std::size_t, std::size_t>> supervision;  // (group, child).
        u32 restarts = 0;
        u32 lives = 0;     // Starts journaled so far.
        std::string name;  // The supervision name; empty for an anonymous spawn.
        // The message the handler took, when, and the process's fuel before it (K-43's
        // operation limit counts the handler's instructions; K-50 times it).
        struct Taken {
            u64 seq = 0;
            Nanos at = 0;
            u64 fuel = 0;
        };
        std::optional<Taken> taken;
    };
    struct Group {
        Supervisor supervisor;
        std::vector<ProcessId> children;
    };
    struct PendingRestart {
        ProcessId pid;
        Nanos not_before = 0;
        EscalationLevel level = EscalationLevel::RestartWithState;
    };
    struct StableCheck {
        ProcessId pid;
        Nanos due = 0;
        u32 restarts = 0;  // Record::restarts then: a later failure cancels the check.
    };

    // ProcessWaker / KernelSpawner (called with the lock held, from syscalls).
    void wake(ProcessId pid) override;
    Result<Ref<Process>> spawn(SpawnRequest request) override;

    Result<Ref<Process>> start_process(ProcessId pid, Record& record, Ref<Endpoint> endpoint);
    SpawnRequest request_for(const ProcessSpec& spec, ProcessId pid);
    Worker& worker_of(ProcessId pid) { return *m_workers[scheduler_of(pid)]; }

    // One slice on `worker`'s scheduler: false when nothing was ready.
    Result<bool> run_one(u32 worker);
    void after_slice(Process& process, const SliceReport& report, Nanos now);
    // Tells the safety hooks that the handler took `next` (peeked before the slice).
    void note_delivery(Process& process, const std::optional<std::pair<u64, Nanos>>& next,
                       u64 fuel_before, Nanos picked);
    // Closes the fairness window when due; the context-switch rate restarts with it.
    void roll_window(Nanos now);
    // The observer's share of a finished slice: fuel, states, an ended process.
    void observe_slice(Process& process, const SliceReport& report);
    void settle_reply(Process& process);
    // kernel_lockstep.cc (K-60): a critical process's handler finished a message;
    // compares its replicas and releases, retries or quarantines. True when the message
    // is done (released).
    bool settle_lockstep(Process& process, Nanos now);
    // Callers whose requests were queued at an endpoint that closed: their call fails.
    void wake_orphaned_callers(Endpoint& endpoint);
    bool idle_locked() const;
    // Every scheduler's counts added up (kernel lock held).
    SchedulerStats scheduler_totals() const;
    void worker_loop(u32 worker);
    void watchdog_loop();

    // kernel_deadlines.cc (K-53): misses found by sweeps on the kernel clock before each
    // slice, and by receives during one, are counted, reported and handled by policy.
    void watch_deadlines(ProcessId pid, const Mailbox& mailbox);
    void sweep_deadlines(Nanos now);
    void handle_misses(Process& process, Nanos now);
    // A message that will never be handled (a miss, a clean restart) goes to the
    // dead-letter sink; its journal entry is spent and a waiting caller told.
    void dead_letter_unhandled(ProcessId pid, Message& message, Nanos now,
                               std::optional<Nanos> deadline);

    // kernel_supervision.cc
    void on_crash(Process& process, Nanos now);
    void schedule_restart(ProcessId pid, Nanos not_before, EscalationLevel level);
    void restart_system(ProcessId failed, Nanos not_before, Nanos now);
    void start_due_restarts(Nanos now);
    Result<void> prepare_restart(Record& record, Mailbox& mailbox, EscalationLevel level,
                                 Nanos now);
    void settle_stable_children(Nanos now);

    const protocol::Clock& m_clock;
    KernelConfig m_config;
    DeadLetterSink& m_dead_letters;
    PersistentMessages* m_persistent;         // Borrowed from the services; may be null.
    observe::KernelObserver* m_observer;      // Borrowed from the services; may be null.
    KernelAnswerRecorder* m_recorder;         // Borrowed from the services; may be null.
    SafetyHooks* m_safety;                    // Borrowed from the services; may be null.
    const KernelLockstepSupport* m_lockstep;  // Borrowed from the services; may be null.
    u64 m_lockstep_retries = 0;
    u64 m_lockstep_quarantines = 0;
    std::vector<HandledMessages*> m_handled;  // Borrowed (watch_handled).
    mutable std::recursive_mutex m_lock;
    ObjectIdAllocator m_ids;
    CapTree m_tree;
    Syscalls m_syscalls;
    PoisonFilter m_poison;
    std::vector<std::unique_ptr<Worker>> m_workers;
    Watchdog m_watchdog;
    FairnessMeter m_fairness;
    std::map<ProcessId, Record> m_records;
    std::vector<Group> m_groups;
    std::vector<PendingRestart> m_restarts;
    std::set<ProcessId> m_retired;  // Never restarted again (retire()).
    std::vector<StableCheck> m_stable_checks;
    u64 m_system_restarts = 0;
    std::vector<CrashReport> m_crashes;
    u32 m_next_pid = 1;
    u64 m_retried = 0;
    u64 m_dead_lettered = 0;
    u64 m_window_switches_base = 0;
    std::set<std::pair<Nanos, ProcessId>> m_deadline_watch;  // (next miss check, pid).
    std::array<u64, 3> m_deadline_misses{};                  // By MissPolicy.

    bool m_shutting_down = false;  // No restarts once shutdown() began.
    bool m_threads_running = false;
    std::atomic<bool> m_stop{false};
    std::thread m_watchdog_thread;
    std::mutex m_watchdog_mutex;
    std::condition_variable m_watchdog_wake;
};

}  // namespace esta::kernel
