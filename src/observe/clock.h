// Clock: the only way observe learns the time. Production passes the kernel's clock; tests
// pass a ManualClock, so nothing observe decides depends on the wall clock (determinism).
#pragma once

#include <atomic>

#include "base/types.h"

namespace esta::observe {

class Clock {
  public:
    virtual ~Clock() = default;
    // Nanoseconds since the Unix epoch. Implementations should not go backwards; the audit
    // log refuses a timestamp earlier than its last record.
    virtual i64 now_ns() const = 0;
};

// A clock that moves only when told to. Thread-safe, so a test may read it from a worker.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(i64 start_ns = 0) : m_now(start_ns) {}
    i64 now_ns() const override { return m_now.load(std::memory_order_relaxed); }
    void set(i64 now_ns) { m_now.store(now_ns, std::memory_order_relaxed); }
    void advance(i64 delta_ns) { m_now.fetch_add(delta_ns, std::memory_order_relaxed); }

  private:
    std::atomic<i64> m_now;
};

}  // namespace esta::observe
