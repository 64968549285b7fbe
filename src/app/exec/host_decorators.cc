#include "app/exec/host_decorators.h"

#include <cstring>

namespace esta::app {

u64 DeterministicWasiHost::clock_time(wasm::WasiClock clock) {
    ++m_ticks;
    u64 start = clock == wasm::WasiClock::Realtime ? kRealtimeStart : 0;
    return start + m_ticks * kTickNanoseconds;
}

void DeterministicWasiHost::random(std::span<u8> buffer) {
    // SplitMix64 (Steele, Lea, Flood 2014): tiny, and every seed gives a full-period stream.
    std::size_t done = 0;
    while (done < buffer.size()) {
        u64 z = (m_random_state += 0x9E37'79B9'7F4A'7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
        z ^= z >> 31;
        std::size_t count = std::min<std::size_t>(8, buffer.size() - done);
        std::memcpy(buffer.data() + done, &z, count);
        done += count;
    }
}

Result<std::size_t> StdoutDigestHost::write(u32 fd, ByteSpan bytes) {
    auto written = m_inner.write(fd, bytes);
    if (written && fd == 1) {
        m_hash.update(bytes.first(*written));
        m_stdout_bytes += *written;
    }
    return written;
}

}  // namespace esta::app
