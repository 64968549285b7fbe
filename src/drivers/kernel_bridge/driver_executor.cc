#include "drivers/kernel_bridge/driver_executor.h"

namespace esta::drivers {

DriverExecutor::DriverExecutor(u32 max_in_flight)
    : m_max(max_in_flight == 0 ? 1 : max_in_flight), m_thread([this] { loop(); }) {}

DriverExecutor::~DriverExecutor() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

bool DriverExecutor::submit(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_queue.size() + m_running >= m_max) return false;
        m_queue.push_back(std::move(task));
    }
    m_wake.notify_one();
    return true;
}

void DriverExecutor::submit_always(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_queue.push_back(std::move(task));
    }
    m_wake.notify_one();
}

u32 DriverExecutor::in_flight() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return static_cast<u32>(m_queue.size()) + m_running;
}

void DriverExecutor::loop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
        if (m_queue.empty()) return;  // Stopping, and everything queued has run.
        std::function<void()> task = std::move(m_queue.front());
        m_queue.pop_front();
        ++m_running;
        lock.unlock();
        task();
        lock.lock();
        --m_running;
    }
}

}  // namespace esta::drivers
