// ReplicaWorker: a thread that runs the second replica's part of each lockstep step, pinned
// to its own core when the host allows (best effort: pthread affinity; a refusal leaves the
// thread unpinned and is reported by pinned()). The handoff spins briefly before it sleeps,
// because a lockstep step is often shorter than a futex wake-up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace esta::kernel {

class ReplicaWorker {
  public:
    // `core` < 0: no pinning.
    explicit ReplicaWorker(int core);
    ~ReplicaWorker();
    ReplicaWorker(const ReplicaWorker&) = delete;
    ReplicaWorker& operator=(const ReplicaWorker&) = delete;

    // Starts `job` on the worker; wait() returns once it ran. One job at a time.
    void start(std::function<void()> job);
    void wait();
    bool pinned() const { return m_pinned.load(); }

  private:
    void loop(int core);

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::function<void()> m_job;
    std::atomic<bool> m_has_job{false};
    std::atomic<bool> m_done{true};
    bool m_stop = false;
    std::atomic<bool> m_pinned{false};
    std::thread m_thread;
};

// Pins the calling thread to `core`; false when the host refuses (or has no such core).
bool pin_current_thread(int core);

}  // namespace esta::kernel
