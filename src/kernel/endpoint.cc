#include "kernel/endpoint.h"

namespace esta::kernel {

Endpoint& Endpoint::destination() {
    Endpoint* at = this;
    while (at->m_successor)
        at = at->m_successor.get();
    return *at;
}

void Endpoint::detach_receiver() {
    m_receiver_alive = false;
    m_mailbox.close();
    // Drain now: nobody will receive these, and the handles they carry must not stay
    // reachable through a dead mailbox.
    while (true) {
        auto message = m_mailbox.receive(message_types::kAny, Timeout::poll(), 0);
        if (!message || !message->has_value()) break;
        const Ref<CallSlot>& reply_to = (*message)->reply_to;
        if (reply_to && reply_to->fail()) m_orphaned_callers.push_back(reply_to->caller());
    }
}

}  // namespace esta::kernel
