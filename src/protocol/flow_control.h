// Flow control (P-7): credits a receiver grants (with pause/resume), a token bucket that
// limits a rate, and a bounded priority queue that makes room for a strictly more urgent
// message by evicting the oldest of the least urgent. Time from the injected clock.
#pragma once

#include <array>
#include <deque>
#include <optional>

#include "base/result.h"
#include "protocol/clock.h"
#include "protocol/envelope.h"

namespace esta::protocol {

enum class CreditOutcome : u8 { Granted, NoCredit, Paused };

// Message credits: the receiver grants them (with acks), the sender spends one per send.
class CreditGate {
  public:
    // Starts with `initial` credits (clamped to `max`).
    CreditGate(u32 max, u32 initial) : m_max(max), m_credits(initial < max ? initial : max) {}

    CreditOutcome try_consume();
    // Adds credits, never beyond the maximum.
    void grant(u32 credits);
    // A paused gate refuses every send but keeps its credits (FlowPause/FlowResume).
    void pause() { m_paused = true; }
    void resume() { m_paused = false; }

    u32 available() const { return m_credits; }
    bool paused() const { return m_paused; }

  private:
    u32 m_max;
    u32 m_credits;
    bool m_paused = false;
};

class TokenBucket {
  public:
    struct Decision {
        bool granted = false;
        u32 remaining = 0;  // Tokens left after the decision.
        Nanos wait = 0;     // When refused: time until the next refill.
    };

    // `refill` tokens are added every `interval`, up to `capacity`; it starts full.
    // InvalidArgs "token_bucket.bad_options" when capacity, refill or interval is zero.
    static Result<TokenBucket> create(const Clock& clock, u32 capacity, u32 refill, Nanos interval);

    Decision try_acquire(u32 tokens = 1);
    u32 tokens();

  private:
    TokenBucket(const Clock& clock, u32 capacity, u32 refill, Nanos interval)
        : m_clock(&clock),
          m_capacity(capacity),
          m_refill(refill),
          m_interval(interval),
          m_tokens(capacity),
          m_last_refill(clock.now_ns()) {}
    void refill();

    const Clock* m_clock;  // Borrowed; a pointer keeps the bucket movable.
    u32 m_capacity;
    u32 m_refill;
    Nanos m_interval;
    u32 m_tokens;
    Nanos m_last_refill;
};

enum class EnqueueStatus : u8 { Enqueued, EnqueuedWithEviction, Rejected };

// FIFO within a priority, highest priority first.
template <class Payload>
class BoundedPriorityQueue {
  public:
    struct Outcome {
        EnqueueStatus status = EnqueueStatus::Enqueued;
        std::optional<Payload> evicted;  // The payload that made room, handed back.
        Priority evicted_priority = Priority::Background;
        std::optional<Payload> rejected;  // The newcomer, handed back when refused.
    };

    explicit BoundedPriorityQueue(std::size_t capacity) : m_capacity(capacity) {}

    Outcome push(Priority priority, Payload payload) {
        Outcome outcome;
        const std::size_t level = static_cast<std::size_t>(priority);
        ESTA_ASSERT(level < kPriorityCount);
        if (m_size < m_capacity) {
            m_levels[level].push_back(std::move(payload));
            ++m_size;
            return outcome;
        }
        // Full: only a strictly more urgent newcomer may push out the oldest entry of the
        // least urgent level present.
        std::size_t lowest = 0;
        while (lowest < kPriorityCount && m_levels[lowest].empty())
            ++lowest;
        if (lowest >= level) {
            outcome.status = EnqueueStatus::Rejected;
            outcome.rejected = std::move(payload);
            return outcome;
        }
        outcome.status = EnqueueStatus::EnqueuedWithEviction;
        outcome.evicted = std::move(m_levels[lowest].front());
        outcome.evicted_priority = static_cast<Priority>(lowest);
        m_levels[lowest].pop_front();
        m_levels[level].push_back(std::move(payload));
        return outcome;
    }

    std::optional<Payload> pop() {
        for (std::size_t level = kPriorityCount; level-- > 0;) {
            if (!m_levels[level].empty()) {
                Payload payload = std::move(m_levels[level].front());
                m_levels[level].pop_front();
                --m_size;
                return payload;
            }
        }
        return std::nullopt;
    }

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    bool full() const { return m_size >= m_capacity; }

  private:
    std::size_t m_capacity;
    std::size_t m_size = 0;
    std::array<std::deque<Payload>, kPriorityCount> m_levels;
};

}  // namespace esta::protocol
