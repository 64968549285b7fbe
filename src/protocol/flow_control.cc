#include "protocol/flow_control.h"

#include <algorithm>

namespace esta::protocol {

CreditOutcome CreditGate::try_consume() {
    if (m_paused) return CreditOutcome::Paused;
    if (m_credits == 0) return CreditOutcome::NoCredit;
    --m_credits;
    return CreditOutcome::Granted;
}

void CreditGate::grant(u32 credits) {
    m_credits = static_cast<u32>(std::min<u64>(u64{m_credits} + credits, m_max));
}

Result<TokenBucket> TokenBucket::create(const Clock& clock, u32 capacity, u32 refill,
                                        Nanos interval) {
    // An interval of zero would divide by zero (the prototype silently never refilled).
    if (capacity == 0 || refill == 0 || interval <= 0) {
        return Err(Status::InvalidArgs, "token_bucket.bad_options");
    }
    return TokenBucket(clock, capacity, refill, interval);
}

void TokenBucket::refill() {
    const Nanos now = m_clock->now_ns();
    if (now <= m_last_refill) return;  // A clock step back never mints tokens.
    const u64 intervals = static_cast<u64>((now - m_last_refill) / m_interval);
    if (intervals == 0) return;
    const u64 added = intervals >= m_capacity ? m_capacity : intervals * m_refill;
    m_tokens = static_cast<u32>(std::min<u64>(u64{m_tokens} + added, m_capacity));
    // Keep the fraction of an interval that has passed, so refills do not drift.
    m_last_refill += static_cast<Nanos>(intervals) * m_interval;
}

TokenBucket::Decision TokenBucket::try_acquire(u32 tokens) {
    refill();
    if (tokens <= m_tokens) {
        m_tokens -= tokens;
        return Decision{true, m_tokens, 0};
    }
    const Nanos wait = m_interval - (m_clock->now_ns() - m_last_refill);
    return Decision{false, m_tokens, std::max<Nanos>(wait, 0)};
}

u32 TokenBucket::tokens() {
    refill();
    return m_tokens;
}

}  // namespace esta::protocol
