// Fairness within a priority level (REQUIREMENTS K-7): over a window, each process that
// stayed runnable the whole time should get an equal share of its level's CPU. The share is
// measured in fuel (the unit slices are made of, calibrated to time), so the figure is the
// same on every run of the same schedule. fairness(level) = min over the level's
// always-runnable processes of actual share / equal share; 1.0 is perfectly fair.
#pragma once

#include <array>
#include <map>
#include <optional>

#include "base/types.h"
#include "kernel/ids.h"
#include "kernel/priority.h"
#include "kernel/process.h"

namespace esta::kernel {

class FairnessMeter {
  public:
    explicit FairnessMeter(Nanos window) : m_window(window) {}

    // A slice of `pid` at `level` used `fuel` and left the process in `after`. A process
    // that waited, blocked or ended during the window is not "always runnable".
    void record(ProcessId pid, Priority level, u64 fuel, ProcessState after);
    // Closes the window when it has elapsed at `now` (its figures become last()), and
    // opens the next.
    void roll(Nanos now);

    // The current window's fairness per level; nullopt for a level with fewer than two
    // always-runnable processes (nothing to compare).
    std::array<std::optional<double>, kPriorityCount> current() const;
    // The last closed window's.
    const std::array<std::optional<double>, kPriorityCount>& last() const { return m_last; }
    Nanos window_start() const { return m_start; }

  private:
    struct Usage {
        Priority level = Priority::Normal;
        u64 fuel = 0;
        bool always_runnable = true;
    };
    Nanos m_window;
    Nanos m_start = 0;
    bool m_started = false;
    std::map<ProcessId, Usage> m_usage;
    std::array<std::optional<double>, kPriorityCount> m_last{};
};

}  // namespace esta::kernel
