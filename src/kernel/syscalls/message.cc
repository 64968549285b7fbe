// send and recv (ABI.md "Functions", REQUIREMENTS K-3, K-4): handles move with messages,
// the info record is written for every received message.
#include <array>
#include <cstring>

#include "kernel/abi_table.h"
#include "kernel/endpoint.h"
#include "kernel/message_trace.h"
#include "kernel/persistent_messages.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/safety_hooks.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {

SyscallResult from(const Error& error) {
    return SyscallResult::failed(error.code);
}

// The info record (abi::info_record(): version 1, 72 bytes, little-endian, no padding).
struct InfoRecord {
    std::array<u8, abi::kInfoRecordSize> bytes{};

    template <class T>
    void put(u32 offset, T value) {
        for (u32 i = 0; i < sizeof(T); ++i) {
            bytes[offset + i] = static_cast<u8>(static_cast<u64>(value) >> (8 * i));
        }
    }
    void fill(const Message& message, const std::array<HandleValue, kMaxMessageHandles>& handles) {
        put<u32>(0, abi::kInfoRecordSize);
        put<u32>(4, message.type.value());
        put<u32>(8, static_cast<u32>(message.payload.size()));
        put<u32>(12, message.flags | (u32{message.priority} << send_flags::kPriorityShift));
        put<u64>(16, message.seq);
        put<u64>(24, static_cast<u64>(message.time));
        put<u32>(32, message.sender_badge);
        put<u32>(36, message.handle_count);
        for (u32 i = 0; i < kMaxMessageHandles; ++i)
            put<u32>(40 + 4 * i, handles[i].value());
        std::memcpy(bytes.data() + 56, message.trace_id.data(), 16);
    }
};

}  // namespace

SyscallResult Syscalls::send(Call& call) {
    HandleValue target(call.u32_arg(0));
    u32 type = call.u32_arg(1);
    u32 handles_n = call.u32_arg(5);
    u32 flags = call.u32_arg(6);
    Process& sender = call.process;
    HandleTable& table = sender.handles();

    // (1) Decode: flags, type, counts and memory ranges.
    if ((flags & ~send_flags::kKnown) != 0 || handles_n > kMaxMessageHandles ||
        is_kernel_message_type(MessageType(type))) {
        return SyscallResult::failed(Status::InvalidArgs);
    }
    const bool persistent = (flags & send_flags::kPersistent) != 0;
    if (persistent && handles_n != 0) return SyscallResult::failed(Status::InvalidArgs);
    if (persistent && m_services.persistent == nullptr)
        return SyscallResult::failed(Status::NotSupported);
    auto payload = guest_range(call.memory, call.u32_arg(2), call.u32_arg(3));
    if (!payload) return from(payload.error());
    auto moved = read_moved_handles(call.memory, call.u32_arg(4), handles_n);
    if (!moved) return from(moved.error());

    // (2) Check: the endpoint (WRITE), each moved handle (TRANSFER), the receiver, the room.
    auto endpoint = table.get<Endpoint>(target, Right::Write, call.context);
    if (!endpoint) return from(endpoint.error());
    if (auto movable = check_movable(table, *moved, call.context); !movable)
        return from(movable.error());
    Ref<CapNode> through = (*table.lookup(target, call.context))->node_ref();
    LockstepGate* gate = holding(sender);
    if (gate != nullptr && handles_n != 0) return SyscallResult::failed(Status::NotSupported);
    Endpoint& destination = (*endpoint)->destination();  // An upgraded receiver's new version.
    if (!destination.receiver_alive()) return SyscallResult::failed(Status::NotFound);

    Message message;
    message.type = MessageType(type);
    message.sender = sender.pid();
    message.sender_badge = through->badge();
    message.priority =
        static_cast<u8>((flags & send_flags::kPriorityMask) >> send_flags::kPriorityShift);
    message.flags = flags & ~send_flags::kPriorityMask;
    message.time = m_clock.now_ns();
    message.payload.assign(payload->begin(), payload->end());
    message.handle_count = handles_n;  // For the admission check; filled in step (3).
    observe::KernelObserver* observer = m_services.observer;
    auto admission = destination.mailbox().admit(message);
    if (!admission) {
        if (observer)
            observer->message_refused(
                message_facts(message, destination.receiver(), destination.mailbox().size()),
                static_cast<i32>(admission.error().code));
        if (m_services.safety != nullptr)
            m_services.safety->refused(sender.pid(), admission.error(), message.time);
        return from(admission.error());
    }
    if (*admission == Admission::BlockSender) {
        destination.mailbox().park_sender(sender.pid());
        sender.prepare_wait(ProcessState::Blocked);
        return SyscallResult::block();  // Retried when woken.
    }

    if (gate != nullptr) {
        // K-60: checked and answered now, queued once the replicas agree. The answer cannot
        // be the mailbox sequence, which only the queueing assigns: it is 0.
        if (auto use = hold_use(*gate, *through, Right::Write, call.context); !use)
            return from(use.error());
        auto held = std::make_shared<Message>(std::move(message));
        Process* from = &sender;
        Ref<Endpoint> to = *endpoint;  // Resolved at release: an upgrade may come first.
        CheckContext context = call.context;
        const observe::MessageTrace parent =
            m_services.observer != nullptr ? m_services.observer->current_trace(from->pid().value())
                                           : observe::MessageTrace{};
        gate->hold(
            EffectKind::MessageSent, [this, from, through, to, held, context, persistent, parent] {
                release_send(*from, through, to, std::move(*held), context, persistent, parent);
            });
        return SyscallResult::of(0);
    }
    return queue_message(sender, *through, destination, std::move(message), *admission, *moved,
                         call.context, persistent);
}

void Syscalls::release_send(Process& sender, Ref<CapNode> target, Ref<Endpoint> destination,
                            Message message, CheckContext context, bool persistent,
                            const observe::MessageTrace& parent) {
    destination = Ref<Endpoint>(&destination->destination());
    if (!destination->receiver_alive()) return;
    auto admission = destination->mailbox().admit(message);
    if (!admission || *admission == Admission::BlockSender) {
        Error refused = admission ? Error{Status::MailboxFull,
                                          "lockstep: a held send found the "
                                          "mailbox full at release"}
                                  : admission.error();
        if (m_services.observer)
            m_services.observer->message_refused(
                message_facts(message, destination->receiver(), destination->mailbox().size()),
                static_cast<i32>(refused.code));
        if (m_services.safety != nullptr)
            m_services.safety->refused(sender.pid(), refused, message.time);
        return;
    }
    (void)queue_message(sender, *target, *destination, std::move(message), *admission,
                        MovedHandles{}, context, persistent, &parent);
}

SyscallResult Syscalls::queue_message(Process& sender, CapNode& target, Endpoint& destination,
                                      Message message, Admission admission,
                                      const MovedHandles& moved, const CheckContext& context,
                                      bool persistent, const observe::MessageTrace* parent) {
    // (3) Invoke: spend the endpoint's use, journal a persistent message (P-8: before the
    // sequence acknowledges it; handles could not survive a restart, so it carries none),
    // move the handles, queue. Only the journal append can fail below: then the use is
    // spent and nothing is queued, and the record was never written, so no restart
    // delivers a message whose send failed.
    HandleTable& table = sender.handles();
    auto used = m_tree.consume_use(target, context);
    if (!used) return from(used.error());
    observe::KernelObserver* observer = m_services.observer;
    if (observer) {
        // The producer span's context travels with the message (O-4).
        observe::MessageFacts facts =
            message_facts(message, destination.receiver(), destination.mailbox().size() + 1);
        facts.parent = parent;
        stamp_trace(message, observer->message_sent(facts));
    }
    std::optional<u64> record;
    if (persistent) {
        auto journaled = m_services.persistent->journal(destination.receiver(), message);
        if (!journaled) return from(journaled.error());
        record = *journaled;
    }
    message.handle_count = 0;
    for (u32 i = 0; i < moved.count; ++i) {
        auto handle = table.take_for_transfer(moved.values[i], context);
        ESTA_ASSERT(handle.has_value());  // Checked in (2), nothing ran in between.
        message.attach(*handle);
    }
    SendReceipt receipt = destination.mailbox().push(std::move(message), admission);
    if (observer && receipt.discarded) {
        observer->message_refused(
            message_facts(*receipt.discarded, destination.receiver(), destination.mailbox().size()),
            static_cast<i32>(Status::MailboxFull));
    }
    if (record) m_services.persistent->queued(destination.receiver(), receipt.seq, *record);
    if (receipt.wake_receiver) m_waker.wake(destination.receiver());
    return SyscallResult::of(static_cast<i64>(receipt.seq));
}

SyscallResult Syscalls::recv(Call& call) {
    i64 timeout_ms = call.i64_arg(0);
    MessageType filter(call.u32_arg(1));
    Process& receiver = call.process;
    Mailbox& mailbox = receiver.mailbox();
    Nanos now = m_clock.now_ns();

    // (1) Decode: both ranges and the timeout (fixed at the first attempt, so a retried
    // call keeps its deadline).
    auto info_bytes = guest_range(call.memory, call.u32_arg(4), abi::kInfoRecordSize);
    if (!info_bytes) return from(info_bytes.error());
    auto buffer = guest_range(call.memory, call.u32_arg(2), call.u32_arg(3));
    if (!buffer) return from(buffer.error());
    if (!receiver.recv_deadline()) {
        auto timeout = Timeout::from_abi_ms(timeout_ms, now);
        if (!timeout) return from(timeout.error());
        receiver.recv_deadline() = *timeout;
    }
    Timeout timeout = *receiver.recv_deadline();

    // (2) Check the next match against the buffer and the handle table before taking it.
    // A reactive handler's own message comes first (ABI.md: recv(0, ...) returns it).
    std::optional<Message>& current = receiver.current_message();
    bool from_current =
        current.has_value() && (filter == message_types::kAny || filter == current->type);
    const Message* next = from_current ? &*current : mailbox.peek(filter);
    if (next) {
        if (next->payload.size() > buffer->size()) {
            InfoRecord info;
            info.fill(*next, {});
            std::memcpy(info_bytes->data(), info.bytes.data(), info.bytes.size());
            receiver.recv_deadline().reset();
            return SyscallResult::failed(Status::BufferTooSmall);
        }
        HandleTable& table = receiver.handles();
        if (table.size() + next->handle_count > table.max_handles()) {
            receiver.recv_deadline().reset();
            return SyscallResult::failed(Status::Limit);
        }
    }
    Message message;
    if (from_current) {
        message = std::move(*current);
        current.reset();
    } else {
        auto received = mailbox.receive(filter, timeout, now, static_cast<u32>(buffer->size()));
        if (!received) {
            receiver.recv_deadline().reset();
            return from(received.error());
        }
        if (!received->has_value()) {
            // Would block: park until a match arrives or the deadline passes.
            mailbox.park_receiver(filter, timeout);
            receiver.prepare_wait(ProcessState::Waiting);
            return SyscallResult::block();
        }
        message = std::move(**received);
        // An actor's receive consumes the message (a reactive handler's own message is
        // consumed when the handler returns).
        if ((message.flags & send_flags::kPersistent) != 0 && m_services.persistent != nullptr) {
            // A lost marker means one more delivery after a restart, never a lost message.
            (void)m_services.persistent->consumed(receiver.pid(), message.seq);
        }
    }

    // (3) Deliver: handles into this process's table, then payload and info record.
    receiver.recv_deadline().reset();
    std::array<HandleValue, kMaxMessageHandles> values{};
    for (u32 i = 0; i < message.handle_count; ++i) {
        auto value = receiver.handles().insert(std::move(message.handles[i]));
        ESTA_ASSERT(value.has_value());  // Room was checked in (2).
        values[i] = *value;
    }
    // A reactive handler's own message: its handles come back to it if the handling traps
    // and the message is retried (T-4).
    if (from_current) receiver.note_delivered_handles({values.data(), message.handle_count});
    std::copy(message.payload.begin(), message.payload.end(), buffer->begin());
    InfoRecord info;
    info.fill(message, values);
    std::memcpy(info_bytes->data(), info.bytes.data(), info.bytes.size());
    receiver.set_current_time(message.time);  // T-2: `now` is this message's time.
    if (m_services.observer && !from_current) {
        m_services.observer->message_received(
            message_facts(message, receiver.pid(), mailbox.size()), message_trace(message));
    }
    // A reactive handler's own message was journaled when the handler started.
    if (m_services.answers && !from_current) m_services.answers->delivered(receiver.pid(), message);
    // This is now the message being handled: an earlier request left unanswered fails.
    Ref<CallSlot>& reply_to = receiver.reply_to();
    if (reply_to && reply_to != message.reply_to && reply_to->fail())
        m_waker.wake(reply_to->caller());
    reply_to = std::move(message.reply_to);
    if (auto sender = mailbox.take_unblocked_sender()) m_waker.wake(*sender);
    return SyscallResult::of(static_cast<i64>(message.payload.size()));
}

}  // namespace esta::kernel
