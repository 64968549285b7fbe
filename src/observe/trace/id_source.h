// Where trace and span ids come from. There is no global random generator: the runtime
// injects an IdSource, so a replay or a test gets the same ids from the same seed.
#pragma once

#include <atomic>

#include "observe/trace/trace_context.h"

namespace esta::observe {

class IdSource {
  public:
    virtual ~IdSource() = default;
    // Never all zero. Thread-safe. A trace id's rightmost 7 bytes are uniformly random
    // (the W3C Level 2 "random" flag and TraceIdRatioBased sampling rely on that).
    virtual TraceId new_trace_id() = 0;
    virtual SpanId new_span_id() = 0;
};

// A counter fed through the SplitMix64 finalizer: distinct, well-mixed ids in a
// deterministic order from a seed, lock-free. Not secret: ids are correlation handles, not
// credentials. Production seeds it from the OS once at start; tests pick a seed.
class SeededIdSource final : public IdSource {
  public:
    explicit SeededIdSource(u64 seed) : m_state(seed) {}
    TraceId new_trace_id() override;
    SpanId new_span_id() override;

  private:
    u64 next();
    std::atomic<u64> m_state;
};

}  // namespace esta::observe
