// MessageId: a 128-bit id ordered by creation time (P-1), laid out like a UUIDv7: the high
// word holds 48 bits of Unix milliseconds, the version nibble 7 and a 12-bit counter; the
// low word holds the variant bits and 62 bits from a seeded generator. Comparing two ids
// compares their creation order on one generator.
#pragma once

#include <compare>
#include <string>

#include "base/types.h"
#include "protocol/clock.h"
#include "protocol/prng.h"

namespace esta::protocol {

struct MessageId {
    u64 high = 0;
    u64 low = 0;

    // (0, 0) is the "missing" sentinel that validation rejects.
    bool is_nil() const { return high == 0 && low == 0; }
    // Unix milliseconds of creation.
    u64 unix_ms() const { return high >> 16; }
    // 32 lowercase hex digits, high word first.
    std::string to_hex() const;

    auto operator<=>(const MessageId&) const = default;
};

class MessageIdGenerator {
  public:
    // `clock` is borrowed. The seed makes the random bits reproducible (T-1); give each
    // node its own seed so ids of different nodes differ.
    MessageIdGenerator(const Clock& clock, u64 seed) : m_clock(clock), m_rng(seed) {}

    // Strictly greater than every id this generator returned before, even when the clock
    // stands still or steps backwards (the millisecond field then runs ahead of it).
    MessageId next();

  private:
    const Clock& m_clock;
    DeterministicRng m_rng;
    u64 m_last_ms = 0;
    u32 m_counter = 0;
};

}  // namespace esta::protocol
