#include "app/exec/watchdog.h"

namespace esta::app {

Watchdog::Watchdog(std::chrono::milliseconds timeout, std::atomic<bool>& flag) {
    m_thread = std::thread([this, timeout, &flag] {
        std::unique_lock lock(m_mutex);
        if (m_cancelled_signal.wait_for(lock, timeout, [this] { return m_cancelled; })) return;
        m_fired.store(true, std::memory_order_release);
        flag.store(true, std::memory_order_release);
    });
}

Watchdog::~Watchdog() {
    {
        std::lock_guard lock(m_mutex);
        m_cancelled = true;
    }
    m_cancelled_signal.notify_one();
    m_thread.join();
}

}  // namespace esta::app
