#include "drivers/resilience.h"

#include <gtest/gtest.h>

#include "drivers/guarded_driver.h"

namespace esta::drivers {
namespace {

using protocol::ManualClock;

TEST(Timeouts, D1_ActionsBelongToTheirCategory) {
    EXPECT_TRUE(action_allowed(TimeoutCategory::Soft, TimeoutAction::RetryWithBackoff));
    EXPECT_FALSE(action_allowed(TimeoutCategory::Soft, TimeoutAction::TerminateConnection));
    EXPECT_TRUE(action_allowed(TimeoutCategory::Firm, TimeoutAction::CancelQuery));
    EXPECT_FALSE(action_allowed(TimeoutCategory::Firm, TimeoutAction::WarnAndContinue));
    EXPECT_TRUE(action_allowed(TimeoutCategory::Hard, TimeoutAction::QuarantineRegion));
    EXPECT_FALSE(action_allowed(TimeoutCategory::Hard, TimeoutAction::ReturnTimeout));
}

TEST(Backoff, D1_GrowsExponentiallyWithBoundedJitter) {
    Backoff backoff(100, 1'000, 7);
    for (u32 attempt = 0; attempt < 6; ++attempt) {
        Nanos curve = std::min<Nanos>(100 << attempt, 1'000);
        Nanos delay = backoff.delay(attempt);
        EXPECT_GE(delay, curve / 2) << attempt;
        EXPECT_LE(delay, curve) << attempt;
    }
}

TEST(Backoff, D1_SameSeedSameDelays) {
    Backoff a(1'000, 1'000'000, 42);
    Backoff b(1'000, 1'000'000, 42);
    Backoff c(1'000, 1'000'000, 43);
    bool differs = false;
    for (u32 attempt = 0; attempt < 8; ++attempt) {
        Nanos delay = a.delay(attempt);
        EXPECT_EQ(delay, b.delay(attempt));
        differs = differs || delay != c.delay(attempt);
    }
    EXPECT_TRUE(differs);
}

TEST(CircuitBreaker, D2_OpensAfterThresholdAndProbesAfterCoolDown) {
    ManualClock clock(1'000);
    CircuitBreaker breaker(clock, CircuitOptions{3, 500});
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(breaker.admit());
        breaker.on_failure();
    }
    EXPECT_EQ(breaker.state(), CircuitState::Closed);
    ASSERT_TRUE(breaker.admit());
    breaker.on_failure();
    EXPECT_EQ(breaker.state(), CircuitState::Open);
    auto refused = breaker.admit();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Unavailable);

    clock.advance(499);
    EXPECT_FALSE(breaker.admit());
    clock.advance(1);
    ASSERT_TRUE(breaker.admit());  // The probe.
    EXPECT_EQ(breaker.state(), CircuitState::HalfOpen);
    EXPECT_FALSE(breaker.admit());  // Only one probe at a time.
    breaker.on_failure();
    EXPECT_EQ(breaker.state(), CircuitState::Open);

    clock.advance(500);
    ASSERT_TRUE(breaker.admit());
    breaker.on_success();
    EXPECT_EQ(breaker.state(), CircuitState::Closed);
    EXPECT_EQ(breaker.consecutive_failures(), 0u);
}

TEST(CircuitBreaker, D2_SuccessResetsTheConsecutiveCount) {
    ManualClock clock;
    CircuitBreaker breaker(clock, CircuitOptions{2, 10});
    breaker.on_failure();
    breaker.on_success();
    breaker.on_failure();
    EXPECT_EQ(breaker.state(), CircuitState::Closed);
}

TEST(InflightGate, D1_RefusesBeyondTheBoundAndFreesOnRelease) {
    InflightGate gate(2);
    auto first = gate.acquire();
    auto second = gate.acquire();
    ASSERT_TRUE(first && second);
    auto third = gate.acquire();
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, Status::Limit);
    { auto moved = std::move(*first); }
    EXPECT_EQ(gate.inflight(), 1u);
    EXPECT_TRUE(gate.acquire());
}

// A driver that fails with a scripted status a number of times, then answers.
class ScriptedDriver final : public Driver {
  public:
    ScriptedDriver(Status failure, u32 failures) : m_failure(failure), m_failures(failures) {}
    DriverKind kind() const override { return DriverKind::KeyValue; }
    Result<void> start() override { return Ok(); }
    void stop() override {}
    Health health() const override { return {HealthState::Healthy, ""}; }
    Lifecycle lifecycle() const override { return Lifecycle::Ready; }
    Result<Value> call(u32, const Value&, const CallContext&) override {
        ++calls;
        if (m_failures > 0) {
            --m_failures;
            return Err(m_failure, "scripted");
        }
        return Value(i64{7});
    }
    u32 calls = 0;
    void heal() { m_failures = 0; }

  private:
    Status m_failure;
    u32 m_failures;
};

struct GuardFixture {
    explicit GuardFixture(Status failure, u32 failures, GuardOptions options) : sleeper(clock) {
        auto inner = std::make_unique<ScriptedDriver>(failure, failures);
        scripted = inner.get();
        guard = std::make_unique<GuardedDriver>(std::move(inner), clock, sleeper, options);
    }
    Result<Value> call() {
        CallContext context{scope, 1, clock.now_ns() + 60'000 * kNanosPerMilli, Caller::Module,
                            "test"};
        return guard->call(kv_op::kGet, Value("k"), context);
    }
    ManualClock clock{0};
    ManualSleeper sleeper;
    Scope scope{"kv", KvScope{}};
    ScriptedDriver* scripted = nullptr;
    std::unique_ptr<GuardedDriver> guard;
};

GuardOptions small_options() {
    GuardOptions options;
    options.retry = RetryPolicy{2, 100 * kNanosPerMilli, 1'000 * kNanosPerMilli};
    options.circuit = CircuitOptions{3, 5'000 * kNanosPerMilli};
    return options;
}

TEST(GuardedDriver, D1_RetriesUnavailableWithBackoffThenSucceeds) {
    GuardFixture fixture(Status::Unavailable, 2, small_options());
    auto reply = fixture.call();
    ASSERT_TRUE(reply);
    EXPECT_EQ(fixture.scripted->calls, 3u);
    EXPECT_EQ(fixture.guard->retries(), 2u);
    // Two waits: 100 ms and 200 ms curves, each jittered into [half, full].
    EXPECT_GE(fixture.sleeper.slept(), 150 * kNanosPerMilli);
    EXPECT_LE(fixture.sleeper.slept(), 300 * kNanosPerMilli);
}

TEST(GuardedDriver, D1_DoesNotRetryAnswersOfTheService) {
    GuardFixture fixture(Status::DriverError, 1, small_options());
    auto reply = fixture.call();
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::DriverError);
    EXPECT_EQ(fixture.scripted->calls, 1u);
    EXPECT_EQ(fixture.guard->circuit().state(), CircuitState::Closed);
}

TEST(GuardedDriver, D2_OpenCircuitFailsFastAndRecoversAfterProbe) {
    GuardFixture fixture(Status::Unavailable, 100, small_options());
    auto reply = fixture.call();  // 3 attempts, 3 failures: the circuit opens.
    ASSERT_FALSE(reply);
    EXPECT_EQ(fixture.guard->circuit().state(), CircuitState::Open);
    EXPECT_EQ(fixture.guard->health().state, HealthState::Unhealthy);
    u32 calls = fixture.scripted->calls;
    auto fast = fixture.call();
    ASSERT_FALSE(fast);
    EXPECT_EQ(fast.error().code, Status::Unavailable);
    EXPECT_EQ(fixture.scripted->calls, calls);  // Never reached the driver.

    // The service returns; after the cool-down the probe closes the circuit.
    fixture.scripted->heal();
    fixture.clock.advance(5'000 * kNanosPerMilli);
    auto probe = fixture.call();
    ASSERT_TRUE(probe);
    EXPECT_EQ(fixture.guard->circuit().state(), CircuitState::Closed);
}

TEST(GuardedDriver, D1_PassedDeadlineIsTimeout) {
    GuardFixture fixture(Status::Unavailable, 0, small_options());
    CallContext context{fixture.scope, 1, fixture.clock.now_ns(), Caller::Module, "test"};
    auto reply = fixture.guard->call(kv_op::kGet, Value("k"), context);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::Timeout);
}

}  // namespace
}  // namespace esta::drivers
