#include "drivers/guarded_driver.h"

namespace esta::drivers {

namespace {

bool counts_as_failure(Status status) {
    return status == Status::Unavailable || status == Status::Timeout;
}

}  // namespace

GuardedDriver::GuardedDriver(std::unique_ptr<Driver> inner, const protocol::Clock& clock,
                             Sleeper& sleeper, GuardOptions options)
    : m_inner(std::move(inner)),
      m_clock(clock),
      m_sleeper(sleeper),
      m_options(options),
      m_circuit(clock, options.circuit),
      m_gate(options.max_inflight),
      m_backoff(options.retry.base_delay, options.retry.max_delay, options.jitter_seed) {}

Result<void> GuardedDriver::start() {
    auto started = m_inner->start();
    if (started) {
        m_circuit.on_success();
    } else if (counts_as_failure(started.error().code)) {
        m_circuit.on_failure();
    }
    return started;
}

Health GuardedDriver::health() const {
    switch (m_circuit.state()) {
        case CircuitState::Open:
            return Health{HealthState::Unhealthy, "circuit open"};
        case CircuitState::HalfOpen:
            return Health{HealthState::Degraded, "circuit half-open"};
        case CircuitState::Closed:
            break;
    }
    return m_inner->health();
}

Result<Value> GuardedDriver::call(u32 op, const Value& request, const CallContext& context) {
    for (u32 attempt = 0;; ++attempt) {
        // (1) The breaker; an open circuit is the fast path for a dead service.
        ESTA_TRY(m_circuit.admit());
        if (m_clock.now_ns() >= context.deadline) {
            // The breaker admitted a probe that cannot run; give the slot back.
            m_circuit.release_probe();
            return Err(Status::Timeout, "driver.deadline");
        }
        Result<Value> result = [&]() -> Result<Value> {
            // (2) The in-flight bound.
            auto slot = ESTA_TRY(m_gate.acquire());
            (void)slot;
            // (3) The driver itself.
            return m_inner->call(op, request, context);
        }();
        // (4) Feed the breaker.
        if (result || !counts_as_failure(result.error().code)) {
            if (result || result.error().code != Status::Limit) {
                m_circuit.on_success();
            } else {
                m_circuit.release_probe();
            }
            return result;
        }
        m_circuit.on_failure();
        if (result.error().code != Status::Unavailable || attempt >= m_options.retry.max_retries) {
            return result;
        }
        Nanos wait;
        {
            std::lock_guard lock(m_backoff_mutex);
            wait = m_backoff.delay(attempt);
        }
        if (m_clock.now_ns() + wait >= context.deadline) return result;
        ++m_retries;
        m_sleeper.sleep_for(wait);
    }
}

GuardOptions default_guard_options(DriverKind kind) {
    GuardOptions options;
    switch (kind) {
        case DriverKind::KeyValue:
            // D-5: 1000 in flight; reads retry 3 times from 100 ms.
            options.max_inflight = 1000;
            options.retry = RetryPolicy{3, 100 * kNanosPerMilli, 2'000 * kNanosPerMilli};
            break;
        case DriverKind::Sql:
            // D-4 / D-1: 100 in flight; queries retry twice from 1 s.
            options.max_inflight = 100;
            options.retry = RetryPolicy{2, 1'000 * kNanosPerMilli, 10'000 * kNanosPerMilli};
            break;
        case DriverKind::Topic:
            // D-3: 100 in flight; produce retries 3 times from 1 s.
            options.max_inflight = 100;
            options.retry = RetryPolicy{3, 1'000 * kNanosPerMilli, 10'000 * kNanosPerMilli};
            break;
    }
    return options;
}

}  // namespace esta::drivers
