// The flight recorder's crash copy (REQUIREMENTS O-3, "dumped on crash"): its newest entries
// kept as finished JSON lines in memory allocated up front, so a fatal-signal handler can
// write them out with write(2) alone — no allocation, no lock, no formatting.
//
// One writer at a time (the FlightRecorder pushes under its mutex); dump_to_fd() may run at
// any moment, even inside a push on the same thread, and skips a slot caught half-written
// (each slot is a small seqlock).
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "base/types.h"

namespace esta::observe {

class CrashRing {
  public:
    // A dump copies a slot to the stack before writing it, so slots stay small.
    static constexpr std::size_t kMaxSlotBytes = 4096;

    // `slots` lines of at most `slot_bytes` each (at least 1, at most kMaxSlotBytes).
    CrashRing(std::size_t slots, std::size_t slot_bytes);

    std::size_t slot_bytes() const { return m_slot_bytes; }
    // Keeps `line` (one JSON line, '\n' included) in the oldest slot. False, keeping nothing,
    // when it is longer than a slot: the caller shortens it.
    bool push(std::string_view line);

    // Async-signal-safe: writes the complete lines, oldest first, to `fd`; returns how many.
    std::size_t dump_to_fd(int fd) const noexcept;

  private:
    std::size_t m_slots;
    std::size_t m_slot_bytes;
    std::unique_ptr<char[]> m_bytes;
    std::unique_ptr<u32[]> m_lengths;
    // 2n+1 while line n is being written to the slot, 2n+2 once it is there.
    std::unique_ptr<std::atomic<u64>[]> m_sequence;
    std::atomic<u64> m_pushed{0};
};

}  // namespace esta::observe
