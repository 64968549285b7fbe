// call and reply on endpoints (ABI.md "Functions"): a request that carries a reply-to, the
// caller parked (holding no thread) until the answer lands or its timeout passes, and the
// handler's answer to the message being handled.
//
// The caller's side is one syscall retried by the engine: (1) the first attempt checks and
// queues the request and parks with a PendingCall; (2) each retry after a wake looks at the
// slot: answered -> copy the reply out; failed -> NOT_FOUND; deadline passed -> TIMEOUT.
//
// A reply may move up to four handles, as a send does. The caller finds them right after
// the reply's payload in its response buffer: four i32 slots, 0 where unused (as in the
// info record), written whenever resp_cap leaves room for them; a reply that moves handles
// needs that room (else BUFFER_TOO_SMALL, and the handles are dropped with the answer).
#include <array>
#include <cstring>

#include "kernel/endpoint.h"
#include "kernel/message_trace.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {

SyscallResult from(const Error& error) {
    return SyscallResult::failed(error.code);
}

constexpr u32 kHandleSlotsSize = 4 * kMaxMessageHandles;

// The caller's side of an answered call: payload, then the handle slots when they fit.
SyscallResult take_answer(CallSlot::Answer& answer, HandleTable& table, std::span<u8> response) {
    std::size_t length = answer.payload.size();
    bool slots_fit = length + kHandleSlotsSize <= response.size();
    if (length > response.size() || (answer.handle_count != 0 && !slots_fit))
        return SyscallResult::failed(Status::BufferTooSmall);
    if (table.size() + answer.handle_count > table.max_handles())
        return SyscallResult::failed(Status::Limit);
    std::memcpy(response.data(), answer.payload.data(), length);
    if (slots_fit) {
        std::array<u32, kMaxMessageHandles> values{};
        for (u32 i = 0; i < answer.handle_count; ++i) {
            auto value = table.insert(std::move(answer.handles[i]));
            ESTA_ASSERT(value.has_value());  // Room was checked above.
            values[i] = value->value();
        }
        std::memcpy(response.data() + length, values.data(), kHandleSlotsSize);  // LE host.
    }
    return SyscallResult::of(static_cast<i64>(length));
}

}  // namespace

SyscallResult Syscalls::call_endpoint(Call& call) {
    Process& caller = call.process;
    auto response = guest_range(call.memory, call.u32_arg(4), call.u32_arg(5));
    Nanos now = m_clock.now_ns();

    // (2) A retry: the call is already in flight.
    if (std::optional<PendingCall>& pending = caller.pending_call()) {
        Ref<CallSlot> held = pending->slot;  // Outlives pending.reset() below.
        CallSlot& slot = *held;
        observe::KernelObserver* observer = m_services.observer;
        if (slot.answered()) {
            CallSlot::Answer& answer = *slot.answer();
            pending.reset();
            if (observer) observer->call_ended(caller.pid().value(), 0);
            if (!response) return from(response.error());
            return take_answer(answer, caller.handles(), *response);
        }
        if (slot.failed()) {
            pending.reset();
            if (observer) observer->call_ended(caller.pid().value(), i32(Status::NotFound));
            return SyscallResult::failed(Status::NotFound);
        }
        if (pending->deadline && now >= *pending->deadline) {
            slot.abandon();  // A late reply is refused.
            pending.reset();
            if (observer) observer->call_ended(caller.pid().value(), i32(Status::Timeout));
            return SyscallResult::failed(Status::Timeout);
        }
        caller.prepare_wait(ProcessState::Waiting);  // Woken early: keep waiting.
        return SyscallResult::block();
    }

    // (1) Decode: the ranges, the op (the request's message type) and the timeout.
    HandleValue target(call.u32_arg(0));
    u32 op = call.u32_arg(1);
    i64 timeout_ms = call.i64_arg(6);
    if (is_kernel_message_type(MessageType(op))) return SyscallResult::failed(Status::InvalidArgs);
    auto request = guest_range(call.memory, call.u32_arg(2), call.u32_arg(3));
    if (!request) return from(request.error());
    if (!response) return from(response.error());
    auto timeout = Timeout::from_abi_ms(timeout_ms, now);
    if (!timeout) return from(timeout.error());
    if (timeout->is_poll()) return SyscallResult::failed(Status::InvalidArgs);  // Cannot wait.

    // Check: the endpoint (WRITE), a live receiver, room in its mailbox.
    HandleTable& table = caller.handles();
    auto endpoint = table.get<Endpoint>(target, Right::Write, call.context);
    if (!endpoint) return from(endpoint.error());
    Endpoint& destination = (*endpoint)->destination();  // An upgraded receiver's new version.
    if (!destination.receiver_alive()) return SyscallResult::failed(Status::NotFound);
    Message message;
    message.type = MessageType(op);
    message.sender = caller.pid();
    message.sender_badge = (*table.lookup(target, call.context))->node().badge();
    message.time = now;
    message.payload.assign(request->begin(), request->end());
    auto admission = destination.mailbox().admit(message);
    if (!admission) return from(admission.error());
    if (*admission != Admission::Queue) {
        // A request is never dropped silently nor evicts another: a full mailbox is refused.
        return SyscallResult::failed(Status::MailboxFull);
    }

    // Invoke: spend the use, queue the request with its reply-to, park the caller.
    auto used = table.consume_use(target, call.context);
    if (!used) return from(used.error());
    auto slot = make_ref<CallSlot>(caller.pid());
    message.reply_to = slot;
    if (m_services.observer) {
        // The caller's CLIENT span is the handler's parent (O-4).
        stamp_trace(message,
                    m_services.observer->call_started(message_facts(
                        message, destination.receiver(), destination.mailbox().size() + 1)));
    }
    caller.pending_call() = PendingCall{slot, timeout->deadline()};
    SendReceipt receipt = destination.mailbox().push(std::move(message), *admission);
    if (receipt.wake_receiver) m_waker.wake(destination.receiver());
    caller.prepare_wait(ProcessState::Waiting);
    return SyscallResult::block();
}

SyscallResult Syscalls::reply(Call& call) {
    u32 type = call.u32_arg(0);
    Process& handler = call.process;
    HandleTable& table = handler.handles();

    // (1) Decode: a kernel type is refused; the payload and the moved handles in memory.
    if (is_kernel_message_type(MessageType(type)))
        return SyscallResult::failed(Status::InvalidArgs);
    auto payload = guest_range(call.memory, call.u32_arg(1), call.u32_arg(2));
    if (!payload) return from(payload.error());
    auto moved = read_moved_handles(call.memory, call.u32_arg(3), call.u32_arg(4));
    if (!moved) return from(moved.error());
    if (payload->size() > kDefaultMaxPayload) return SyscallResult::failed(Status::PayloadTooLarge);

    // (2) Check, in send's order: the target (a reply-to), TRANSFER on each moved handle,
    // then a caller still waiting (one that gave up, timed out or ended is gone: NOT_FOUND,
    // and the handles stay here).
    Ref<CallSlot>& reply_to = handler.reply_to();
    if (!reply_to) return SyscallResult::failed(Status::NotFound);  // Expects no reply.
    if (auto movable = check_movable(table, *moved, call.context); !movable)
        return from(movable.error());
    Ref<CallSlot> slot = std::move(reply_to);  // Answered at most once.
    if (slot->settled()) return SyscallResult::failed(Status::NotFound);

    // (3) Invoke: move the handles into the answer, answer, wake the caller.
    CallSlot::Answer answer{type, {payload->begin(), payload->end()}, {}, 0};
    for (u32 i = 0; i < moved->count; ++i) {
        auto handle = table.take_for_transfer(moved->values[i], call.context);
        ESTA_ASSERT(handle.has_value());  // Checked in (2), nothing ran in between.
        answer.handles[answer.handle_count++] = std::move(*handle);
    }
    bool answered = slot->answer(std::move(answer));
    ESTA_ASSERT(answered);  // Not settled, checked in (2).
    m_waker.wake(slot->caller());
    if (m_services.observer) {
        m_services.observer->replied(handler.pid().value(), slot->caller().value(), type,
                                     payload->size());
    }
    return SyscallResult::of(0);
}

}  // namespace esta::kernel
