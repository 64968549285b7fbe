// A wall-clock limit for one guest run: after the timeout a thread raises the engine's
// interrupt flag, and the guest stops at its next safepoint with trap 3001. Destroying the
// watchdog cancels it and joins its thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace esta::app {

class Watchdog {
  public:
    // `flag` is borrowed and must outlive the watchdog.
    Watchdog(std::chrono::milliseconds timeout, std::atomic<bool>& flag);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    bool fired() const { return m_fired.load(std::memory_order_acquire); }

  private:
    std::mutex m_mutex;
    std::condition_variable m_cancelled_signal;
    bool m_cancelled = false;  // Guarded by m_mutex.
    std::atomic<bool> m_fired{false};
    std::thread m_thread;
};

}  // namespace esta::app
