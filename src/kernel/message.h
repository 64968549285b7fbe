// Messages between processes (REQUIREMENTS K-3..K-5, ABI.md "send" and "recv"): a type id,
// a payload of at most 1 MiB by default, a priority 0–7, the ABI's flags, and up to four
// handles the message owns while in flight (moved out of the sender's table, into the
// receiver's on delivery; dropped with the message if it is discarded).
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "base/strong_id.h"
#include "base/types.h"
#include "kernel/call_slot.h"
#include "kernel/handle.h"
#include "kernel/ids.h"
#include "kernel/realtime/miss_policy.h"

namespace esta::kernel {

struct MessageTypeTag {};
using MessageType = StrongId<MessageTypeTag, u32>;

// K-5: the kernel's message types. The kernel owns 0x0000–0x000F and 0xFF00–0xFFFF, plus
// 0x0100 for driver records (ABI.md); every other id is the application's.
namespace message_types {
inline constexpr MessageType kAny{0x0000};  // As a receive filter: any type.
inline constexpr MessageType kPing{0x0001};
inline constexpr MessageType kPong{0x0002};
// A live upgrade's first message to the new version: a reactive module's estalogic_migrate
// (when exported) runs with it in hand; its payload is a value map with from_version (text)
// and from_sha256 (bytes), the version it replaces.
inline constexpr MessageType kModuleUpgrade{0x0003};
inline constexpr MessageType kDriverRecord{0x0100};
inline constexpr MessageType kSystemShutdown{0xFFFF};
// The ESTA application's types (K-5), named here so tests and examples agree on them.
inline constexpr MessageType kAccrualRequest{0x0010};
inline constexpr MessageType kAccrualResponse{0x0011};
inline constexpr MessageType kAuditStart{0x0020};
inline constexpr MessageType kAuditRecord{0x0021};
inline constexpr MessageType kAuditEnd{0x0022};
}  // namespace message_types

// True for ids only the kernel may send (guests sending them get INVALID_ARGS).
constexpr bool is_kernel_message_type(MessageType type) {
    u32 id = type.value();
    return id <= 0x000F || id >= 0xFF00 || id == message_types::kDriverRecord.value();
}

inline constexpr u32 kDefaultMaxPayload = 1u << 20;  // 1 MiB; equal passes (K-42).
inline constexpr u32 kMaxMessagePriority = 7;
inline constexpr u32 kMessagePriorityLevels = kMaxMessagePriority + 1;

// ABI `send` flags. Priority travels in bits 8–10 of the same word.
namespace send_flags {
inline constexpr u32 kRequireAck = 1u << 0;
inline constexpr u32 kTransactional = 1u << 1;
inline constexpr u32 kPersistent = 1u << 2;
inline constexpr u32 kPriorityShift = 8;
inline constexpr u32 kPriorityMask = 0x7u << kPriorityShift;
inline constexpr u32 kKnown = kRequireAck | kTransactional | kPersistent | kPriorityMask;
}  // namespace send_flags

struct Message {
    MessageType type;
    ProcessId sender;
    u32 sender_badge = 0;  // The sender's identity as the receiver's endpoint names it.
    u8 priority = 0;       // 0..7, higher first (K-4).
    u32 flags = 0;         // send_flags without the priority bits.
    u64 seq = 0;           // Assigned by the receiving mailbox when queued.
    Nanos time = 0;        // Kernel time of the send (what `now` reports to the handler).
    // W3C trace context (O-4): the trace, the sender's span (the receiver's parent) and the
    // trace flags; all zero when the message carries no trace.
    std::array<u8, 16> trace_id{};
    std::array<u8, 8> span_id{};
    u8 trace_flags = 0;
    // K-53: handle by this kernel time (inclusive), else `on_miss` applies; `late` marks a
    // DeliverLate message whose miss was already counted.
    std::optional<Nanos> deadline;
    MissPolicy on_miss = MissPolicy::DeliverLate;
    bool late = false;
    std::vector<u8> payload;
    std::array<Handle, kMaxMessageHandles> handles;
    u32 handle_count = 0;
    // Set by `call` on an endpoint: where the handler's `reply` goes.
    Ref<CallSlot> reply_to;

    // Appends a moved handle; false (and the handle left untouched) when four are aboard.
    bool attach(Handle& handle) {
        if (handle_count >= kMaxMessageHandles) return false;
        handles[handle_count++] = std::move(handle);
        return true;
    }
    // Everything but the handles (which move, never copy): what a supervisor keeps to
    // dead-letter or redeliver a message whose handling trapped.
    Message copy_without_handles() const {
        Message copy;
        copy.type = type;
        copy.sender = sender;
        copy.sender_badge = sender_badge;
        copy.priority = priority;
        copy.flags = flags;
        copy.seq = seq;
        copy.time = time;
        copy.trace_id = trace_id;
        copy.span_id = span_id;
        copy.trace_flags = trace_flags;
        copy.deadline = deadline;
        copy.on_miss = on_miss;
        copy.late = late;
        copy.payload = payload;
        copy.reply_to = reply_to;
        return copy;
    }
};

}  // namespace esta::kernel
