// Process (REQUIREMENTS K-1): one module instance with its own store, mailbox, handle table,
// priority and budgets. A process is a kernel object, so handles to it (spawn's result) can
// be held and moved like any other.
//
// Lifecycle: Created -> Ready -> Running -> {Ready, Waiting, Blocked, Completed};
// Waiting/Blocked -> Ready; any state but Completed -> Completed when killed. transition()
// refuses every other move, so a scheduler bug cannot silently resurrect a finished process.
//
// run_slice() executes the guest until it finishes, traps, exits, blocks in a host call, or
// its slice's fuel runs out; a suspended guest holds no C++ stack or thread (the engine
// keeps its stacks on the heap), which is what lets an actor block in recv.
//
// Threading: one scheduler thread runs a process at a time (its store is single-threaded);
// state changes happen under the scheduler's lock (scheduler issue).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "kernel/call_slot.h"
#include "kernel/endpoint.h"
#include "kernel/handle_table.h"
#include "kernel/mailbox.h"
#include "kernel/module_style.h"
#include "kernel/object.h"
#include "kernel/priority.h"
#include "observe/kernel_observer.h"
#include "wasm/wasm.h"

namespace esta::kernel {

class KernelAnswerRecorder;  // syscalls/services.h
class LockstepGate;          // redundancy/lockstep_gate.h
struct KernelLockstepSupport;

// X(Name)
#define ESTA_PROCESS_STATE_LIST(X) X(Created) X(Ready) X(Running) X(Waiting) X(Blocked) X(Completed)

enum class ProcessState : u8 {
#define ESTA_PROCESS_STATE_ENUM(name) name,
    ESTA_PROCESS_STATE_LIST(ESTA_PROCESS_STATE_ENUM)
#undef ESTA_PROCESS_STATE_ENUM
};

std::string_view process_state_name(ProcessState state);
// Whether K-1's lifecycle allows `from` -> `to`.
bool is_allowed_transition(ProcessState from, ProcessState to);

// Why a process completed (K-1): normal, code(n), killed, crashed(trap or error category).
struct ExitReason {
    enum class Kind : u8 { Normal, Code, Killed, Crashed };
    Kind kind = Kind::Normal;
    i32 code = 0;                    // Code: the exit code.
    std::optional<wasm::Trap> trap;  // Crashed by a trap (code 3001..4006).
    Status error = Status::Ok;       // Crashed by a kernel-side error instead.

    static ExitReason normal() { return {}; }
    static ExitReason with_code(i32 code) { return {Kind::Code, code, std::nullopt, Status::Ok}; }
    static ExitReason killed() { return {Kind::Killed, 0, std::nullopt, Status::Ok}; }
    static ExitReason crashed(wasm::Trap trap) { return {Kind::Crashed, 0, trap, Status::Ok}; }
    static ExitReason crashed(Status error) { return {Kind::Crashed, 0, std::nullopt, error}; }

    // "normal", "code(3)", "killed", "crashed(trap 4001)", "crashed(Internal)".
    std::string to_string() const;
};

struct ProcessBudgets {
    // Fuel per scheduling slice; when spent the guest is suspended, not trapped (the
    // scheduler calibrates fuel to the priority's time slice; this is the default of the
    // prototype's "yield at least every 1 000 000 instructions").
    u64 fuel_per_slice = 1'000'000;
    wasm::InstanceLimits memory{};
    wasm::StackLimits stack{};
    HandleTableConfig handles{};
};

// A handle granted at spawn under the name cap_lookup will find it by.
struct Grant {
    std::string name;
    Handle handle;
};

struct SpawnRequest {
    std::shared_ptr<const wasm::CompiledModule> module;
    // An exported function () -> () or () -> i32. When the module has no `_start` but
    // exports estalogic_handle, it is reactive.
    std::string entry = "_start";
    Priority priority = Priority::Normal;
    ProcessBudgets budgets{};
    std::optional<MailboxConfig> mailbox;  // Default: by priority (K-3).
    std::vector<Grant> grants;
    ProcessId parent = kKernelProcess;
    bool kernel_work = false;  // Only the kernel's own work may run at System priority.
    Nanos now = 0;             // Kernel time of the spawn (the first `now`).
    // A supervisor's restart reuses the endpoint of the process it replaces (same pid),
    // so senders' handles and queued messages carry over.
    Ref<Endpoint> endpoint;
    // Supervised: completion leaves the endpoint open; the supervisor restarts the process
    // on it or closes it (Endpoint::detach_receiver).
    bool supervised = false;
    // Told when a reactive handler takes and finishes a message (may be null; borrowed).
    observe::KernelObserver* observer = nullptr;
    // Borrowed, may be null: told each message a reactive handler starts on (T-1).
    KernelAnswerRecorder* recorder = nullptr;
    // Set: the process is critical and runs in lockstep (K-60, redundancy/lockstep_gate.h);
    // it must be reactive. Borrowed.
    const KernelLockstepSupport* lockstep = nullptr;
};

// An endpoint `call` the process is parked in: the slot the reply lands in, and when the
// caller stops waiting (nullopt: forever).
class DriverCallSlot;

struct PendingCall {
    Ref<CallSlot> slot;
    std::optional<Nanos> deadline;
};

class Process;

// Defines the host functions a process may import (the syscall layer's `estalogic` module)
// in the process's own store: a host function belongs to one store, and each process has
// its own. Host functions may keep a pointer to `process`: the store they live in is the
// process's, so they cannot outlive it.
class ImportProvider {
  public:
    virtual ~ImportProvider() = default;
    virtual void define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) = 0;
};

// What a slice ended with, for the scheduler.
struct SliceResult {
    ProcessState state;  // Ready (preempted or slice spent), Waiting, Blocked or Completed.
    u64 fuel_used = 0;
};

class Process final : public KernelObject {
    struct Key {};

  public:
    static constexpr ObjectType kType = ObjectType::Process;

    // Creates a process in state Created: instantiates `request.module` in a store of its
    // own with the functions `imports` defines, installs the grants in
    // its handle table and sizes its mailbox. Errors: INVALID_ARGS (no module, System
    // priority for guest work, duplicate grant names), NOT_FOUND (no such entry export),
    // WRONG_TYPE (the entry is not a function () -> () or () -> i32), Unlinkable (an import
    // the linker lacks), LIMIT (memory or grants over budget), Invalid (the start function
    // trapped). Nothing is left behind on failure (the grants are dropped).
    static Result<Ref<Process>> spawn(SpawnRequest request, ProcessId pid, ObjectIdAllocator& ids,
                                      CapTree& tree, ImportProvider& imports);

    Process(Key, ProcessId pid, ObjectIdAllocator& ids, CapTree& tree, SpawnRequest& request);
    ~Process() override;

    ProcessId pid() const { return m_pid; }
    ProcessId parent() const { return m_parent; }
    Priority priority() const { return m_priority; }
    ProcessState state() const { return m_state; }
    const std::optional<ExitReason>& exit_reason() const { return m_exit; }
    const ProcessBudgets& budgets() const { return m_budgets; }
    u64 fuel_used() const { return m_fuel_used; }
    ModuleStyle style() const { return m_style; }
    // Reactive: messages whose handler returned < 0 (the supervisor's policy applies later).
    u64 failed_messages() const { return m_failed_messages; }
    // Reactive: the message being handled, until the handler receives it with recv.
    std::optional<Message>& current_message() { return m_current_message; }
    // Reactive: a copy (without handles) of the message whose handler is running, kept
    // after a trap so the supervisor can retry or dead-letter it.
    const std::optional<Message>& message_in_hand() const { return m_message_in_hand; }
    // After a trap: the message in hand with the handles it carried that the handler still
    // held (or had not yet received), taken back from the table before it was cleared, so
    // a retried delivery (T-4) brings them again. Empty afterwards.
    std::optional<Message> take_message_in_hand() { return std::exchange(m_message_in_hand, {}); }
    // recv delivered the message in hand, its handles as these values in this table.
    void note_delivered_handles(std::span<const HandleValue> values) {
        m_delivered_handles.assign(values.begin(), values.end());
    }
    // The reply-to of the message being handled (`reply` answers it), if it came by `call`.
    Ref<CallSlot>& reply_to() { return m_reply_to; }
    // The endpoint `call` this process is parked in, if any.
    std::optional<PendingCall>& pending_call() { return m_pending_call; }
    // The driver `call` this process is parked in, if any (driver_calls.h).
    std::shared_ptr<DriverCallSlot>& pending_driver_call() { return m_pending_driver_call; }
    // The parked call is due for its retry: its deadline passed, or it failed (the
    // target's endpoint closed) without a wake reaching this process.
    bool call_expired(Nanos now) const {
        if (!m_pending_call) return false;
        if (m_pending_call->slot->failed()) return true;
        return m_pending_call->deadline && now >= *m_pending_call->deadline;
    }
    bool supervised() const { return m_supervised; }
    // Critical (K-60): the gate holding its checker replica and its held effects; null
    // for an ordinary process.
    LockstepGate* lockstep() const { return m_lockstep.get(); }
    // Critical: the code the last handler returned, and a retry of the message it handled
    // (the lockstep replicas disagreed): the next slice runs the handler on it again,
    // with the handles it carried (taken back from the table if recv delivered them).
    i32 last_handler_code() const { return m_last_code; }
    void redo_message();
    // Critical: the replicas agreed on the message: its guest spans are exported, its
    // consumer span ends, handles it carried that the handler did not take drop now.
    void message_agreed();
    const Message* lockstep_message() const {
        return m_lockstep_copy ? &*m_lockstep_copy : nullptr;
    }
    // Reactive: the sequence number of the message whose handler just returned (once).
    std::optional<u64> take_finished_seq() { return std::exchange(m_finished_seq, std::nullopt); }

    HandleTable& handles() { return m_handles; }
    Mailbox& mailbox() { return m_endpoint->mailbox(); }
    // The process's own endpoint; the kernel grants handles to it (with badges) to senders.
    const Ref<Endpoint>& endpoint() const { return m_endpoint; }

    // The kernel time `now` reports: the time of the message being handled (T-2), or the
    // spawn time before the first message.
    Nanos current_time() const { return m_current_time; }
    void set_current_time(Nanos time) { m_current_time = time; }
    wasm::Store& store() { return *m_store; }
    wasm::Instance& instance() { return *m_instance; }

    // Grants one more handle under `name` after spawn (the application wiring processes
    // to each other). INVALID_ARGS for a name already granted, LIMIT when the table is full.
    Result<HandleValue> add_grant(std::string name, Handle handle);
    // cap_lookup: the handle granted under `name`, NOT_FOUND otherwise.
    Result<HandleValue> lookup_grant(std::string_view name) const;

    // Moves along the lifecycle; Invalid for a move K-1 does not allow.
    Result<void> transition(ProcessState to);
    // The syscall layer calls this inside a host function that returns Block, so the
    // suspension that follows is reported as Waiting (recv) or Blocked (a driver call)
    // rather than a spent slice.
    void prepare_wait(ProcessState waiting_or_blocked);

    // Runs the guest from Ready for one slice (entry on the first slice, resume after). A
    // reactive process starts its handler for the next queued message, or waits for one.
    // The process must be Ready; it is Running meanwhile. `preempt`/`interrupt` are the
    // scheduler's and watchdog's flags. With `kernel_lock` (several scheduler threads), the
    // bookkeeping before and after the guest runs holds it; the guest itself runs without.
    Result<SliceResult> run_slice(const std::atomic<bool>* preempt = nullptr,
                                  const std::atomic<bool>* interrupt = nullptr,
                                  std::recursive_mutex* kernel_lock = nullptr);

    // Syscall bookkeeping for calls the engine retries after a suspension: the deadline of
    // a blocking recv (fixed at its first attempt) and a pending yield.
    std::optional<Timeout>& recv_deadline() { return m_recv_deadline; }
    bool& yield_pending() { return m_yield_pending; }

    // Ends the process from outside (a supervisor): Killed, mailbox closed, handles dropped.
    // No effect once Completed.
    void kill();

  private:
    Result<void> instantiate(std::shared_ptr<const wasm::CompiledModule> module,
                             const std::string& entry, ImportProvider& imports);
    void complete(ExitReason reason);
    Result<SliceResult> begin_slice();
    Result<SliceResult> end_slice(Result<wasm::Outcome> outcome);
    Result<void> resolve_entry(const std::string& entry);
    Result<void> resolve_migrate();
    // The export that runs the message in hand (a reactive process).
    wasm::FuncRef handler() const;
    // Reactive: the handler's invocation ended with `code` (0 = done, < 0 = failed).
    void finish_message(i32 code);
    // After a trap, before the table is cleared: see take_message_in_hand().
    void reclaim_message_handles();

    ProcessId m_pid;
    ProcessId m_parent;
    Priority m_priority;
    ProcessBudgets m_budgets;
    ProcessState m_state = ProcessState::Created;
    std::optional<ProcessState> m_pending_wait;
    std::optional<ExitReason> m_exit;
    u64 m_fuel_used = 0;
    bool m_started = false;
    ModuleStyle m_style = ModuleStyle::Actor;
    std::optional<Message> m_current_message;
    std::optional<Message> m_message_in_hand;
    std::vector<HandleValue> m_delivered_handles;  // Of the message in hand, by recv.
    Ref<CallSlot> m_reply_to;
    std::optional<PendingCall> m_pending_call;
    std::shared_ptr<DriverCallSlot> m_pending_driver_call;
    bool m_supervised = false;
    observe::KernelObserver* m_observer = nullptr;
    KernelAnswerRecorder* m_recorder = nullptr;
    std::optional<u64> m_finished_seq;
    std::unique_ptr<LockstepGate> m_lockstep;
    std::optional<Message> m_lockstep_copy;         // The message in hand, kept for a retry.
    std::vector<HandleValue> m_lockstep_delivered;  // Its handles recv put in the table.
    bool m_redo = false;
    i32 m_last_code = 0;
    u64 m_failed_messages = 0;
    std::optional<Timeout> m_recv_deadline;
    bool m_yield_pending = false;

    std::unique_ptr<wasm::Store> m_store;
    wasm::Instance* m_instance = nullptr;  // Owned by m_store.
    wasm::FuncRef m_entry = nullptr;       // Owned by m_store.
    wasm::FuncRef m_migrate = nullptr;     // estalogic_migrate, when exported; m_store's.
    wasm::Execution m_execution;
    HandleTable m_handles;
    Ref<Endpoint> m_endpoint;
    Nanos m_current_time = 0;
    std::vector<std::pair<std::string, HandleValue>> m_grants;
};

}  // namespace esta::kernel
