// Hybrid logical clock (P-1): timestamps that follow physical time but never go backwards
// and capture causality between nodes. Ordering is wall, then logical, then node, so two
// nodes never compare equal (the prototype ignored the node id).
#pragma once

#include <compare>

#include "base/result.h"
#include "base/types.h"
#include "protocol/clock.h"

namespace esta::protocol {

struct HlcTimestamp {
    Nanos wall_ns = 0;  // Physical component, ns since the epoch.
    u32 logical = 0;    // Events within the same wall_ns.
    u32 node = 0;       // Tie-break between nodes.

    auto operator<=>(const HlcTimestamp&) const = default;
};

class HybridLogicalClock {
  public:
    // `clock` is borrowed and must outlive the HLC. A remote timestamp more than
    // `max_drift_ns` ahead of the local physical clock is refused by observe().
    HybridLogicalClock(const Clock& clock, u32 node, Nanos max_drift_ns = 500 * kNanosPerMilli)
        : m_clock(clock), m_node(node), m_max_drift_ns(max_drift_ns) {}

    // A timestamp for a local or send event: strictly greater than every earlier result.
    HlcTimestamp now();

    // Merges a received timestamp and returns the receive event's timestamp, strictly
    // greater than both the remote one and every earlier local one. Fails with Invalid
    // (detail: limit = allowed drift, actual = drift) when the remote clock runs too far
    // ahead; the local state is then unchanged.
    Result<HlcTimestamp> observe(const HlcTimestamp& remote);

    HlcTimestamp last() const { return m_last; }

  private:
    const Clock& m_clock;
    u32 m_node;
    Nanos m_max_drift_ns;
    HlcTimestamp m_last{};
};

}  // namespace esta::protocol
