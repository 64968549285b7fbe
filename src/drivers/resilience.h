// The D-1/D-2 machinery every driver shares: timeout categories and their actions, retries
// with exponential backoff and seeded jitter, a circuit breaker on the injected clock, and
// the bound on in-flight requests. Nothing here reads the wall clock or a random device:
// time comes from a protocol::Clock, waiting from a Sleeper, jitter from a seeded PRNG.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>

#include "base/result.h"
#include "protocol/clock.h"
#include "protocol/prng.h"

namespace esta::drivers {

using protocol::kNanosPerMilli;
using protocol::Nanos;

// D-1 timeout categories. Soft: warn, retry with backoff, or notify the caller. Firm: the
// operation is drained or cancelled and the caller gets TIMEOUT. Hard: the connection is
// terminated (and the region may be quarantined).
enum class TimeoutCategory : u8 { Soft, Firm, Hard };
enum class TimeoutAction : u8 {
    WarnAndContinue,
    RetryWithBackoff,
    NotifyCaller,
    DrainAndStop,
    CancelQuery,
    CancelPending,
    CommitPartialAndStop,
    ReturnTimeout,
    TerminateConnection,
    KillProcess,
    QuarantineRegion,
};
// True when `action` is one of `category`'s allowed actions.
bool action_allowed(TimeoutCategory category, TimeoutAction action);

struct TimeoutPolicy {
    TimeoutCategory category = TimeoutCategory::Firm;
    Nanos duration = 0;
    TimeoutAction action = TimeoutAction::ReturnTimeout;
    // RetryWithBackoff only: the first delay and how many retries follow the first attempt.
    Nanos base_delay = 0;
    u32 max_retries = 0;
};

// Exponential backoff with full jitter in [delay/2, delay]: attempt n (0-based) waits
// base * 2^n capped at `max`. Jitter comes from a seeded generator, so a replay waits the
// same.
class Backoff {
  public:
    Backoff(Nanos base, Nanos max, u64 seed) : m_base(base), m_max(max), m_rng(seed) {}
    Nanos delay(u32 attempt);

  private:
    Nanos m_base;
    Nanos m_max;
    protocol::DeterministicRng m_rng;
};

// Waiting between retries. The real one sleeps; tests advance a ManualClock instead.
class Sleeper {
  public:
    virtual ~Sleeper() = default;
    virtual void sleep_for(Nanos duration) = 0;
};
class ThreadSleeper final : public Sleeper {
  public:
    void sleep_for(Nanos duration) override;
};
class ManualSleeper final : public Sleeper {
  public:
    explicit ManualSleeper(protocol::ManualClock& clock) : m_clock(clock) {}
    void sleep_for(Nanos duration) override {
        m_clock.advance(duration);
        m_slept += duration;
    }
    Nanos slept() const { return m_slept; }

  private:
    protocol::ManualClock& m_clock;
    Nanos m_slept = 0;
};

// Circuit breaker (D-2): Closed until `failure_threshold` consecutive failures, then Open:
// calls fail fast with UNAVAILABLE. After `cool_down` on the injected clock one probe is let
// through (HalfOpen); its success closes the circuit, its failure opens it again for
// another cool-down. Thread-safe.
enum class CircuitState : u8 { Closed, Open, HalfOpen };

struct CircuitOptions {
    u32 failure_threshold = 5;
    Nanos cool_down = 30'000 * kNanosPerMilli;
};

class CircuitBreaker {
  public:
    CircuitBreaker(const protocol::Clock& clock, CircuitOptions options)
        : m_clock(clock), m_options(options) {}

    // Ok when a call may proceed (Closed, or the single HalfOpen probe); Unavailable
    // "circuit.open" otherwise.
    Result<void> admit();
    void on_success();
    void on_failure();
    // The admitted call never reached the service (deadline, in-flight bound): a HalfOpen
    // probe slot is handed back without a verdict.
    void release_probe();
    CircuitState state() const;
    u32 consecutive_failures() const;

  private:
    const protocol::Clock& m_clock;
    CircuitOptions m_options;
    mutable std::mutex m_mutex;
    CircuitState m_state = CircuitState::Closed;
    u32 m_failures = 0;
    Nanos m_opened_at = 0;
    bool m_probe_out = false;
};

// Bounded in-flight requests (D-1: Kafka and PostgreSQL 100, Redis 1000). A slot is an RAII
// token; acquiring beyond the bound is LIMIT at once (the kernel's queue absorbs bursts,
// the driver never grows an unbounded one).
class InflightGate {
  public:
    explicit InflightGate(u32 limit) : m_limit(limit) {}

    class Slot {
      public:
        explicit Slot(InflightGate* gate) : m_gate(gate) {}
        Slot(Slot&& other) noexcept : m_gate(other.m_gate) { other.m_gate = nullptr; }
        Slot& operator=(Slot&&) = delete;
        ~Slot() {
            if (m_gate != nullptr) m_gate->m_inflight.fetch_sub(1);
        }

      private:
        InflightGate* m_gate;
    };

    Result<Slot> acquire();
    u32 inflight() const { return m_inflight.load(); }
    u32 limit() const { return m_limit; }

  private:
    u32 m_limit;
    std::atomic<u32> m_inflight{0};
};

// A retry budget: how many retries, which delays. `Unavailable` is the only status the
// generic layer retries (D-1: it means "not performed"); driver-specific rules (D-4's
// SQLSTATE table) decide inside the driver.
struct RetryPolicy {
    u32 max_retries = 3;
    Nanos base_delay = 100 * kNanosPerMilli;
    Nanos max_delay = 5'000 * kNanosPerMilli;
};

}  // namespace esta::drivers
