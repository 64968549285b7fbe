// Clock: the one source of time for the protocol room (REQUIREMENTS T-2: time is an input).
// Every deadline, TTL, backoff and fsync interval reads an injected Clock, so tests drive
// time with a ManualClock and replay sees the same instants.
#pragma once

#include "base/types.h"

namespace esta::protocol {

// Nanoseconds since the Unix epoch (wall clock) or since an arbitrary origin (manual).
using Nanos = i64;

inline constexpr Nanos kNanosPerMicro = 1'000;
inline constexpr Nanos kNanosPerMilli = 1'000'000;
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

class Clock {
  public:
    virtual ~Clock() = default;
    // The current time in nanoseconds. Implementations need not be monotonic; callers that
    // need monotonic time (the HLC, id generation) guard against steps backwards.
    virtual Nanos now_ns() const = 0;
};

// A clock that moves only when told to: the clock of every test.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(Nanos start = 0) : m_now(start) {}

    Nanos now_ns() const override { return m_now; }
    void set(Nanos now) { m_now = now; }
    void advance(Nanos delta) { m_now += delta; }

  private:
    Nanos m_now;
};

// The host's real-time clock. Only the kernel's edge constructs it; its readings become
// journaled inputs, never hidden decisions.
class SystemClock final : public Clock {
  public:
    Nanos now_ns() const override;
};

}  // namespace esta::protocol
