#include "kernel/mailbox.h"

#include <algorithm>

#include <limits>

namespace esta::kernel {

std::string_view overflow_mode_name(OverflowMode mode) {
    switch (mode) {
        case OverflowMode::DropNewest:
            return "DropNewest";
        case OverflowMode::DropOldest:
            return "DropOldest";
        case OverflowMode::BlockSender:
            return "BlockSender";
        case OverflowMode::NotifySender:
            return "NotifySender";
    }
    return "unknown";
}

Result<Timeout> Timeout::from_abi_ms(i64 timeout_ms, Nanos now) {
    if (timeout_ms == 0) return poll();
    if (timeout_ms == -1) return forever();
    if (timeout_ms < 0) {
        return Err(Status::InvalidArgs, "recv: timeout_ms",
                   Detail{.actual = static_cast<u64>(timeout_ms)});
    }
    Nanos delta = 0;
    Nanos deadline = 0;
    if (__builtin_mul_overflow(timeout_ms, kNanosPerMilli, &delta) ||
        __builtin_add_overflow(now, delta, &deadline)) {
        return until(std::numeric_limits<Nanos>::max());  // Effectively never.
    }
    return until(deadline);
}

Mailbox::Mailbox(MailboxConfig config) : m_config(config) {
    ESTA_ASSERT(m_config.capacity > 0);  // A mailbox that can hold nothing is a config bug.
}

Result<Admission> Mailbox::admit(const Message& message) const {
    if (m_closed) return Err(Status::ShuttingDown, "send: receiver is stopping");
    if (message.payload.size() > m_config.max_payload) {
        return Err(Status::PayloadTooLarge, "send: payload",
                   Detail{.limit = m_config.max_payload, .actual = message.payload.size()});
    }
    if (message.handle_count > kMaxMessageHandles) {
        return Err(Status::InvalidArgs, "send: handles per message",
                   Detail{.limit = kMaxMessageHandles, .actual = message.handle_count});
    }
    if (message.priority > kMaxMessagePriority) {
        return Err(Status::InvalidArgs, "send: priority",
                   Detail{.limit = kMaxMessagePriority, .actual = message.priority});
    }
    if (m_size < m_config.capacity) return Admission::Queue;
    switch (m_config.overflow) {
        case OverflowMode::DropNewest:
            return Admission::DropIncoming;
        case OverflowMode::DropOldest:
            return Admission::EvictOldest;
        case OverflowMode::BlockSender:
            return Admission::BlockSender;
        case OverflowMode::NotifySender:
            break;
    }
    return Err(Status::MailboxFull, "send: mailbox full",
               Detail{.limit = m_config.capacity, .actual = m_size});
}

SendReceipt Mailbox::push(Message message, Admission admission) {
    ESTA_ASSERT(admission != Admission::BlockSender);  // The sender parks instead.
    SendReceipt receipt;
    receipt.seq = m_next_seq++;
    message.seq = receipt.seq;
    if (admission == Admission::DropIncoming) {
        ++m_stats.dropped_newest;
        receipt.discarded = std::move(message);
        return receipt;
    }
    if (admission == Admission::EvictOldest && m_size >= m_config.capacity && m_size > 0) {
        receipt.discarded = evict_oldest();
        ++m_stats.evicted_oldest;
    }
    receipt.wake_receiver = m_waiter && matches(m_waiter->filter, message);
    if (receipt.wake_receiver) m_waiter.reset();
    track(message);
    m_queues[message.priority].push_back(std::move(message));
    ++m_size;
    ++m_stats.queued;
    if (m_size > m_stats.high_water) m_stats.high_water = m_size;
    receipt.queued = true;
    return receipt;
}

Result<SendReceipt> Mailbox::send(Message message) {
    auto admission = admit(message);
    if (!admission) {
        if (admission.error().code == Status::MailboxFull) ++m_stats.rejected_full;
        return admission.error();
    }
    if (*admission == Admission::BlockSender) {
        ++m_stats.rejected_full;
        return Err(Status::MailboxFull, "send: mailbox full (sender must block)",
                   Detail{.limit = m_config.capacity, .actual = m_size});
    }
    return push(std::move(message), *admission);
}

Message Mailbox::evict_oldest() {
    // Sequence numbers grow with arrival, so the oldest message is the front with the
    // smallest one among the priority queues.
    std::deque<Message>* oldest = nullptr;
    for (auto& queue : m_queues) {
        if (!queue.empty() && (!oldest || queue.front().seq < oldest->front().seq)) {
            oldest = &queue;
        }
    }
    ESTA_ASSERT(oldest);
    Message evicted = std::move(oldest->front());
    oldest->pop_front();
    --m_size;
    untrack(evicted);
    return evicted;
}

void Mailbox::track(const Message& message) {
    if (!message.deadline) return;
    m_deadlines.insert(*message.deadline);
    if (!message.late) m_unmissed.emplace(*message.deadline, message.seq);
}

void Mailbox::untrack(const Message& message) {
    if (!message.deadline) return;
    auto it = m_deadlines.find(*message.deadline);
    if (it != m_deadlines.end()) m_deadlines.erase(it);
    m_unmissed.erase({*message.deadline, message.seq});
}

std::optional<Nanos> Mailbox::earliest_deadline() const {
    if (m_deadlines.empty()) return std::nullopt;
    return *m_deadlines.begin();
}

std::optional<Nanos> Mailbox::next_miss_check() const {
    if (m_unmissed.empty()) return std::nullopt;
    return m_unmissed.begin()->first;
}

void Mailbox::collect_missed(Nanos now) {
    while (!m_unmissed.empty() && m_unmissed.begin()->first < now) {
        const Nanos deadline = m_unmissed.begin()->first;
        const u64 seq = m_unmissed.begin()->second;
        m_unmissed.erase(m_unmissed.begin());
        for (auto& queue : m_queues) {
            auto it = std::find_if(queue.begin(), queue.end(),
                                   [seq](const Message& m) { return m.seq == seq; });
            if (it == queue.end()) continue;
            DeadlineMiss miss{seq, it->type, it->sender, deadline, now, it->on_miss, std::nullopt};
            if (it->on_miss == MissPolicy::DeliverLate) {
                it->late = true;
            } else {
                Message removed = std::move(*it);
                queue.erase(it);
                --m_size;
                untrack(removed);
                miss.removed = std::move(removed);
            }
            m_misses.push_back(std::move(miss));
            break;
        }
    }
}

std::optional<std::pair<u32, std::size_t>> Mailbox::find(MessageType filter) const {
    for (u32 level = kMessagePriorityLevels; level-- > 0;) {
        const auto& queue = m_queues[level];
        for (std::size_t i = 0; i < queue.size(); ++i) {
            if (matches(filter, queue[i])) return std::pair{level, i};
        }
    }
    return std::nullopt;
}

const Message* Mailbox::peek(MessageType filter) const {
    auto position = find(filter);
    if (!position) return nullptr;
    return &m_queues[position->first][position->second];
}

Result<std::optional<Message>> Mailbox::receive(MessageType filter, const Timeout& timeout,
                                                Nanos now, u32 buffer_capacity) {
    collect_missed(now);
    if (auto position = find(filter)) {
        auto& queue = m_queues[position->first];
        auto it = queue.begin() + static_cast<std::ptrdiff_t>(position->second);
        if (it->payload.size() > buffer_capacity) {
            return Err(Status::BufferTooSmall, "recv: buffer",
                       Detail{.limit = buffer_capacity, .actual = it->payload.size()});
        }
        Message message = std::move(*it);
        queue.erase(it);
        --m_size;
        untrack(message);
        ++m_stats.received;
        return std::optional<Message>(std::move(message));
    }
    if (m_closed) return Err(Status::ShuttingDown, "recv: process is stopping");
    if (timeout.is_poll()) return Err(Status::Empty, "recv: nothing queued");
    if (timeout.passed(now)) return Err(Status::Timeout, "recv: deadline passed");
    return std::optional<Message>();
}

void Mailbox::requeue_front(Message message) {
    u32 priority = std::min<u32>(message.priority, kMaxMessagePriority);
    track(message);
    m_queues[priority].push_front(std::move(message));
    ++m_size;
}

void Mailbox::park_receiver(MessageType filter, const Timeout& timeout) {
    m_waiter = Waiter{filter, timeout};
}

bool Mailbox::expire_receiver(Nanos now) {
    if (!m_waiter || !m_waiter->timeout.passed(now)) return false;
    m_waiter.reset();
    return true;
}

void Mailbox::park_sender(ProcessId sender) {
    m_blocked_senders.push_back(sender);
}

std::optional<ProcessId> Mailbox::take_unblocked_sender() {
    if (m_blocked_senders.empty()) return std::nullopt;
    if (!m_closed && m_size >= m_config.capacity) return std::nullopt;
    ProcessId sender = m_blocked_senders.front();
    m_blocked_senders.pop_front();
    return sender;
}

bool Mailbox::close() {
    m_closed = true;
    bool wake = m_waiter.has_value();
    m_waiter.reset();
    return wake;
}

}  // namespace esta::kernel
