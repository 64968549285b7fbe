// KernelObserver: what the kernel tells observability about its work (REQUIREMENTS O-2, O-4,
// O-5). The kernel holds one pointer to it (null: nothing is observed and nothing costs more
// than a branch) and calls it, under its own lock, at the points below. The types are plain
// (process ids as u32, statuses as the ABI's numbers), so observe does not depend on the
// kernel; KernelTelemetry (kernel_telemetry.h) is the implementation that makes spans,
// metrics and audit records of the calls.
//
// Implementations must not block (they run on scheduler threads) and must not call back
// into the kernel.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "base/types.h"

namespace esta::observe {

// The W3C trace fields a message carries: the traceparent without its version. A message
// whose trace id is all zero carries no trace.
struct MessageTrace {
    std::array<u8, 16> trace_id{};
    std::array<u8, 8> span_id{};
    u8 flags = 0;

    bool valid() const;
};

struct MessageFacts {
    u32 sender = 0;  // 0: the kernel itself.
    u32 receiver = 0;
    u32 type = 0;
    u64 bytes = 0;
    u64 seq = 0;
    u8 priority = 0;
    u32 mailbox_depth = 0;  // The receiver's queue after the send.
    // message_sent: the producer span's parent when it is not what the sender works under
    // now (K-60: a held send, released after its message, has the parent it was sent under).
    const MessageTrace* parent = nullptr;
};

struct DriverCallFacts {
    u32 caller = 0;
    std::string_view kind;      // The handle kind's ABI name: "keyspace", "database", "topic".
    std::string_view resource;  // The object's name (key prefix, database, topic).
    i32 op = 0;
};

// A capability decision (REQUIREMENTS K-18), named as the kernel's cap_event_kind_name does:
// "create", "validate_denied", "delegate", "revoke", "expire", "use_limit_reached".
struct CapabilityFacts {
    std::string_view kind;
    i64 at = 0;
    u32 process = 0;
    u64 cap = 0;
    u64 parent = 0;
    u64 object = 0;
    u64 rights = 0;
    i32 status = 0;  // The ABI status of a denial, 0 otherwise.
    u64 count = 0;
};

struct ProcessCounts {
    u32 ready = 0;
    u32 running = 0;
    u32 waiting = 0;
    u32 blocked = 0;
};

class KernelObserver {
  public:
    virtual ~KernelObserver() = default;

    // Process life.
    virtual void process_spawned(u32 pid, u32 parent, std::string_view entry) = 0;
    // `reason` is ExitReason's text; a trap gives its ABI code (4001 ..).
    virtual void process_exited(u32 pid, std::string_view reason, std::optional<u32> trap_code) = 0;
    virtual void process_restarted(u32 pid, u32 restarts) = 0;
    // After every slice: the fuel it burnt.
    virtual void slice_ended(u32 pid, u64 fuel) = 0;
    // How to count processes by state, asked when metrics are collected (not per slice,
    // which would cost a walk over every process); null detaches (the kernel's destructor).
    // The source takes the kernel's lock, so it is never called under the observer's.
    virtual void process_counts_source(std::function<ProcessCounts()> source) = 0;

    // Messages. message_sent returns the trace the message carries (the producer span's
    // context, a child of what the sender is handling). message_received: `pid` starts
    // handling a message (recv returned it, or the kernel called its handler); the message's
    // trace becomes the parent of what `pid` does until message_handled or the next one.
    virtual MessageTrace message_sent(const MessageFacts& message) = 0;
    virtual void message_refused(const MessageFacts& message, i32 status) = 0;
    virtual void message_received(const MessageFacts& message, const MessageTrace& trace) = 0;
    virtual void message_handled(u32 pid) = 0;
    virtual void dead_lettered(const MessageFacts& message, std::string_view reason) = 0;

    // call/reply on an endpoint: the request carries the returned trace; call_ended when the
    // caller sees the answer (status 0), a failure or its timeout.
    virtual MessageTrace call_started(const MessageFacts& request) = 0;
    virtual void call_ended(u32 caller, i32 status) = 0;
    virtual void replied(u32 handler, u32 caller, u32 type, u64 bytes) = 0;

    // A driver call, synchronous inside the syscall: started, then ended with its status.
    virtual void driver_call_started(const DriverCallFacts& call) = 0;
    virtual void driver_call_ended(u32 caller, i32 status) = 0;

    virtual void capability(const CapabilityFacts& decision) = 0;

    // The guest's span_begin/span_end (ABI.md): ids as GuestSpans gives them.
    virtual Result<i64> guest_span_begin(u32 pid, std::string_view name) = 0;
    virtual Result<void> guest_span_end(u32 pid, i64 span_id, i32 status) = 0;
    // K-60: a critical process's guest spans are provisional while its replicas handle a
    // message (GuestSpans::hold), then exported or forgotten with the message's effects.
    virtual void guest_spans_hold(u32 pid) = 0;
    // What `pid`'s work hangs under now (a guest span, the message it handles), for a send
    // whose producer span starts later (MessageFacts::parent); invalid: nothing.
    virtual MessageTrace current_trace(u32 pid) = 0;
    virtual void guest_spans_settle(u32 pid, bool keep) = 0;
};

}  // namespace esta::observe
