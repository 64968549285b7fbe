// DrainSignal: wakes a node's drain thread when handlers have finished enough messages for
// a batch, instead of the thread polling its sinks. The kernel tells it each handled
// message (with its lock held: this only counts, and signals a sleeping drain thread); the
// drain thread sleeps until `wanted` messages were handled since it last looked, or a
// timeout. A wake-up per decision cost more CPU than writing the decision.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "kernel/handled_messages.h"

namespace esta::app::run {

class DrainSignal final : public kernel::HandledMessages {
  public:
    void handled(kernel::ProcessId, u64, bool) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        ++m_handled;
        if (m_wanted != 0 && m_handled >= m_wanted) m_wake.notify_one();
    }

    // Sleeps until `wanted` (>= 1) messages were handled since the last wait, or `timeout`.
    void wait(u64 wanted, std::chrono::microseconds timeout) {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_wanted = wanted;
        m_wake.wait_for(lock, timeout, [this] { return m_handled >= m_wanted; });
        m_wanted = 0;
        m_handled = 0;
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    u64 m_handled = 0;  // Since the last wait.
    u64 m_wanted = 0;   // 0 while the drain thread is not waiting.
};

}  // namespace esta::app::run
