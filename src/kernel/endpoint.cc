#include "kernel/endpoint.h"

namespace esta::kernel {

void Endpoint::detach_receiver() {
    m_receiver_alive = false;
    m_mailbox.close();
    // Drain now: nobody will receive these, and the handles they carry must not stay
    // reachable through a dead mailbox.
    while (true) {
        auto message = m_mailbox.receive(message_types::kAny, Timeout::poll(), 0);
        if (!message || !message->has_value()) break;
    }
}

}  // namespace esta::kernel
