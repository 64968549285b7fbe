// A WASI preview 1 subset for command programs (REQUIREMENTS E-9), as host functions under
// module name "wasi_snapshot_preview1". Arguments, environment, standard streams, clocks
// and randomness; no filesystem (fd_prestat_get answers EBADF, so wasi-libc starts up with
// no preopened directories). Every other preview 1 function exists with its proper type
// and returns ENOSYS, so ordinary programs link and fail softly at run time.
//
// Nothing here reads the host's clock, randomness or streams directly: they come from a
// WasiHost the embedder injects. `estalogic exec` passes the real ones; the kernel passes
// answers it records in its journal, so a replay sees the same time and the same bytes.
// ABI: https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "wasm/wasm.h"

namespace esta::wasm {

inline constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";

// WASI errno values the subset returns (the ABI's numbering).
enum class WasiErrno : u16 {
    Success = 0,
    BadFileDescriptor = 8,  // EBADF
    Fault = 21,             // EFAULT: a pointer or length outside the guest's memory.
    Invalid = 28,           // EINVAL
    Io = 29,                // EIO
    NoSys = 52,             // ENOSYS
    Overflow = 61,          // EOVERFLOW
    NotSeekable = 70,       // ESPIPE
};

enum class WasiClock : u32 { Realtime = 0, Monotonic = 1, ProcessCpuTime = 2, ThreadCpuTime = 3 };

// What a WASI guest may observe of the world. Implementations decide where answers come
// from (the real system, a journal, a test fake). Called on the thread running the guest.
class WasiHost {
  public:
    virtual ~WasiHost() = default;

    // Nanoseconds on `clock` (clock_time_get) and its resolution (clock_res_get).
    virtual u64 clock_time(WasiClock clock) = 0;
    virtual u64 clock_resolution(WasiClock clock) = 0;
    // Fills `buffer` with random bytes (random_get).
    virtual void random(std::span<u8> buffer) = 0;
    // Writes to standard output (fd 1) or standard error (fd 2); returns the bytes written.
    // Status::IoError becomes EIO.
    virtual Result<std::size_t> write(u32 fd, ByteSpan bytes) = 0;
    // Reads standard input; 0 means end of file. Status::IoError becomes EIO.
    virtual Result<std::size_t> read_stdin(std::span<u8> buffer) = 0;
};

struct WasiConfig {
    std::vector<std::string> args;  // args[0] is the program name, as in C's argv.
    std::vector<std::string> env;   // "NAME=value" entries.
};

// One WASI host function: its name, its preview 1 type and its implementation.
struct WasiFunction {
    std::string_view name;
    FuncType type;
    HostFunction function;
};

// The state of one WASI program: its arguments and environment, which standard streams it
// closed, and the host serving it. The functions it hands out borrow it: it must outlive
// every store they are defined in.
class Wasi {
  public:
    Wasi(WasiConfig config, WasiHost& host) : m_config(std::move(config)), m_host(host) {}
    Wasi(const Wasi&) = delete;
    Wasi& operator=(const Wasi&) = delete;

    // Every wasi_snapshot_preview1 function: the subset implemented, the rest ENOSYS stubs.
    std::vector<WasiFunction> functions();

    // Creates the functions in `store` and defines them under kWasiModule in `linker`.
    void define(Store& store, Linker& linker);

  private:
    HostResult args_or_environ_sizes(HostContext& context, const std::vector<std::string>& strings,
                                     std::span<const Value> args, std::span<Value> results);
    HostResult args_or_environ_get(HostContext& context, const std::vector<std::string>& strings,
                                   std::span<const Value> args, std::span<Value> results);
    HostResult fd_write(HostContext& context, std::span<const Value> args,
                        std::span<Value> results);
    HostResult fd_read(HostContext& context, std::span<const Value> args, std::span<Value> results);
    HostResult fd_close(std::span<const Value> args, std::span<Value> results);
    HostResult fd_seek(std::span<const Value> args, std::span<Value> results);
    HostResult fd_fdstat_get(HostContext& context, std::span<const Value> args,
                             std::span<Value> results);
    HostResult clock_time_get(HostContext& context, std::span<const Value> args,
                              std::span<Value> results);
    HostResult clock_res_get(HostContext& context, std::span<const Value> args,
                             std::span<Value> results);
    HostResult random_get(HostContext& context, std::span<const Value> args,
                          std::span<Value> results);

    bool is_open_stream(u32 fd) const { return fd < m_open.size() && m_open[fd]; }

    WasiConfig m_config;
    WasiHost& m_host;
    std::array<bool, 3> m_open{true, true, true};  // stdin, stdout, stderr
};

}  // namespace esta::wasm
