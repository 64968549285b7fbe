// LockstepGate (REQUIREMENTS K-60): lockstep for a Kernel process spawned `critical`.
//
// The process itself is replica 0 (the leader): the scheduler runs it like any other, and
// its syscalls reach the kernel. The gate owns replica 1 (the checker): a second instance
// of the same module in a store of its own (its own memory, globals, value stack and
// frames), whose syscalls never reach the kernel: each is answered from the leader's
// journaled answer to the same request (results and the bytes the kernel wrote), like a
// T-1 replay. Per message:
//
//   - while the leader handles it, every syscall it completes is journaled here (one entry
//     of the leader's EffectLog each), and sends, audit records, logs and metrics are
//     held: checked as usual, answered, but not applied; so are the message's T-1 journal
//     records (its delivery and answers: a refused attempt is not on the record);
//   - driver and endpoint calls, replies, spawns and capability changes (cap_derive,
//     cap_revoke, cap_drop) cannot be held (the handler needs their answer to go on): they
//     are sync points. The leader's request acts only once the checker has made the
//     identical request at the same place (agree()), and only the leader's reaches the
//     kernel, so it acts once; the checker is given the leader's journaled answer (the
//     same pid or handle). Otherwise it is refused unacted (UNAVAILABLE to the leader), the
//     message has diverged, and nothing of it leaves. One that acted before the replicas
//     parted is not acted again by the retry (kept());
//   - when the leader's handler returns, the checker finishes its own copy of the message,
//     each request it makes compared with the leader's, then each replica's outcome, and
//     the 4 KiB pages the message dirtied plus the globals, byte for byte;
//   - equal: the held effects are applied in order (release) and the released state takes
//     the dirtied pages; different: nothing is applied, both replicas are restored to the
//     released state and the leader handles the message again; a second difference
//     quarantines the process (LockstepPolicy: alarm, metric; the kernel kills it and
//     tells its region's guard).
//
// Common-mode guard: the lowered code (shared by both replicas) is checksummed at spawn and
// re-verified every `code_check_interval` messages (counted, so deterministic) and after any
// mismatch; a corrupt copy quarantines (the code both replicas run cannot be trusted).
//
// Two cores: with `checker_thread` (the default) the checker runs on a thread of its own
// (ReplicaWorker, pinned to `checker_core` when set) from the moment the leader takes the
// message, concurrently with it; each of its syscalls waits until the leader's answer to
// the same request is journaled (or the leader finished without one: a divergence), and
// the leader waits for the checker only at sync points and at the end, so the result never
// depends on the timing. Without it the checker runs on the leader's thread: up to the
// leader's place at a sync point, and to its end after the leader's.
// Critical processes are reactive (one handler run per message) and use the syscalls the
// gate can journal (allowed()). Their guest spans are provisional while a message is in
// hand (the observer's GuestSpans::hold) and exported when it is released, forgotten when
// it is retried or not released, so each is exported once. The consumer span of a retried
// message is the first attempt's: one per message.
//
// Threads: the kernel calls it for one process, under the kernel lock except for agree()
// and finish(), which the process's own thread calls without it (they wait for the checker).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "kernel/abi_table.h"
#include "kernel/cap_node.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/redundancy/effect_log.h"
#include "kernel/redundancy/lockstep_policy.h"
#include "kernel/redundancy/released_state.h"
#include "kernel/redundancy/replica.h"
#include "kernel/redundancy/replica_worker.h"
#include "observe/metrics.h"
#include "protocol/input_log.h"
#include "wasm/wasm.h"

namespace esta::kernel {

struct KernelLockstepConfig {
    u32 code_check_interval = 64;    // Messages; 0 checks only after a mismatch.
    u64 message_fuel = 100'000'000;  // The checker's budget for one message.
    bool checker_thread = true;      // Run the checker concurrently, on a thread of its own.
    int checker_core = -1;           // Pin that thread to this core; < 0 leaves it unpinned.
    LockstepConfig policy{};
};

// What the kernel gives critical processes: where alarms and counters go. Borrowed; outlives
// the kernel.
struct KernelLockstepSupport {
    observe::MetricsRegistry* metrics = nullptr;
    SafetySink* sink = nullptr;
    KernelLockstepConfig config{};
};

struct LockstepCheck {
    LockstepDecision decision = LockstepDecision::Release;
    u32 released = 0;  // Effects applied (Release).
};

class LockstepGate {
  public:
    // The checker instance of `module` with `entry` as its handler. Errors: the
    // instantiation's; NotFound without the handler export.
    static Result<std::unique_ptr<LockstepGate>> create(
        std::shared_ptr<const wasm::CompiledModule> module, std::string entry, std::string subject,
        const KernelLockstepSupport& support);
    ~LockstepGate();
    LockstepGate(const LockstepGate&) = delete;
    LockstepGate& operator=(const LockstepGate&) = delete;

    // The syscalls a critical process may make.
    static bool allowed(std::string_view function);

    // The leader is instantiated (its init ran): its state is the first released state, and
    // the checker starts from a copy of it.
    Result<void> attach(wasm::Instance& leader);

    // The leader's handler took message `seq` (again, for a retry). The checker gets the
    // message the way the leader does, from recv's journaled answer.
    void message_taken(wasm::Instance& leader, u64 seq);
    bool in_message() const { return m_in_message; }
    // A syscall the leader completed within the message, with the kernel's answer.
    void answered(protocol::SyscallAnswer answer);

    // Sync points: the syscalls whose effect cannot be held (driver and endpoint `call`,
    // `reply`, `spawn`, `cap_derive`, `cap_revoke`, `cap_drop`), because the handler needs
    // their answer.
    static bool sync_point(std::string_view function);
    // The leader is about to make sync-point `request` (its first attempt; a parked call's
    // retries are the same request): waits until the checker made its request at the same
    // place of the message and says whether the two are identical. False: the request must
    // not act (take_refusal() says so to the syscall layer), and the message has diverged.
    bool agree(const protocol::SyscallAnswer& request);
    // A retry's sync-point `request` that its refused attempt already made and acted on,
    // at the same place after the same requests: that attempt's answer, which the syscall
    // layer gives again instead of acting twice (no second spawn, capability change,
    // driver request or reply). Null otherwise: the request acts.
    const protocol::SyscallAnswer* kept(const protocol::SyscallAnswer& request) const;
    // True once after agree() refused: the leader's next syscall is refused unacted.
    bool take_refusal() { return std::exchange(m_refuse_next, false); }
    // A journal record (T-1) of the message in hand: its delivery, a syscall's answer.
    // Written in order when the message is released or the leader ends within it (before
    // the held effects); dropped when the replicas disagreed (the retry is journaled
    // instead, or, quarantined, the message was not handled), so the journal holds each
    // input's answers once.
    void journal(std::function<void()> write) { m_records.push_back(std::move(write)); }
    // An effect of the leader's current syscall (its request is in the log through
    // answered()), applied by `release` only if the replicas agree, in the order held.
    void hold(EffectKind kind, std::function<void()> release);
    // The uses the held sends and audits of the message in hand will spend at release: a
    // check within the message counts them (a one-use handle's second send is refused at
    // the syscall, as it is for an ordinary process).
    PendingUses& pending_uses() { return m_pending_uses; }

    // The leader's handler returned `code`: waits for (or runs) the checker to its end and
    // closes both logs. The leader's thread calls it without the kernel lock; check() does
    // it when nobody did.
    void finish(wasm::Instance& leader, i32 code);
    // After finish(): compares and decides. Release
    // applies the held effects; Retry restores both replicas (the kernel redelivers the
    // message); Quarantine discards.
    Result<LockstepCheck> check(wasm::Instance& leader, i32 code, Nanos now);
    // The leader ended within the message (trap, exit): nothing of it is released.
    void discard();

    // Tests and the fault campaign: flips a bit in a replica of the next message (the
    // leader's memory as the message is taken; the checker's memory, value stack, frame or
    // lowered code after `at_fuel` instructions).
    void plan_fault(const FaultPlan& fault) { m_fault = fault; }

    const LockstepPolicy& policy() const { return m_policy; }
    u64 messages() const { return m_messages; }
    u64 code_checks() const { return m_code_checks; }

  private:
    struct Held {
        EffectKind kind;
        std::function<void()> release;
    };
    LockstepGate(std::shared_ptr<const wasm::CompiledModule> module, std::string subject,
                 const KernelLockstepSupport& support);
    Result<void> instantiate(const std::string& entry);
    wasm::HostResult replay(const abi::Function& function, wasm::LinearMemory* memory,
                            std::span<const wasm::Value> args, std::span<wasm::Value> results);
    // Runs the checker's handler until it ends (its outcome as (how, code)) or, without a
    // checker thread, until it needs an answer the leader has not journaled yet (nullopt).
    std::optional<std::pair<u64, u64>> run_checker();
    // The checker's `index`-th answer once the leader journaled it (waiting for it on the
    // checker thread); null when the leader finished the message without it, or (no
    // checker thread) has not reached it yet.
    const protocol::SyscallAnswer* next_answer(std::size_t index);
    // The checker made its next syscall (`request`, kept when it is a sync point); stopped:
    // it makes no more in this message.
    void checker_reached(const protocol::SyscallAnswer& request, bool sync);
    void checker_stopped();
    // The leader will journal nothing more for this message; the checker is done after.
    void leader_done();
    void wait_checker();
    void close_logs(wasm::Instance& leader, i32 code);
    void end_message();
    void write_records();

    std::shared_ptr<const wasm::CompiledModule> m_module;
    std::string m_subject;
    KernelLockstepConfig m_config;
    LockstepPolicy m_policy;
    observe::Digest m_code_digest{};
    ReleasedState m_released;

    // The checker.
    wasm::Store m_store;
    wasm::Instance* m_instance = nullptr;
    wasm::FuncRef m_handler = nullptr;
    std::optional<wasm::Execution> m_execution;

    // The message in hand.
    bool m_in_message = false;
    bool m_finished = false;  // finish() ran.
    u64 m_seq = 0;
    // Shared by the two threads, under m_journal_mutex: the leader's answers (a deque, so
    // an answer the checker holds stays put while the leader appends), how many syscalls
    // the checker made (and its request at the last one when it is a sync point), and
    // whether either side is done.
    std::mutex m_journal_mutex;
    std::condition_variable m_journal_changed;
    std::deque<protocol::SyscallAnswer> m_journal;
    bool m_leader_done = false;
    std::size_t m_checker_reached = 0;
    std::optional<protocol::SyscallAnswer> m_checker_sync;
    bool m_checker_stopped = false;
    std::unique_ptr<ReplicaWorker> m_worker;
    bool m_checker_running = false;
    // The checker's run (its thread's while it runs): fuel granted, whether it started and
    // is parked at a host call waiting for the leader (no checker thread), its outcome.
    u64 m_checker_given = 0;
    bool m_checker_started = false;
    bool m_checker_waiting = false;
    std::optional<std::pair<u64, u64>> m_checker_outcome;
    std::optional<FaultPlan> m_checker_fault;  // This attempt's, for the checker thread.
    std::size_t m_cursor = 0;                  // The checker's next answer.
    bool m_checker_diverged = false;
    // The leader's side: a sync point refused in this message (later ones are refused at
    // once), and the refusal the syscall layer has not taken yet.
    bool m_sync_refused = false;
    bool m_refuse_next = false;
    std::vector<Held> m_held;
    PendingUses m_pending_uses;
    std::vector<std::function<void()>> m_records;  // journal()'s, in order.
    // The leader's answers of a message's refused attempt and which of them acted (sync
    // points the replicas agreed on), for kept(); this attempt's, and whether its requests
    // so far are that attempt's.
    std::vector<protocol::SyscallAnswer> m_previous;
    std::vector<bool> m_previous_acted;
    std::vector<bool> m_acted;
    bool m_same_as_previous = false;
    EffectLog m_leader_log;
    EffectLog m_checker_log;
    DirtyPageTracker m_leader_dirty;
    DirtyPageTracker m_checker_dirty;

    std::optional<FaultPlan> m_fault;
    u64 m_messages = 0;
    u64 m_code_checks = 0;
    u32 m_since_check = 0;
};

// An effect entry for a syscall request (the same for both replicas' identical requests).
void log_request(EffectLog& log, const protocol::SyscallAnswer& request);

}  // namespace esta::kernel
