// The kernel's clock as observe's (spans, latency histograms, audit timestamps), so what
// observe records is on the same injected time as the kernel's decisions.
#pragma once

#include "observe/clock.h"
#include "protocol/clock.h"

namespace esta::kernel {

class ObserveClock final : public observe::Clock {
  public:
    // `clock` is borrowed and outlives this.
    explicit ObserveClock(const protocol::Clock& clock) : m_clock(clock) {}
    i64 now_ns() const override { return m_clock.now_ns(); }

  private:
    const protocol::Clock& m_clock;
};

}  // namespace esta::kernel
