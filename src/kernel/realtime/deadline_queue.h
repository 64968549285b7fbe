// Message deadlines (REQUIREMENTS K-53): Realtime work that carries a deadline is served
// earliest-deadline-first (ties in arrival order), and a missed deadline is never silently
// ignored: it is counted (kernel.deadline_misses), reported to the SafetySink (the trace
// and audit hook) and handled by the message's miss policy:
//   DeliverLate — still delivered, marked late, so the handler knows;
//   Drop        — not delivered; the caller moves it to the dead-letter queue with the reason;
//   Escalate    — not delivered; the caller records a Timeout fault in the receiver's region.
// A deadline is missed when now > deadline (exactly at the deadline is on time). Misses are
// found when the entry is popped or by sweep(), which the kernel runs on its timer tick so
// a Drop/Escalate miss is acted on even if nothing is served. Each miss is counted once.
// Time is the injected clock's, passed in by the caller (a journaled input, T-2).
//
// Cost: push, pop and each swept entry are O(log n). Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/types.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "kernel/realtime/miss_policy.h"
#include "observe/metrics.h"

namespace esta::kernel {

struct DeadlineEntry {
    u64 message_id = 0;
    Nanos deadline = 0;
    MissPolicy policy = MissPolicy::DeliverLate;
};

enum class DeadlineOutcome : u8 { OnTime, Late, Dropped, Escalated };

struct DeadlineDecision {
    DeadlineEntry entry;
    DeadlineOutcome outcome = DeadlineOutcome::OnTime;
    Nanos lateness = 0;  // now - deadline when missed, else 0.
    bool deliver() const {
        return outcome == DeadlineOutcome::OnTime || outcome == DeadlineOutcome::Late;
    }
};

struct DeadlineQueueConfig {
    u32 capacity = 4096;  // The Realtime mailbox capacity (K-3).
    MissPolicy default_policy = MissPolicy::DeliverLate;
};

class DeadlineQueue {
  public:
    DeadlineQueue(std::string name, DeadlineQueueConfig config, observe::MetricsRegistry& metrics,
                  SafetySink& sink);

    // Queues a message with its deadline; Limit (with the depth) when full. A message whose
    // deadline already passed is accepted and treated as missed when served or swept.
    Result<void> push(u64 message_id, Nanos deadline,
                      std::optional<MissPolicy> policy = std::nullopt);
    // The earliest-deadline entry, with its outcome; Drop/Escalate misses are returned too
    // (deliver() is false) so the caller can dead-letter or escalate them. Empty when none.
    Result<DeadlineDecision> pop(Nanos now);
    // Removes every missed Drop/Escalate entry and returns them; counts missed DeliverLate
    // entries (which stay queued, to be delivered late).
    std::vector<DeadlineDecision> sweep(Nanos now);

    std::size_t size() const { return m_entries.size(); }
    u64 misses() const { return m_misses; }

  private:
    struct Slot {
        DeadlineEntry entry;
        bool miss_counted = false;
    };
    using Key = std::pair<Nanos, u64>;  // (deadline, arrival): EDF, FIFO among equals.

    DeadlineDecision decide(Slot& slot, Nanos now);
    void count_miss(Slot& slot, Nanos now);

    std::string m_name;
    DeadlineQueueConfig m_config;
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
    std::map<Key, Slot> m_entries;
    u64 m_next_arrival = 0;
    u64 m_misses = 0;
};

}  // namespace esta::kernel
