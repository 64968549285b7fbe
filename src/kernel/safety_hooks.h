// SafetyHooks: the narrow door from the kernel's real paths to its guardrails and real-time
// tracking (REQUIREMENTS K-40..K-43, K-50..K-52). The runtime and the syscall layer call
// these at the moments that matter — a process started, crashed, about to be restarted, a
// message taken by its handler and finished, a request refused by a limit, an audit record
// written — with times read from the kernel's injected clock. The implementation
// (guardrails/kernel_guard.h) decides; the kernel only asks may_restart().
//
// Called with the kernel lock held; implementations must not call back into the kernel.
#pragma once

#include <string_view>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

// The instants of one spawn (K-50 process_spawn): before the module was instantiated,
// after it, and once the scheduler had it.
struct SpawnTiming {
    Nanos began = 0;
    Nanos instantiated = 0;
    Nanos scheduled = 0;
};

enum class StartKind : u8 { Spawn, Restart };

class SafetyHooks {
  public:
    virtual ~SafetyHooks() = default;

    // A process (re)started. `name` is its supervision name, or empty for an anonymous spawn.
    virtual void started(ProcessId pid, std::string_view name, StartKind kind,
                         const SpawnTiming& timing) = 0;
    // A process crashed; `trap_code` is the ABI trap code (4001...), 0 when it had none.
    virtual void crashed(ProcessId pid, u32 trap_code, Nanos now) = 0;
    // Whether a due restart may start now; false holds it (the region is quarantined).
    virtual bool may_restart(ProcessId pid, Nanos now) = 0;
    // A reactive handler took message `seq`, sent (queued) at `sent`.
    virtual void delivered(ProcessId pid, u64 seq, Nanos sent, Nanos now) = 0;
    // The handler finished the message it took at `taken` (or crashed on it), having run
    // `fuel` instructions on it (T-3: the same on every run, whatever the host's load).
    virtual void handled(ProcessId pid, u64 seq, Nanos taken, u64 fuel, Nanos now) = 0;
    // A request of `pid` (kKernelProcess for the kernel's own input) was refused by a size
    // or capacity limit: `error` carries the status and the numbers.
    virtual void refused(ProcessId pid, const Error& error, Nanos now) = 0;
    // An audit record was serialized (`began` -> `serialized`) and appended (-> `written`).
    virtual void audit_written(ProcessId pid, Nanos began, Nanos serialized, Nanos written) = 0;
    // K-60: a critical process's replicas disagreed twice on a message; the kernel stopped
    // it. The guard quarantines its region.
    virtual void lockstep_quarantined(ProcessId, Nanos) {}
};

}  // namespace esta::kernel
