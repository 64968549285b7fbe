// start() and shutdown(): the scheduler threads and the watchdog thread.
#include <chrono>

#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/kill_process.h"

namespace esta::kernel {

namespace {

// Without threads, shutdown runs at most this many slices per live process.
constexpr u64 kShutdownSlicesPerProcess = 4;

std::chrono::nanoseconds as_duration(Nanos nanos) {
    return std::chrono::nanoseconds(nanos);
}

}  // namespace

Result<void> Kernel::start() {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    if (m_threads_running) return Err(Status::Invalid, "kernel: already started");
    m_stop.store(false);
    m_threads_running = true;
    // A driver's answer is delivered as soon as it completes, on the driver's thread.
    m_syscalls.driver_calls().set_notify([this] {
        std::lock_guard<std::recursive_mutex> lock(m_lock);
        m_syscalls.deliver_driver_replies(false);
    });
    for (u32 i = 0; i < m_workers.size(); ++i)
        m_workers[i]->thread = std::thread([this, i] { worker_loop(i); });
    m_watchdog_thread = std::thread([this] { watchdog_loop(); });
    return Ok();
}

void Kernel::worker_loop(u32 index) {
    Worker& worker = *m_workers[index];
    while (!m_stop.load()) {
        auto ran = run_one(index);
        if (ran && *ran) continue;
        // Nothing ready (or a kernel error, already reported as the process's crash):
        // sleep until woken, or one tick, when receive timeouts and restarts are due.
        std::unique_lock<std::recursive_mutex> lock(m_lock);
        worker.wake.wait_for(lock, as_duration(m_config.idle_tick),
                             [&] { return m_stop.load() || worker.scheduler.has_ready(); });
    }
}

void Kernel::watchdog_loop() {
    protocol::SystemClock wall;
    std::unique_lock<std::mutex> lock(m_watchdog_mutex);
    while (!m_stop.load()) {
        m_watchdog.check(wall.now_ns());
        m_watchdog_wake.wait_for(lock, as_duration(m_config.watchdog_period),
                                 [&] { return m_stop.load(); });
    }
}

bool Kernel::wait_idle(Nanos timeout) {
    auto until = std::chrono::steady_clock::now() + as_duration(timeout);
    while (true) {
        {
            std::lock_guard<std::recursive_mutex> lock(m_lock);
            if (idle_locked()) return true;
        }
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

void Kernel::shutdown() {
    {
        std::lock_guard<std::recursive_mutex> lock(m_lock);
        m_shutting_down = true;
        // (1) Tell every live process, then close its mailbox: what is queued is still
        // received, after which recv reports SHUTTING_DOWN.
        for (auto& [pid, record] : m_records) {
            Process& process = *record.process;
            if (process.state() == ProcessState::Completed) continue;
            Mailbox& mailbox = process.mailbox();
            if (mailbox.closed()) continue;
            Message message;
            message.type = message_types::kSystemShutdown;
            message.sender = kKernelProcess;
            message.priority = kMaxMessagePriority;
            message.time = m_clock.now_ns();
            if (auto admission = mailbox.admit(message);
                admission && *admission != Admission::BlockSender) {
                if (mailbox.push(std::move(message), *admission).wake_receiver) wake(pid);
            }
            if (mailbox.close()) wake(pid);
        }
        m_restarts.clear();  // Nothing restarts during shutdown.
    }
    // (2) Let them finish, on the threads or here (a few slices each: a guest that ignores
    // the shutdown must not keep this thread).
    if (m_threads_running) {
        wait_idle(m_config.shutdown_grace);
    } else {
        u64 live = 0;
        {
            std::lock_guard<std::recursive_mutex> lock(m_lock);
            for (const auto& [pid, record] : m_records)
                live += record.process->state() == ProcessState::Completed ? 0 : 1;
        }
        (void)run_until_idle(kShutdownSlicesPerProcess * live);
    }
    // (3) Stop and join the threads.
    if (m_threads_running) {
        m_stop.store(true);
        {
            std::lock_guard<std::recursive_mutex> lock(m_lock);
            for (auto& worker : m_workers)
                worker->wake.notify_all();
        }
        {
            std::lock_guard<std::mutex> lock(m_watchdog_mutex);
            m_watchdog_wake.notify_all();
        }
        for (auto& worker : m_workers)
            if (worker->thread.joinable()) worker->thread.join();
        m_syscalls.driver_calls().set_notify(nullptr);
        if (m_watchdog_thread.joinable()) m_watchdog_thread.join();
        m_threads_running = false;
    }
    // (4) Whatever did not finish is killed; no thread runs any process now.
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    m_restarts.clear();
    const Nanos now = m_clock.now_ns();
    for (auto& [pid, record] : m_records) {
        Process& process = *record.process;
        if (process.state() == ProcessState::Completed) continue;
        worker_of(pid).scheduler.remove(pid);
        kill_process(process, m_recorder, now);
        m_syscalls.release_drivers(pid);
        process.endpoint()->detach_receiver();
        settle_reply(process);
    }
}

}  // namespace esta::kernel
