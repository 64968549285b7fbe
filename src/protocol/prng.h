// DeterministicRng: a small seeded generator (SplitMix64) for backoff jitter and the random
// bits of message ids. Same seed, same sequence, on every machine and build: no
// std::random_device and no distribution whose output the standard leaves unspecified.
#pragma once

#include "base/types.h"

namespace esta::protocol {

class DeterministicRng {
  public:
    explicit DeterministicRng(u64 seed) : m_state(seed) {}

    u64 next_u64() {
        m_state += 0x9E3779B97F4A7C15ull;
        u64 z = m_state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // A value in [0, bound); bound 0 gives 0. Uses the multiply-shift reduction, whose
    // tiny bias is irrelevant for jitter and fully deterministic.
    u64 next_below(u64 bound) {
        if (bound == 0) return 0;
        return static_cast<u64>((static_cast<unsigned __int128>(next_u64()) * bound) >> 64);
    }

  private:
    u64 m_state;
};

}  // namespace esta::protocol
