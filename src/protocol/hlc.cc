#include "protocol/hlc.h"

#include <algorithm>
#include <limits>

namespace esta::protocol {

HlcTimestamp HybridLogicalClock::now() {
    const Nanos physical = m_clock.now_ns();
    if (physical > m_last.wall_ns) {
        m_last = HlcTimestamp{physical, 0, m_node};
    } else if (m_last.logical == std::numeric_limits<u32>::max()) {
        // The logical counter is spent for this wall instant: step the wall component
        // forward by one nanosecond instead of wrapping, which would break ordering.
        m_last = HlcTimestamp{m_last.wall_ns + 1, 0, m_node};
    } else {
        m_last = HlcTimestamp{m_last.wall_ns, m_last.logical + 1, m_node};
    }
    return m_last;
}

Result<HlcTimestamp> HybridLogicalClock::observe(const HlcTimestamp& remote) {
    const Nanos physical = m_clock.now_ns();
    if (remote.wall_ns > physical && remote.wall_ns - physical > m_max_drift_ns) {
        return Err(Status::Invalid, "hlc.remote_clock_too_far_ahead",
                   Detail{.limit = static_cast<u64>(m_max_drift_ns),
                          .actual = static_cast<u64>(remote.wall_ns - physical)});
    }
    const Nanos wall = std::max({m_last.wall_ns, remote.wall_ns, physical});
    u64 logical = 0;
    if (wall == m_last.wall_ns && wall == remote.wall_ns) {
        logical = u64{std::max(m_last.logical, remote.logical)} + 1;
    } else if (wall == m_last.wall_ns) {
        logical = u64{m_last.logical} + 1;
    } else if (wall == remote.wall_ns) {
        logical = u64{remote.logical} + 1;
    }
    if (logical > std::numeric_limits<u32>::max()) {
        m_last = HlcTimestamp{wall + 1, 0, m_node};
    } else {
        m_last = HlcTimestamp{wall, static_cast<u32>(logical), m_node};
    }
    return m_last;
}

}  // namespace esta::protocol
