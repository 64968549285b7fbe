#include "drivers/resilience.h"

#include <thread>

namespace esta::drivers {

bool action_allowed(TimeoutCategory category, TimeoutAction action) {
    switch (category) {
        case TimeoutCategory::Soft:
            return action == TimeoutAction::WarnAndContinue ||
                   action == TimeoutAction::RetryWithBackoff ||
                   action == TimeoutAction::NotifyCaller;
        case TimeoutCategory::Firm:
            return action == TimeoutAction::DrainAndStop || action == TimeoutAction::CancelQuery ||
                   action == TimeoutAction::CancelPending ||
                   action == TimeoutAction::CommitPartialAndStop ||
                   action == TimeoutAction::ReturnTimeout;
        case TimeoutCategory::Hard:
            return action == TimeoutAction::TerminateConnection ||
                   action == TimeoutAction::KillProcess ||
                   action == TimeoutAction::QuarantineRegion;
    }
    return false;
}

Nanos Backoff::delay(u32 attempt) {
    Nanos delay = m_base;
    for (u32 i = 0; i < attempt && delay < m_max; ++i)
        delay *= 2;
    if (delay > m_max) delay = m_max;
    // Jitter in [delay/2, delay] so retrying clients spread out but never wait less than
    // half the curve.
    Nanos half = delay / 2;
    return half + static_cast<Nanos>(m_rng.next_below(static_cast<u64>(delay - half) + 1));
}

void ThreadSleeper::sleep_for(Nanos duration) {
    if (duration > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(duration));
}

Result<void> CircuitBreaker::admit() {
    std::lock_guard lock(m_mutex);
    switch (m_state) {
        case CircuitState::Closed:
            return Ok();
        case CircuitState::Open:
            if (m_clock.now_ns() - m_opened_at < m_options.cool_down) {
                return Err(Status::Unavailable, "circuit.open");
            }
            m_state = CircuitState::HalfOpen;
            m_probe_out = true;
            return Ok();
        case CircuitState::HalfOpen:
            // One probe at a time; the others fail fast until it answers.
            if (m_probe_out) return Err(Status::Unavailable, "circuit.half_open");
            m_probe_out = true;
            return Ok();
    }
    return Ok();
}

void CircuitBreaker::on_success() {
    std::lock_guard lock(m_mutex);
    m_state = CircuitState::Closed;
    m_failures = 0;
    m_probe_out = false;
}

void CircuitBreaker::on_failure() {
    std::lock_guard lock(m_mutex);
    ++m_failures;
    if (m_state == CircuitState::HalfOpen || m_failures >= m_options.failure_threshold) {
        m_state = CircuitState::Open;
        m_opened_at = m_clock.now_ns();
        m_probe_out = false;
    }
}

void CircuitBreaker::release_probe() {
    std::lock_guard lock(m_mutex);
    m_probe_out = false;
}

CircuitState CircuitBreaker::state() const {
    std::lock_guard lock(m_mutex);
    return m_state;
}

u32 CircuitBreaker::consecutive_failures() const {
    std::lock_guard lock(m_mutex);
    return m_failures;
}

Result<InflightGate::Slot> InflightGate::acquire() {
    u32 current = m_inflight.load();
    do {
        if (current >= m_limit) {
            return Err(Status::Limit, "driver.inflight",
                       Detail{.limit = m_limit, .actual = current});
        }
    } while (!m_inflight.compare_exchange_weak(current, current + 1));
    return Slot(this);
}

}  // namespace esta::drivers
