#include "app/exec/system_host.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "base/assert.h"

namespace esta::app {
namespace {

clockid_t to_clock_id(wasm::WasiClock clock) {
    switch (clock) {
        case wasm::WasiClock::Realtime:
            return CLOCK_REALTIME;
        case wasm::WasiClock::Monotonic:
            return CLOCK_MONOTONIC;
        case wasm::WasiClock::ProcessCpuTime:
            return CLOCK_PROCESS_CPUTIME_ID;
        case wasm::WasiClock::ThreadCpuTime:
            return CLOCK_THREAD_CPUTIME_ID;
    }
    return CLOCK_MONOTONIC;
}

u64 to_nanoseconds(const timespec& time) {
    return u64(time.tv_sec) * 1'000'000'000u + u64(time.tv_nsec);
}

}  // namespace

u64 SystemWasiHost::clock_time(wasm::WasiClock clock) {
    timespec now{};
    ::clock_gettime(to_clock_id(clock), &now);
    return to_nanoseconds(now);
}

u64 SystemWasiHost::clock_resolution(wasm::WasiClock clock) {
    timespec resolution{};
    ::clock_getres(to_clock_id(clock), &resolution);
    return to_nanoseconds(resolution);
}

void SystemWasiHost::random(std::span<u8> buffer) {
    std::size_t done = 0;
    while (done < buffer.size()) {
        ssize_t got = ::getrandom(buffer.data() + done, buffer.size() - done, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            // getrandom cannot fail on Linux >= 3.17 once the pool is initialized; a guest
            // must never get predictable bytes silently, so stop here.
            ESTA_ASSERT(false && "getrandom failed");
        }
        done += std::size_t(got);
    }
}

Result<std::size_t> SystemWasiHost::write(u32 fd, ByteSpan bytes) {
    int target = fd == 2 ? STDERR_FILENO : STDOUT_FILENO;
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t wrote = ::write(target, bytes.data() + done, bytes.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            return Err(Status::IoError, "exec.write");
        }
        done += std::size_t(wrote);
    }
    return done;
}

Result<std::size_t> SystemWasiHost::read_stdin(std::span<u8> buffer) {
    while (true) {
        ssize_t got = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (got >= 0) return std::size_t(got);
        if (errno != EINTR) return Err(Status::IoError, "exec.read");
    }
}

}  // namespace esta::app
