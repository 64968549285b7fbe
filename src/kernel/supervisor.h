// Supervision (REQUIREMENTS K-30..K-32) as pure decisions: given a failure and the
// kernel's (injected) time, what to restart, how hard, and not before when. Nothing here
// reads a clock, starts a process or touches a mailbox; the caller acts on the plan, so
// the same failures at the same instants always give the same plans (T-2, replay).
//
//   Escalation     K-30: L1 restart with state .. L5 restart system; 3 failures within
//                  60 s at a level move up one level; any failure at L4 goes to L5.
//   restart_delay  K-31: first restart immediate, then 1000 ms x 2^(n-1), capped at 30 s.
//   PoisonFilter   K-31: a message whose handling trapped with 4001..4006 or 3003 goes to
//                  the dead-letter sink with its trap; 3001 and 3002 are retried once.
//   Supervisor     K-32: one-for-one, one-for-all, rest-for-one over an ordered child list.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"
#include "kernel/message.h"
#include "wasm/trap.h"

namespace esta::kernel {

// ---- K-30 escalation ----------------------------------------------------------------

enum class EscalationLevel : u8 {
    RestartWithState = 1,   // L1: restart the process, keeping its persisted state.
    RestartClean = 2,       // L2: restart from a fresh state.
    ReloadModule = 3,       // L3: load and validate the module again, then start clean.
    RestartSupervisor = 4,  // L4: restart the supervisor and with it every child.
    RestartSystem = 5,      // L5: restart the whole system.
};
std::string_view escalation_level_name(EscalationLevel level);  // "L1 restart with state", ...

inline constexpr u32 kEscalationFailures = 3;
inline constexpr Nanos kEscalationWindow = 60 * kNanosPerSecond;

// The escalation state of one supervised child. Only the failures at the current level
// count towards the next: moving up starts the count again.
class Escalation {
  public:
    EscalationLevel level() const { return m_level; }

    // Records a failure at `now` and returns the level at which to answer it. The failure
    // that completes 3 within 60 s is itself answered one level up.
    EscalationLevel record_failure(Nanos now);

    // Back to L1 with no history (the operator, or a supervisor restart, cleared it).
    void reset();

  private:
    EscalationLevel m_level = EscalationLevel::RestartWithState;
    // The failures at this level still inside the window, oldest first. Bounded: at most
    // kEscalationFailures - 1 survive a call, so the history never grows.
    std::array<Nanos, kEscalationFailures> m_recent{};
    u32 m_recent_count = 0;
};

// ---- K-31 restart timing ------------------------------------------------------------

inline constexpr Nanos kRestartBaseDelay = 1000 * kNanosPerMilli;
inline constexpr Nanos kRestartMaxDelay = 30'000 * kNanosPerMilli;

// The wait before restart number `restart` (1-based): restart 1 is immediate; the n-th
// delayed restart (restart n + 1) waits 1000 ms x 2^(n-1), at most 30 000 ms. Restart 0
// is treated as the first.
Nanos restart_delay(u32 restart);

// ---- K-31 poison messages ------------------------------------------------------------

// One message that could not be handled, as the dead-letter sink keeps it. Handles the
// message carried are not kept: they were dropped with the delivery.
struct DeadLetterRecord {
    ProcessId process;  // The handler that trapped.
    MessageType type;
    ProcessId sender;
    u64 seq = 0;
    wasm::TrapKind trap = wasm::TrapKind::None;
    u32 trap_function = 0;
    u32 trap_offset = 0;
    u32 attempts = 0;  // Deliveries made, the trapping ones included.
    Nanos time = 0;    // Kernel time of the decision.
    std::vector<u8> payload;
    std::optional<Nanos> deadline;  // Set when it expired unhandled (K-53), not a trap.
};

// Where poison messages go. The kernel depends on this interface only; the durable
// protocol::DeadLetterQueue is plugged in behind it by the runtime.
class DeadLetterSink {
  public:
    virtual ~DeadLetterSink() = default;
    virtual Result<void> add(DeadLetterRecord record) = 0;
};

// Keeps records in memory (tests, and kernels run without a journal).
class InMemoryDeadLetters final : public DeadLetterSink {
  public:
    Result<void> add(DeadLetterRecord record) override;
    const std::vector<DeadLetterRecord>& records() const { return m_records; }

  private:
    std::vector<DeadLetterRecord> m_records;
};

enum class TrapClass : u8 {
    Poison,     // 4001..4006, 3003: the same input would trap again; never retried.
    Transient,  // 3001 timeout, 3002 out of memory: may pass on a second try.
    Other,      // Not a handler trap (None, or a code this kernel does not know).
};
TrapClass classify_trap(wasm::TrapKind kind);

enum class MessageDisposition : u8 {
    Retry,             // Deliver the same message again after the restart.
    DeadLettered,      // Recorded in the sink; continue with the next message.
    NotAMessageFault,  // Not a handler trap: escalation alone decides (message kept).
};

// Decides, per handling process, what becomes of a message whose handling trapped.
class PoisonFilter {
  public:
    explicit PoisonFilter(DeadLetterSink& sink) : m_sink(sink) {}

    // `message` trapped with `trap` in `process` at `now`. Errors are the sink's; then
    // nothing is forgotten, so the next call for the same message decides again.
    Result<MessageDisposition> on_handler_trap(ProcessId process, const Message& message,
                                               const wasm::Trap& trap, Nanos now);
    // The message was handled: its retry count is dropped.
    void on_handled(ProcessId process, u64 seq);
    // Messages with a pending retry (bounded by the messages in flight).
    std::size_t pending_retries() const { return m_attempts.size(); }

  private:
    DeadLetterSink& m_sink;
    // (process, seq) -> deliveries that trapped so far, for messages awaiting a retry.
    std::map<std::pair<u32, u64>, u32> m_attempts;
};

// ---- K-32 strategies and the supervisor ---------------------------------------------

enum class RestartStrategy : u8 {
    OneForOne,   // Only the failed child.
    OneForAll,   // Every child.
    RestForOne,  // The failed child and every child started after it.
};

// The children (indices into the start-ordered list) a failure of `failed` restarts.
std::vector<std::size_t> children_to_restart(RestartStrategy strategy, std::size_t child_count,
                                             std::size_t failed);

// What each level means to the kernel (runtime/kernel_supervision.cc):
//   L1  a new instance on the same endpoint: queued messages are kept (the state the
//       kernel holds for a process); the message in hand per K-31.
//   L2  as L1, but clean: the queued messages go to the dead-letter sink (an operator can
//       replay them) instead of being delivered to the new instance.
//   L3  as L2, after loading and validating the module again (ProcessSpec::reload).
//   L4  the supervisor restarts: every child as at L3, and the supervisor's state starts
//       over, but it stays marked: any failure of any child before they are all stable
//       again is answered at L5 (K-30's "any failure at L4 goes to L5").
//   L5  the system: every supervised child of the kernel restarts as at L3, every
//       supervisor starts over, and the node is told (SystemEscalation).
struct RestartPlan {
    EscalationLevel level = EscalationLevel::RestartWithState;
    std::vector<std::size_t> children;  // In start order; all of them at L4 and L5.
    u32 restart = 0;                    // The failed child's restart number at this level.
    Nanos not_before = 0;               // now + restart_delay(restart).
};

class Supervisor {
  public:
    // InvalidArgs "supervisor.no_children" for an empty list.
    static Result<Supervisor> create(RestartStrategy strategy, std::vector<std::string> children);

    RestartStrategy strategy() const { return m_strategy; }
    std::size_t child_count() const { return m_children.size(); }
    const std::string& child_name(std::size_t child) const;
    EscalationLevel level(std::size_t child) const;

    // Child `child` failed at `now`: the plan to carry out. InvalidArgs
    // "supervisor.no_such_child" for an index past the list.
    Result<RestartPlan> on_child_failure(std::size_t child, Nanos now);

    // The child has been healthy long enough (the kernel's stable_after): its escalation
    // and restart count start over; once no child has a restart left to live down, the
    // supervisor's L4 mark clears.
    Result<void> on_child_stable(std::size_t child);
    // Every child back to L1 with no history, the L4 mark cleared (a system restart).
    void reset();
    // Restarted at L4 and not yet stable again: the next failure is the system's.
    bool at_supervisor_level() const { return m_at_supervisor_level; }

  private:
    struct Child {
        std::string name;
        Escalation escalation;
        u32 restarts = 0;
    };
    Supervisor(RestartStrategy strategy, std::vector<Child> children)
        : m_strategy(strategy), m_children(std::move(children)) {}

    RestartStrategy m_strategy;
    std::vector<Child> m_children;
    bool m_at_supervisor_level = false;
};

// Where L5 goes beyond the kernel: the node (its host restarts the kernel's process, or an
// operator is paged). Called with the kernel lock held; must not block.
class SystemEscalation {
  public:
    virtual ~SystemEscalation() = default;
    virtual void restart_system(ProcessId failed, Nanos now) = 0;
};

}  // namespace esta::kernel
