// What the syscall layer reports to the rest of the system: log lines, metrics and the
// answers a replay needs. Interfaces of the kernel's own, so the kernel does not depend on
// how the observe room stores them; a missing service makes its syscall NOT_SUPPORTED.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"
#include "kernel/message.h"
#include "kernel/ref.h"
#include "observe/kernel_observer.h"
#include "protocol/input_log.h"

namespace esta::kernel {

enum class LogLevel : u8 {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
    Fatal = 6
};
inline constexpr u32 kMaxLogLevel = 6;

class KernelLogger {
  public:
    virtual ~KernelLogger() = default;
    virtual void log(ProcessId process, LogLevel level, std::string_view text) = 0;
};

class KernelMetrics {
  public:
    virtual ~KernelMetrics() = default;
    // NotFound for a name the application manifest does not declare.
    virtual Result<void> add(ProcessId process, std::string_view name, double value) = 0;
};

// Told everything a process receives, so its journal stream can replay it exactly (T-1,
// T-2): each start and end, each message delivered (in delivery order, with the time `now` then
// reports), and each syscall it completes with the kernel's answer. The recorder cannot
// fail a syscall; a journal that cannot keep up stops on its own (Journal::stopped()).
class KernelAnswerRecorder {
  public:
    virtual ~KernelAnswerRecorder() = default;
    virtual void started(ProcessId process, const protocol::ProcessStart& start, Nanos time) = 0;
    virtual void delivered(ProcessId process, const Message& message) = 0;
    virtual void answered(ProcessId process, protocol::SyscallAnswer answer, Nanos time) = 0;
    // The process ended: on its own (returned, exited, trapped), or killed from outside
    // (exit "killed": a restart of its group, the kernel's shutdown).
    virtual void ended(ProcessId process, const protocol::ProcessEnd& end, Nanos time) = 0;
};

struct SpawnRequest;
class Process;
class PersistentMessages;
class SafetyHooks;
struct KernelLockstepSupport;

// Starts a process for `spawn`: picks its pid, creates it and hands it to the scheduler.
// Errors are Process::spawn's, or LIMIT when a spawn quota is reached.
class KernelSpawner {
  public:
    virtual ~KernelSpawner() = default;
    virtual Result<Ref<Process>> spawn(SpawnRequest request) = 0;
};

// Borrowed; each outlives the Syscalls it is given to.
struct SyscallServices {
    KernelLogger* logger = nullptr;
    KernelMetrics* metrics = nullptr;
    KernelAnswerRecorder* answers = nullptr;
    KernelSpawner* spawner = nullptr;
    u64 random_seed = 0;                       // The kernel's seed for every process's generator.
    PersistentMessages* persistent = nullptr;  // PERSISTENT sends fail NOT_SUPPORTED without.
    // Spans, metrics and audit records of the kernel's work (O-2, O-4, O-5); span_begin and
    // span_end answer NOT_SUPPORTED without.
    observe::KernelObserver* observer = nullptr;
    SafetyHooks* safety = nullptr;  // Guardrails and real-time tracking (safety_hooks.h).
    // Where critical processes' lockstep alarms and counters go (K-60); a critical spawn
    // fails NOT_SUPPORTED without.
    const KernelLockstepSupport* lockstep = nullptr;
};

}  // namespace esta::kernel
