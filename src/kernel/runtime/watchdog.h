// The wall-clock watchdog (REQUIREMENTS K-43, T-4): one slot per scheduler thread records
// when the slice it runs began; check() raises the slot's interrupt flag once a slice has
// run longer than the limit, and the engine stops the guest with trap 3001 at its next
// safepoint. Wall-clock time is the host's, not the kernel's journaled clock: this is the
// one non-deterministic stop, which is why a 3001 is retried once (supervision).
//
// Each slot has its own small lock, so a flag raised for a slice that has just ended can
// never leak into the next one: begin() and end() clear it under the same lock check()
// raises it under.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

class Watchdog {
  public:
    Watchdog(u32 slots, Nanos limit);

    Nanos limit() const { return m_limit; }
    // The flag the engine of slot `slot`'s guest watches.
    const std::atomic<bool>* interrupt_flag(u32 slot) const;

    // A slice starts (at wall-clock `now`) / ends on the slot's thread.
    void begin(u32 slot, Nanos now);
    void end(u32 slot);
    // Raises the flag of every slot whose slice began more than the limit before `now`;
    // returns how many it raised this time (a raised slot is not counted again).
    u32 check(Nanos now);
    u64 fired() const { return m_fired.load(std::memory_order_relaxed); }

  private:
    struct Slot {
        std::mutex mutex;
        bool active = false;
        bool raised = false;
        Nanos started = 0;
        std::atomic<bool> interrupt{false};
    };
    Nanos m_limit;
    std::vector<std::unique_ptr<Slot>> m_slots;
    std::atomic<u64> m_fired{0};
};

}  // namespace esta::kernel
