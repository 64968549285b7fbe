// DriverExecutor: the thread a driver's requests run on, so no scheduler thread ever waits
// for a service (D-1). One executor serves one driver (every bridge over that driver
// shares it), in submission order, so a driver built for one caller at a time (a hiredis
// connection, a libpq pool checkout) is never entered twice at once. The queue is bounded:
// at `max_in_flight` queued or running requests a new one is refused (LIMIT, D-1).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "base/types.h"

namespace esta::drivers {

class DriverExecutor {
  public:
    explicit DriverExecutor(u32 max_in_flight);
    // Runs what is still queued (each task answers its caller), then joins the thread.
    ~DriverExecutor();
    DriverExecutor(const DriverExecutor&) = delete;
    DriverExecutor& operator=(const DriverExecutor&) = delete;

    // Queues `task`; false (nothing queued) when `max_in_flight` tasks are queued or running.
    bool submit(std::function<void()> task);
    // Queues `task` regardless of the bound (cleanup such as a release must not be lost).
    void submit_always(std::function<void()> task);
    u32 in_flight() const;
    u32 max_in_flight() const { return m_max; }

  private:
    void loop();

    const u32 m_max;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_queue;
    u32 m_running = 0;
    bool m_stop = false;
    std::thread m_thread;
};

}  // namespace esta::drivers
