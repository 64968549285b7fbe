#include "protocol/message_id.h"

#include <cstdio>

namespace esta::protocol {

namespace {
constexpr u64 kMillisMask = (u64{1} << 48) - 1;
constexpr u32 kCounterLimit = 1u << 12;
constexpr u64 kVersionBits = u64{7} << 12;
constexpr u64 kVariantBits = u64{0b10} << 62;
constexpr u64 kRandomMask = (u64{1} << 62) - 1;
}  // namespace

std::string MessageId::to_hex() const {
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(high),
                  static_cast<unsigned long long>(low));
    return buffer;
}

MessageId MessageIdGenerator::next() {
    const Nanos now = m_clock.now_ns();
    const u64 ms = now > 0 ? (static_cast<u64>(now) / kNanosPerMilli) & kMillisMask : 0;
    if (ms > m_last_ms) {
        m_last_ms = ms;
        m_counter = 0;
    } else if (++m_counter == kCounterLimit) {
        // 4096 ids in one millisecond (or a clock that went back): borrow the next
        // millisecond so order is kept.
        ++m_last_ms;
        m_counter = 0;
    }
    MessageId id;
    id.high = (m_last_ms << 16) | kVersionBits | m_counter;
    id.low = kVariantBits | (m_rng.next_u64() & kRandomMask);
    return id;
}

}  // namespace esta::protocol
