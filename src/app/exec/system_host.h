// The WASI host `estalogic exec` uses: the real clocks, the operating system's randomness
// and the process's own standard streams. The kernel never uses it; it serves recorded
// answers instead (REQUIREMENTS E-3, E-9).
#pragma once

#include "wasm/wasi.h"

namespace esta::app {

class SystemWasiHost final : public wasm::WasiHost {
  public:
    u64 clock_time(wasm::WasiClock clock) override;
    u64 clock_resolution(wasm::WasiClock clock) override;
    void random(std::span<u8> buffer) override;
    Result<std::size_t> write(u32 fd, ByteSpan bytes) override;
    Result<std::size_t> read_stdin(std::span<u8> buffer) override;
};

}  // namespace esta::app
