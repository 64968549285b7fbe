// ReorderBuffer (P-6): per-source ordering. Messages carry consecutive sequence numbers;
// the buffer releases them in order, holds early arrivals, reports the gaps before them,
// and gives up on a gap when the window fills or the oldest held message has waited
// max_wait (time from the injected clock). Fixes the prototype's defects: a flush moves
// the expected sequence past everything released (never re-accepting it), a duplicate is
// dropped, gaps list only sequences not held, and a flush drains the run that follows.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "protocol/clock.h"

namespace esta::protocol {

struct ReorderOptions {
    std::size_t max_window = 64;            // Most messages held at once.
    Nanos max_wait = 100 * kNanosPerMilli;  // Longest a held message waits for a gap.
    u64 first_sequence = 1;
};

// Sequences first..last (inclusive) that are missing.
struct SequenceGap {
    u64 first = 0;
    u64 last = 0;
    bool operator==(const SequenceGap&) const = default;
};

enum class ReorderStatus : u8 {
    Released,   // In order: it and any run it completed are in `released`.
    Buffered,   // Early: held; `gaps` lists what it waits for.
    Flushed,    // Held, and the window overflowed: `released` holds what was given up on.
    Duplicate,  // Already held; dropped.
    TooOld,     // Already released or skipped; dropped.
};

template <class Payload>
class ReorderBuffer {
  public:
    struct Outcome {
        ReorderStatus status = ReorderStatus::Released;
        std::vector<Payload> released;  // In sequence order.
        std::vector<SequenceGap> gaps;  // Buffered: missing before it. Flushed: skipped.
    };

    ReorderBuffer(const Clock& clock, ReorderOptions options)
        : m_clock(clock), m_options(options), m_expected(options.first_sequence) {
        if (m_options.max_window == 0) m_options.max_window = 1;
    }

    Outcome insert(u64 sequence, Payload payload) {
        Outcome outcome;
        if (sequence < m_expected) {
            outcome.status = ReorderStatus::TooOld;
            return outcome;
        }
        if (m_held.contains(sequence)) {
            outcome.status = ReorderStatus::Duplicate;
            return outcome;
        }
        if (sequence == m_expected) {
            outcome.status = ReorderStatus::Released;
            outcome.released.push_back(std::move(payload));
            ++m_expected;
            drain(outcome.released);
            return outcome;
        }
        m_held.emplace(sequence, Held{m_clock.now_ns(), std::move(payload)});
        if (m_held.size() > m_options.max_window) {
            // Give up on the oldest gap: release the lowest held message and what follows it.
            outcome.status = ReorderStatus::Flushed;
            release_through(m_held.begin()->first, outcome);
            return outcome;
        }
        outcome.status = ReorderStatus::Buffered;
        outcome.gaps = missing_below(sequence);
        return outcome;
    }

    // Releases, at the clock's now, every held message that waited longer than max_wait,
    // with everything held below it and the run that follows; `gaps` lists what was skipped.
    Outcome poll() {
        Outcome outcome;
        outcome.status = ReorderStatus::Released;
        const Nanos now = m_clock.now_ns();
        u64 through = 0;
        bool expired = false;
        for (const auto& [sequence, held] : m_held) {
            if (now - held.arrived_at > m_options.max_wait) {
                through = sequence;
                expired = true;
            }
        }
        if (expired) release_through(through, outcome);
        return outcome;
    }

    u64 expected() const { return m_expected; }
    std::size_t held() const { return m_held.size(); }
    // Everything missing below the highest held message.
    std::vector<SequenceGap> gaps() const {
        return m_held.empty() ? std::vector<SequenceGap>{} : missing_below(m_held.rbegin()->first);
    }

  private:
    struct Held {
        Nanos arrived_at = 0;
        Payload payload;
    };

    void drain(std::vector<Payload>& released) {
        for (auto it = m_held.begin(); it != m_held.end() && it->first == m_expected;) {
            released.push_back(std::move(it->second.payload));
            it = m_held.erase(it);
            ++m_expected;
        }
    }

    // Releases every held message up to `through`, skipping the gaps, then the run after.
    void release_through(u64 through, Outcome& outcome) {
        for (auto it = m_held.begin(); it != m_held.end() && it->first <= through;) {
            if (it->first > m_expected)
                outcome.gaps.push_back(SequenceGap{m_expected, it->first - 1});
            outcome.released.push_back(std::move(it->second.payload));
            m_expected = it->first + 1;
            it = m_held.erase(it);
        }
        drain(outcome.released);
    }

    // Ranges in [m_expected, limit) not held, as ranges so a jump stays small to report.
    std::vector<SequenceGap> missing_below(u64 limit) const {
        std::vector<SequenceGap> gaps;
        u64 next = m_expected;
        for (const auto& [sequence, held] : m_held) {
            if (sequence >= limit) break;
            if (sequence > next) gaps.push_back(SequenceGap{next, sequence - 1});
            next = sequence + 1;
        }
        if (limit > next) gaps.push_back(SequenceGap{next, limit - 1});
        return gaps;
    }

    const Clock& m_clock;
    ReorderOptions m_options;
    u64 m_expected;
    std::map<u64, Held> m_held;
};

}  // namespace esta::protocol
