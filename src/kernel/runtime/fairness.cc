#include "kernel/runtime/fairness.h"

#include <algorithm>

namespace esta::kernel {

void FairnessMeter::record(ProcessId pid, Priority level, u64 fuel, ProcessState after) {
    Usage& usage = m_usage[pid];
    usage.level = level;
    usage.fuel += fuel;
    if (after != ProcessState::Ready) usage.always_runnable = false;
}

void FairnessMeter::roll(Nanos now) {
    if (!m_started) {
        m_started = true;
        m_start = now;
        return;
    }
    if (now - m_start < m_window) return;
    m_last = current();
    m_usage.clear();
    m_start = now;
}

std::array<std::optional<double>, kPriorityCount> FairnessMeter::current() const {
    std::array<std::optional<double>, kPriorityCount> fairness{};
    for (u32 level = 0; level < kPriorityCount; ++level) {
        u64 total = 0;
        u32 count = 0;
        u64 least = ~u64{0};
        for (const auto& [pid, usage] : m_usage) {
            if (static_cast<u32>(usage.level) != level || !usage.always_runnable) continue;
            total += usage.fuel;
            ++count;
            least = std::min(least, usage.fuel);
        }
        if (count < 2 || total == 0) continue;
        // least / (total / count): the smallest share against the equal one.
        fairness[level] = static_cast<double>(least) * count / static_cast<double>(total);
    }
    return fairness;
}

}  // namespace esta::kernel
