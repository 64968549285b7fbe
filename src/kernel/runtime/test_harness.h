// What the runtime's tests and bench/bench_kernel.cc do with a Kernel: a spec for a module,
// a process's exit as text, two processes wired to each other. Header-only; no gtest.
#pragma once

#include <string>

#include "kernel/runtime/kernel_runtime.h"
#include "kernel/test_support.h"

namespace esta::kernel::testing {

using Module = std::shared_ptr<const wasm::CompiledModule>;

inline ProcessSpec spec_of(Module module, Priority priority = Priority::Normal) {
    ProcessSpec spec;
    spec.module = std::move(module);
    spec.priority = priority;
    return spec;
}

// "none" while the process has not exited (or does not exist).
inline std::string exit_of(Kernel& kernel, ProcessId pid) {
    auto info = kernel.process(pid);
    return info && info->exit ? info->exit->to_string() : "none";
}

// The exit text of a guest that ended with esta_exit(-status).
inline std::string exit_with(Status status) {
    return "code(" + std::to_string(static_cast<int>(status)) + ")";
}

// Spawns pong, then ping, each holding a WRITE handle "peer" to the other (ping's with
// badge 1). Returns {ping, pong}.
inline std::pair<ProcessId, ProcessId> spawn_pair(Kernel& kernel, Module ping, Module pong) {
    ProcessId pong_pid = *kernel.spawn(spec_of(std::move(pong)));
    ProcessSpec ping_spec = spec_of(std::move(ping));
    ping_spec.grants.push_back(GrantSpec{"peer", kernel.endpoint(pong_pid), Right::Write, 1});
    ProcessId ping_pid = *kernel.spawn(std::move(ping_spec));
    (void)kernel.grant(pong_pid, GrantSpec{"peer", kernel.endpoint(ping_pid), Right::Write});
    return {ping_pid, pong_pid};
}

// Spawns `module` holding a WRITE handle "server" to `server`.
inline ProcessId spawn_client(Kernel& kernel, Module module, ProcessId server) {
    ProcessSpec spec = spec_of(std::move(module));
    spec.grants.push_back(GrantSpec{"server", kernel.endpoint(server), Right::Write});
    return *kernel.spawn(std::move(spec));
}

}  // namespace esta::kernel::testing
