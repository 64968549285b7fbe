// Ending a process from outside (a restart of its supervision group, a failed supervise,
// the kernel's shutdown): killed, and its journal stream gets an end record (exit
// "killed") like any other end, so a replay knows the life stopped there (T-1).
#pragma once

#include "kernel/process.h"
#include "kernel/syscalls/services.h"

namespace esta::kernel {

// `recorder` may be null. Nothing happens to a process already completed.
inline void kill_process(Process& process, KernelAnswerRecorder* recorder, Nanos now) {
    if (process.state() == ProcessState::Completed) return;
    process.kill();
    if (recorder != nullptr)
        recorder->ended(process.pid(), {ExitReason::killed().to_string(), process.fuel_used()},
                        now);
}

}  // namespace esta::kernel
