// SupervisedDriver: a driver served by its own OS process (D-2), kept alive. It starts
// `estalogic driver KIND --socket PATH ...`, connects to PATH and forwards calls through a
// RemoteDriver. When the process dies, calls are UNAVAILABLE (retryable) while a restart
// waits out an exponential backoff on the injected clock; the next call after the backoff
// starts a new process and serves again. Modules only ever see retryable errors meanwhile.
//
// Restarts happen on the calling thread, inside call(): there is no thread of its own, so
// nothing runs while nobody calls. Not copyable; the destructor ends the child.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/host/remote_driver.h"
#include "drivers/resilience.h"

namespace esta::drivers::host {

struct DriverProcessConfig {
    std::string program;            // The estalogic executable.
    std::vector<std::string> args;  // After the program: "driver", KIND, options (no --socket).
    std::string socket_path;        // Where the child listens; in a directory only we can use.
    Nanos connect_timeout = 5'000 * kNanosPerMilli;  // The child's start, including its service.
    Nanos first_backoff = 100 * kNanosPerMilli;
    Nanos max_backoff = 5'000 * kNanosPerMilli;
};

class SupervisedDriver final : public Driver {
  public:
    // `codec`, `clock` (call deadlines and the restart backoff) and `sleeper` (waiting for
    // the child to listen) are borrowed.
    SupervisedDriver(DriverKind kind, DriverProcessConfig config, const ValueCodec& codec,
                     const protocol::Clock& clock, Sleeper& sleeper);
    ~SupervisedDriver() override;
    SupervisedDriver(const SupervisedDriver&) = delete;
    SupervisedDriver& operator=(const SupervisedDriver&) = delete;

    DriverKind kind() const override { return m_kind; }
    // Starts the process and connects. Unavailable when it did not come up (a restart is
    // then scheduled like after a crash).
    Result<void> start() override;
    // Hangs up (the child exits), then reaps it; SIGKILL when it does not exit promptly.
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;
    void release(u64 binding) override;

    // The running child, or -1. For tests and the operator's view.
    pid_t child() const;
    u64 restarts() const;

  private:
    Result<void> launch_locked();
    // Notices a dead child (waitpid without blocking) and schedules its restart.
    void reap_locked();
    void schedule_restart_locked();
    void end_child_locked();

    DriverKind m_kind;
    DriverProcessConfig m_config;
    const ValueCodec& m_codec;
    const protocol::Clock& m_clock;
    Sleeper& m_sleeper;
    mutable std::mutex m_mutex;
    std::unique_ptr<RemoteDriver> m_remote;
    pid_t m_child = -1;
    bool m_stopped = true;
    Nanos m_backoff = 0;     // The next wait; 0 until the first failure.
    Nanos m_restart_at = 0;  // No restart before this instant.
    u64 m_restarts = 0;
};

}  // namespace esta::drivers::host
