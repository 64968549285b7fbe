// exit, yield, now (ABI.md "Functions").
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

SyscallResult Syscalls::exit(Call& call) {
    return SyscallResult::exit(call.i32_arg(0));
}

SyscallResult Syscalls::yield(Call& call) {
    // The first attempt suspends (the rest of the slice is given up); the engine's retry
    // after resumption returns 0.
    bool& pending = call.process.yield_pending();
    if (!pending) {
        pending = true;
        return SyscallResult::block();
    }
    pending = false;
    return SyscallResult::of(0);
}

SyscallResult Syscalls::now(Call& call) {
    // T-2: the time of the message being handled, never the host's clock.
    return SyscallResult::of(call.process.current_time());
}

}  // namespace esta::kernel
