// Mailbox: a process's bounded, priority-ordered message queue (REQUIREMENTS K-3, K-4).
//
// Ordering: a higher message priority (0–7) is delivered first; within one priority,
// messages leave in the order they arrived, so FIFO holds per (sender, receiver, priority)
// and, for one priority, per (sender, receiver). Selective receive (a type filter) takes the
// first message that matches in that order and leaves the others queued.
//
// Sending is two steps, as every syscall is: admit() checks and decides without changing
// anything (payload limit, handles, capacity and the overflow mode), then push() performs
// the decision and cannot fail. A full mailbox never grows: NotifySender fails with
// MAILBOX_FULL, DropNewest discards the incoming message, DropOldest evicts the oldest
// queued one, BlockSender tells the sender to park (park_sender) until space frees.
//
// Nothing here blocks or owns a thread: a receive that would wait says so and lets the
// scheduler register the receiver as a waiter; push() reports when that waiter should wake.
//
// Not thread-safe: the owning endpoint's lock guards the mailbox (scheduler issue).
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "kernel/message.h"
#include "kernel/priority.h"

namespace esta::kernel {

enum class OverflowMode : u8 { DropNewest, DropOldest, BlockSender, NotifySender };

std::string_view overflow_mode_name(OverflowMode mode);

struct MailboxConfig {
    u32 capacity = 1024;
    OverflowMode overflow = OverflowMode::NotifySender;  // K-3's default.
    u32 max_payload = kDefaultMaxPayload;

    static MailboxConfig for_priority(Priority priority) {
        return MailboxConfig{.capacity = default_mailbox_capacity(priority)};
    }
};

// How long a receive may wait, in kernel time. The ABI's timeout_ms maps onto it:
// 0 = poll (EMPTY if nothing matches), -1 = forever, > 0 = until now + ms.
class Timeout {
  public:
    static Timeout poll() { return Timeout(Kind::Poll, 0); }
    static Timeout forever() { return Timeout(Kind::Forever, 0); }
    static Timeout until(Nanos deadline) { return Timeout(Kind::Until, deadline); }
    // INVALID_ARGS for a negative value other than -1. Saturates far deadlines.
    static Result<Timeout> from_abi_ms(i64 timeout_ms, Nanos now);

    bool is_poll() const { return m_kind == Kind::Poll; }
    bool is_forever() const { return m_kind == Kind::Forever; }
    // The deadline, for Until.
    std::optional<Nanos> deadline() const {
        return m_kind == Kind::Until ? std::optional<Nanos>(m_deadline) : std::nullopt;
    }
    bool passed(Nanos now) const { return m_kind == Kind::Until && now >= m_deadline; }

  private:
    enum class Kind : u8 { Poll, Forever, Until };
    Timeout(Kind kind, Nanos deadline) : m_kind(kind), m_deadline(deadline) {}
    Kind m_kind;
    Nanos m_deadline;
};

enum class Admission : u8 {
    Queue,         // Room: the message is queued.
    DropIncoming,  // Full, DropNewest: the message is discarded (the sender is told ok).
    EvictOldest,   // Full, DropOldest: the oldest queued message makes room.
    BlockSender,   // Full, BlockSender: nothing happens; park the sender and retry.
};

struct SendReceipt {
    u64 seq = 0;
    bool queued = false;               // False when DropNewest discarded it.
    bool wake_receiver = false;        // The parked receiver's filter matches: make it ready.
    std::optional<Message> discarded;  // The dropped or evicted message (its handles go with it).
};

// A queued message whose deadline passed (K-53), as the mailbox found it. DeliverLate
// messages stay queued, marked late; Drop and Escalate ones are taken out and come here.
struct DeadlineMiss {
    u64 seq = 0;
    MessageType type;
    ProcessId sender;
    Nanos deadline = 0;
    Nanos found_at = 0;
    MissPolicy policy = MissPolicy::DeliverLate;
    std::optional<Message> removed;  // Drop / Escalate: never delivered.
};

struct MailboxStats {
    u64 queued = 0;
    u64 received = 0;
    u64 dropped_newest = 0;
    u64 evicted_oldest = 0;
    u64 rejected_full = 0;
    u32 high_water = 0;
};

class Mailbox {
  public:
    explicit Mailbox(MailboxConfig config = {});

    const MailboxConfig& config() const { return m_config; }
    const MailboxStats& stats() const { return m_stats; }
    u32 size() const { return m_size; }
    bool closed() const { return m_closed; }

    // (1) Decide: SHUTTING_DOWN once closed, PAYLOAD_TOO_LARGE over max_payload (equal
    // passes), INVALID_ARGS for more than four handles or a priority above 7, MAILBOX_FULL
    // when full in NotifySender mode; otherwise what push() will do. Changes nothing.
    Result<Admission> admit(const Message& message) const;
    // (2) Perform an admission that is not BlockSender. Assigns the sequence number.
    SendReceipt push(Message message, Admission admission);
    // Both steps at once, for callers with nothing to check in between.
    Result<SendReceipt> send(Message message);

    // The next message matching `filter` (kAny = any): highest priority first, arrival order
    // within. Errors: BUFFER_TOO_SMALL when its payload exceeds `buffer_capacity` (it stays
    // queued; detail.actual is its length), EMPTY for a poll, TIMEOUT once the deadline has
    // passed, SHUTTING_DOWN once closed and drained of matches. nullopt means "would block":
    // park the receiver (park_receiver) and retry when woken or when the deadline passes.
    Result<std::optional<Message>> receive(MessageType filter, const Timeout& timeout, Nanos now,
                                           u32 buffer_capacity = ~u32{0});
    // Puts a message taken a moment ago back at the head of its priority (a supervisor
    // retrying a handler that trapped), keeping its sequence number. May exceed the capacity
    // by the one message that was just taken out of it.
    void requeue_front(Message message);

    // K-53. The earliest deadline among the queued messages (late ones included): how
    // urgent this mailbox's process is under EDF. nullopt when none carries one.
    std::optional<Nanos> earliest_deadline() const;
    // The earliest deadline not yet found missed: when collect_missed() next has work.
    std::optional<Nanos> next_miss_check() const;
    // Finds the messages whose deadline passed before `now` (exactly at it is on time):
    // DeliverLate ones are marked late, Drop/Escalate ones taken out; each is recorded once
    // for take_misses(). receive() does this first, so it never hands out a dropped one.
    void collect_missed(Nanos now);
    // The misses found so far, oldest first (the kernel counts, reports and dead-letters).
    std::vector<DeadlineMiss> take_misses() { return std::exchange(m_misses, {}); }

    // The message receive() would take, without taking it.
    const Message* peek(MessageType filter) const;

    // The receiver waits for a message matching `filter` until `timeout`.
    void park_receiver(MessageType filter, const Timeout& timeout);
    bool receiver_parked() const { return m_waiter.has_value(); }
    // True (and the waiter cleared) when the parked receiver's deadline has passed at `now`;
    // the scheduler then resumes it, and its retried receive reports TIMEOUT.
    bool expire_receiver(Nanos now);

    // A sender told BlockSender waits for room; senders are released in the order they
    // parked, one per freed slot.
    void park_sender(ProcessId sender);
    // The next parked sender to retry, when there is room for it (or the mailbox closed).
    // Called after each receive; a sender that finds the room taken again parks again.
    std::optional<ProcessId> take_unblocked_sender();

    // Refuses further sends; queued messages can still be received. Returns true when a
    // parked receiver must be woken (its retried receive reports SHUTTING_DOWN once
    // drained). Parked senders are released too, to learn SHUTTING_DOWN on their retry.
    bool close();

  private:
    struct Waiter {
        MessageType filter;
        Timeout timeout;
    };

    static bool matches(MessageType filter, const Message& message) {
        return filter == message_types::kAny || filter == message.type;
    }
    // The queue and position of the first match, highest priority first.
    std::optional<std::pair<u32, std::size_t>> find(MessageType filter) const;
    Message evict_oldest();
    // Keep the deadline indexes in step with the queues.
    void track(const Message& message);
    void untrack(const Message& message);

    MailboxConfig m_config;
    MailboxStats m_stats;
    std::array<std::deque<Message>, kMessagePriorityLevels> m_queues;
    u32 m_size = 0;
    u64 m_next_seq = 1;
    bool m_closed = false;
    std::optional<Waiter> m_waiter;
    std::deque<ProcessId> m_blocked_senders;
    std::multiset<Nanos> m_deadlines;            // Of every queued message that has one.
    std::set<std::pair<Nanos, u64>> m_unmissed;  // (deadline, seq) not yet found missed.
    std::vector<DeadlineMiss> m_misses;
};

}  // namespace esta::kernel
