// The per-process random generator behind the `random` syscall (T-2: no host entropy in a
// decision). Seeded from the process identity and the kernel's seed, so a replay that
// starts the same processes in the same order draws the same bytes; the syscall layer
// also hands every answer to a recorder so a journal can keep it.
#pragma once

#include <span>

#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

// SplitMix64: tiny, fast, and its whole state is one word, so it is cheap to keep per process.
// Not cryptographic; guests needing secrets get them from a driver.
class DeterministicRandom {
  public:
    DeterministicRandom(u64 kernel_seed, ProcessId process);

    u64 next();
    void fill(std::span<u8> bytes);

  private:
    u64 m_state;
};

}  // namespace esta::kernel
