// WASI hosts that wrap another one (REQUIREMENTS E-3, T-6):
//   DeterministicWasiHost  replaces the clocks and randomness with fixed sequences, so a
//                          run depends on nothing but the module, its arguments and stdin;
//   StdoutDigestHost       hashes what the guest writes to stdout on its way through, for
//                          the golden digests of `estalogic exec --digest`.
// Both borrow the host they wrap, which must outlive them.
#pragma once

#include "observe/crypto.h"
#include "wasm/wasi.h"

namespace esta::app {

class DeterministicWasiHost final : public wasm::WasiHost {
  public:
    explicit DeterministicWasiHost(wasm::WasiHost& streams) : m_streams(streams) {}

    // Every reading of any clock advances one shared tick of 1 ms; realtime starts at
    // 2023-11-14T22:13:20Z (1.7e9 s), the other clocks at zero.
    u64 clock_time(wasm::WasiClock clock) override;
    u64 clock_resolution(wasm::WasiClock) override { return kTickNanoseconds; }
    // SplitMix64 from a fixed seed.
    void random(std::span<u8> buffer) override;
    Result<std::size_t> write(u32 fd, ByteSpan bytes) override {
        return m_streams.write(fd, bytes);
    }
    Result<std::size_t> read_stdin(std::span<u8> buffer) override {
        return m_streams.read_stdin(buffer);
    }

  private:
    static constexpr u64 kTickNanoseconds = 1'000'000;
    static constexpr u64 kRealtimeStart = 1'700'000'000ull * 1'000'000'000ull;

    wasm::WasiHost& m_streams;
    u64 m_ticks = 0;
    u64 m_random_state = 0;
};

class StdoutDigestHost final : public wasm::WasiHost {
  public:
    explicit StdoutDigestHost(wasm::WasiHost& inner) : m_inner(inner) {}

    u64 clock_time(wasm::WasiClock clock) override { return m_inner.clock_time(clock); }
    u64 clock_resolution(wasm::WasiClock clock) override { return m_inner.clock_resolution(clock); }
    void random(std::span<u8> buffer) override { m_inner.random(buffer); }
    Result<std::size_t> write(u32 fd, ByteSpan bytes) override;
    Result<std::size_t> read_stdin(std::span<u8> buffer) override {
        return m_inner.read_stdin(buffer);
    }

    u64 stdout_bytes() const { return m_stdout_bytes; }
    observe::Digest finish() { return m_hash.finish(); }

  private:
    wasm::WasiHost& m_inner;
    observe::Sha256 m_hash;
    u64 m_stdout_bytes = 0;
};

}  // namespace esta::app
