#include "kernel/driver_calls.h"

#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

std::shared_ptr<DriverCallSlot> DriverCalls::open(ProcessId caller) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto slot = std::make_shared<DriverCallSlot>(caller, m_next_seq++);
    m_open.emplace(slot->seq(), slot);
    return slot;
}

DriverReply DriverCalls::completion(const std::shared_ptr<DriverCallSlot>& slot) {
    std::shared_ptr<DriverCalls> self = shared_from_this();
    return [self, slot](DriverAnswer answer) { self->complete(slot, std::move(answer)); };
}

void DriverCalls::complete(const std::shared_ptr<DriverCallSlot>& slot, DriverAnswer answer) {
    std::function<void()> notify;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (slot->m_answer) return;  // A driver answers once; a second answer is ignored.
        slot->m_answer = std::move(answer);
        if (slot->m_starting && slot->m_starter == std::this_thread::get_id()) {
            slot->m_inline = true;
            return;  // Inline: the syscall takes it from the slot.
        }
        ++m_completed;
        m_changed.notify_all();
        if (!m_notify) return;
        notify = m_notify;
        ++m_notifying;
    }
    notify();
    std::lock_guard<std::mutex> lock(m_mutex);
    --m_notifying;
    m_changed.notify_all();
}

std::optional<DriverAnswer> DriverCalls::settle_inline(
    const std::shared_ptr<DriverCallSlot>& slot) {
    std::lock_guard<std::mutex> lock(m_mutex);
    slot->m_starting = false;
    if (!slot->m_inline) return std::nullopt;
    m_open.erase(slot->seq());
    return std::move(*slot->m_answer);
}

std::optional<DriverAnswer> DriverCalls::take_delivered(
    const std::shared_ptr<DriverCallSlot>& slot) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!slot->m_delivered || !slot->m_answer) return std::nullopt;
    std::optional<DriverAnswer> answer = std::move(slot->m_answer);
    slot->m_answer.reset();
    return answer;
}

std::size_t DriverCalls::deliver(ProcessWaker& waker, bool wait_for_all) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (wait_for_all) m_changed.wait(lock, [&] { return m_completed == m_open.size(); });
    std::size_t delivered = 0;
    for (auto it = m_open.begin(); it != m_open.end();) {
        DriverCallSlot& slot = *it->second;
        if (!slot.m_answer || slot.m_starting) {
            ++it;
            continue;
        }
        slot.m_delivered = true;
        --m_completed;
        ++delivered;
        waker.wake(slot.caller());  // A caller that ended meanwhile is not found: no effect.
        it = m_open.erase(it);
    }
    return delivered;
}

std::size_t DriverCalls::in_flight() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_open.size();
}

void DriverCalls::set_notify(std::function<void()> notify) {
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!notify) m_changed.wait(lock, [&] { return m_notifying == 0; });
    m_notify = std::move(notify);
}

}  // namespace esta::kernel
