#include "kernel/deterministic_random.h"

namespace esta::kernel {

namespace {
constexpr u64 kGoldenGamma = 0x9E3779B97F4A7C15ull;
}

DeterministicRandom::DeterministicRandom(u64 kernel_seed, ProcessId process)
    // Mixing the pid in through one generator step keeps neighbouring pids' streams apart.
    : m_state(kernel_seed ^ (static_cast<u64>(process.value()) * kGoldenGamma)) {
    (void)next();
}

u64 DeterministicRandom::next() {
    u64 z = (m_state += kGoldenGamma);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void DeterministicRandom::fill(std::span<u8> bytes) {
    std::size_t index = 0;
    while (index < bytes.size()) {
        u64 word = next();
        for (int byte = 0; byte < 8 && index < bytes.size(); ++byte, word >>= 8)
            bytes[index++] = static_cast<u8>(word);
    }
}

}  // namespace esta::kernel
