#include "kernel/redundancy/replica_worker.h"

#include <pthread.h>
#include <sched.h>

namespace esta::kernel {
namespace {
// Spins this many checks before sleeping on the condition variable.
constexpr int kSpins = 20'000;
}  // namespace

bool pin_current_thread(int core) {
    if (core < 0 || core >= CPU_SETSIZE) return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

ReplicaWorker::ReplicaWorker(int core) : m_thread([this, core] { loop(core); }) {}

ReplicaWorker::~ReplicaWorker() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
}

void ReplicaWorker::start(std::function<void()> job) {
    {
        std::lock_guard lock(m_mutex);
        m_job = std::move(job);
        m_done.store(false);
        m_has_job.store(true);
    }
    m_changed.notify_all();
}

void ReplicaWorker::wait() {
    for (int i = 0; i < kSpins; ++i) {
        if (m_done.load(std::memory_order_acquire)) return;
    }
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_done.load(); });
}

void ReplicaWorker::loop(int core) {
    if (core >= 0) m_pinned.store(pin_current_thread(core));
    for (;;) {
        for (int i = 0; i < kSpins && !m_has_job.load(std::memory_order_acquire); ++i) {
        }
        std::function<void()> job;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stop || m_has_job.load(); });
            if (m_stop && !m_has_job.load()) return;
            job = std::move(m_job);
            m_has_job.store(false);
        }
        job();
        {
            std::lock_guard lock(m_mutex);
            m_done.store(true, std::memory_order_release);
        }
        m_changed.notify_all();
    }
}

}  // namespace esta::kernel
