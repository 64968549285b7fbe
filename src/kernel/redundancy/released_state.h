// ReleasedState (REQUIREMENTS K-60): a lockstep process's mutable state as of its last
// released message — memory 0 and the globals — kept apart from both replicas. Each replica
// is compared with it to find the pages a message dirtied, and a retry starts fresh replicas
// from it. It is updated only from pages both replicas agreed on.
#pragma once

#include <array>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "kernel/redundancy/dirty_pages.h"
#include "wasm/wasm.h"

namespace esta::kernel {

class ReleasedState {
  public:
    // Everything of `instance` (after instantiation, before the first message).
    void capture(const wasm::Instance& instance);
    // The pages `dirty` of `instance`'s memory (it may have grown) and all globals.
    void update(const wasm::Instance& instance, const DirtyPageTracker& dirty);
    // Writes the state into an `instance` of the same module (fresh, or one whose attempt
    // failed: memory it grew beyond the state reads as zero again).
    Result<void> restore(wasm::Instance& instance) const;

    ByteSpan memory() const { return ByteSpan(m_memory.data(), m_memory.size()); }
    const std::vector<std::array<u64, 2>>& globals() const { return m_globals; }

  private:
    std::vector<u8> m_memory;
    std::vector<std::array<u64, 2>> m_globals;  // Slots of each global (a v128 takes two).
};

// SHA-256 of the globals' slots, for the comparison of two replicas' state.
observe::Digest globals_digest(const wasm::Instance& instance);
// Whether two instances of one module hold the same globals (slot for slot).
bool same_globals(const wasm::Instance& a, const wasm::Instance& b);

}  // namespace esta::kernel
