// GuardedDriver: the D-1/D-2 shell around a concrete driver. Per call, in order:
//   (1) the circuit breaker admits the call or it fails fast with UNAVAILABLE;
//   (2) an in-flight slot is taken or the call fails with LIMIT;
//   (3) the inner driver runs; UNAVAILABLE ("not performed") is retried with exponential
//       backoff and jitter while retries and the deadline allow;
//   (4) the outcome feeds the breaker: UNAVAILABLE and TIMEOUT count as failures, answers
//       of the service (DRIVER_ERROR, NOT_FOUND, a denial) count as successes, because the
//       service is evidently up.
#pragma once

#include <memory>

#include "drivers/contract.h"
#include "drivers/resilience.h"

namespace esta::drivers {

struct GuardOptions {
    u32 max_inflight = 100;
    RetryPolicy retry{};
    CircuitOptions circuit{};
    u64 jitter_seed = 1;
};

class GuardedDriver final : public Driver {
  public:
    // `clock` and `sleeper` are borrowed and must outlive the driver.
    GuardedDriver(std::unique_ptr<Driver> inner, const protocol::Clock& clock, Sleeper& sleeper,
                  GuardOptions options);

    DriverKind kind() const override { return m_inner->kind(); }
    Result<void> start() override;
    void stop() override { m_inner->stop(); }
    // The inner health, overridden by the circuit: Open is Unhealthy, HalfOpen Degraded.
    Health health() const override;
    Lifecycle lifecycle() const override { return m_inner->lifecycle(); }
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;
    void release(u64 binding) override { m_inner->release(binding); }
    u64 connections() const override { return m_inner->connections(); }

    const CircuitBreaker& circuit() const { return m_circuit; }
    const InflightGate& inflight() const { return m_gate; }
    u64 retries() const { return m_retries; }
    Driver& inner() { return *m_inner; }

  private:
    std::unique_ptr<Driver> m_inner;
    const protocol::Clock& m_clock;
    Sleeper& m_sleeper;
    GuardOptions m_options;
    CircuitBreaker m_circuit;
    InflightGate m_gate;
    Backoff m_backoff;
    std::mutex m_backoff_mutex;
    std::atomic<u64> m_retries{0};
};

// Default guard options per kind (D-1 in-flight bounds, D-3/D-4/D-5 retry defaults).
GuardOptions default_guard_options(DriverKind kind);

}  // namespace esta::drivers
