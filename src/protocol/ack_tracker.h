// AckTracker (P-4): the sender's record of messages awaiting acknowledgement. Acks may be
// positive, negative with a reason, cumulative or selective. A message not acknowledged
// by its deadline is retransmitted with exponential backoff and jitter — jitter from a
// seeded generator, time from the injected clock — and each retransmission is counted;
// once the retry limit is spent the message is reported exhausted, for the dead-letter
// queue. Single owner; not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <variant>
#include <vector>

#include "base/result.h"
#include "protocol/clock.h"
#include "protocol/prng.h"

namespace esta::protocol {

enum class NackReason : u8 {
    Corrupted = 1,
    Lost = 2,
    ProcessingFailed = 3,
    ResourceUnavailable = 4
};
std::string_view nack_reason_name(NackReason reason);

struct PositiveAck {
    u64 sequence = 0;
};
struct NegativeAck {
    u64 sequence = 0;
    NackReason reason = NackReason::ProcessingFailed;
};
struct CumulativeAck {
    u64 up_to = 0;  // Every sequence <= up_to.
};
struct SelectiveAck {
    std::vector<u64> sequences;
};
using Ack = std::variant<PositiveAck, NegativeAck, CumulativeAck, SelectiveAck>;

struct RetryPolicy {
    Nanos initial_timeout = 1 * kNanosPerSecond;  // Wait for the first ack.
    u32 multiplier = 2;                           // Each retry waits this much longer.
    Nanos max_timeout = 60 * kNanosPerSecond;     // Cap on one wait.
    u32 jitter_permille = 200;  // A wait is drawn from [(1 - j) * base, base], j = 0.2.
    u32 max_retries = 5;        // Retransmissions after the first send.
};

// The wait before deadline number `attempt` (0 = after the first send): the base
// initial * multiplier^attempt capped at max_timeout, less a random fraction of up to
// jitter_permille of it, so many senders never retry in lockstep.
Nanos backoff_delay(const RetryPolicy& policy, u32 attempt, DeterministicRng& rng);

class AckTracker {
  public:
    struct Retransmit {
        u64 sequence = 0;
        u32 attempt = 0;  // 1 for the first retransmission.
    };
    struct Exhausted {
        u64 sequence = 0;
        u32 retries = 0;
        std::optional<NackReason> last_nack;  // Empty when the peer never answered.
    };
    struct Due {
        std::vector<Retransmit> retransmit;
        std::vector<Exhausted> exhausted;
    };

    AckTracker(const Clock& clock, RetryPolicy policy, u64 seed)
        : m_clock(clock), m_policy(policy), m_rng(seed) {}

    // Starts tracking `sequence`, sent now. InvalidArgs "ack.already_pending" when it is.
    Result<void> track(u64 sequence);
    // Applies an ack; returns the sequences it settled. A negative ack settles nothing: it
    // makes the message due for retransmission at once and remembers the reason.
    std::vector<u64> on_ack(const Ack& ack);
    // What is due at the clock's now: retransmissions (retries counted, next deadline set
    // with backoff) and messages whose retries are spent (no longer tracked).
    Due poll();

    std::optional<Nanos> next_deadline() const;
    std::size_t pending() const { return m_pending.size(); }
    bool is_pending(u64 sequence) const { return m_pending.contains(sequence); }

  private:
    struct Pending {
        Nanos deadline = 0;
        u32 retries = 0;
        std::optional<NackReason> last_nack;
    };

    const Clock& m_clock;
    RetryPolicy m_policy;
    DeterministicRng m_rng;
    std::map<u64, Pending> m_pending;  // Ordered, so a cumulative ack erases one range.
};

}  // namespace esta::protocol
