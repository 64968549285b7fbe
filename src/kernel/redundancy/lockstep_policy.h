// LockstepPolicy (REQUIREMENTS K-60): what happens after two replicas' effects for one
// message are compared. Nothing is released until they match.
//
//   begin(message) -> Comparing
//   Comparing --match--> Released            (release the effects of either replica)
//   Comparing --divergence, retries left--> Retrying (discard both; run the message again on
//                                            fresh replicas from the pre-message state with
//                                            the same journaled kernel answers)
//   Retrying --match--> Released
//   Retrying --divergence, no retries left--> Quarantined (discard; quarantine the region;
//                                            alarm through the SafetySink, audit, metric)
//   Quarantined is sticky: every later comparison answers Quarantine until reset() (the
//   region's recovery decided by its parent, K-40).
//
// Wiring (not done here; the owners of the engine and the kernel provide):
// - engine: LinearMemory calls DirtyPageTracker::note_write on every store, bulk-memory op
//   and grow of a replica (or marks pages from a write barrier), and exposes its bytes as a
//   ByteSpan for digest(); a fault-injection hook flips a chosen bit in a replica's memory,
//   value stack, frame or lowered code;
// - kernel: two instances per critical process, each with its own copy of the input; the
//   second replica answers every syscall from the first one's journaled kernel answers
//   (protocol/input_log) instead of asking the kernel again; sys_send, driver calls and
//   audit writes of a replica append to its EffectLog and park the bytes in an outbox; at the
//   message boundary the kernel calls on_compared() and releases the outbox, or discards both
//   and re-runs from the pre-message snapshot (Retry), or calls RegionTree::quarantine
//   (Quarantine).
// One policy per critical process. Not thread-safe: the kernel compares after both replicas
// reached the message boundary, on one thread.
#pragma once

#include <optional>
#include <string>

#include "kernel/guardrails/safety_sink.h"
#include "kernel/redundancy/effect_comparator.h"
#include "observe/metrics.h"

namespace esta::kernel {

enum class LockstepState : u8 { Idle, Comparing, Retrying, Released, Quarantined };
std::string_view lockstep_state_name(LockstepState state);

enum class LockstepDecision : u8 { Release, Retry, Quarantine };

struct LockstepConfig {
    u32 max_retries = 1;  // K-60: retry once, then quarantine.
};

class LockstepPolicy {
  public:
    // `subject` names the process or region in metrics and reports.
    LockstepPolicy(std::string subject, LockstepConfig config, observe::MetricsRegistry& metrics,
                   SafetySink& sink);

    // Starts the comparison of a new message (from Idle or Released). A Quarantined policy
    // stays Quarantined.
    void begin(u64 message_sequence);
    // Compares the two replicas' logs for the current message and decides.
    LockstepDecision on_compared(const EffectLog& left, const EffectLog& right, Nanos now);
    // An integrity check failed outside the effect comparison (a replica's lowered code no
    // longer matches its checksum): decided like a divergence, Retry while retries are
    // left, then Quarantine. `what` names the check in the report.
    LockstepDecision on_integrity_failure(std::string_view what, Nanos now);
    // The region was recovered: accept new messages again.
    void reset();

    LockstepState state() const { return m_state; }
    u32 attempts() const { return m_attempts; }
    const std::optional<Divergence>& last_divergence() const { return m_last_divergence; }

  private:
    LockstepDecision decide_failure(std::string_view detail, i64 index, Nanos now);

    std::string m_subject;
    LockstepConfig m_config;
    SafetySink& m_sink;
    observe::Counter& m_comparisons;
    observe::Counter& m_retries;
    observe::Counter& m_quarantines;
    LockstepState m_state = LockstepState::Idle;
    u64 m_message_sequence = 0;
    u32 m_attempts = 0;
    std::optional<Divergence> m_last_divergence;
};

}  // namespace esta::kernel
