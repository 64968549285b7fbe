#include "kernel/guardrails/limits.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

TEST(SpatialLimits, K42_PayloadEqualToOneMiBPasses) {
    SpatialLimits limits;
    EXPECT_TRUE(check_payload(limits, 1u << 20).ok());
    LimitDecision over = check_payload(limits, (1u << 20) + 1);
    EXPECT_TRUE(over.fails());
    EXPECT_EQ(over.actual, 1048577);
    EXPECT_EQ(over.limit, 1048576);
    Error error = over.to_error();
    EXPECT_EQ(error.code, Status::PayloadTooLarge);
    EXPECT_EQ(error.detail.actual, 1048577u);
}

TEST(SpatialLimits, K42_MemoryLimitIsTheModulesClass) {
    SpatialLimits limits;
    EXPECT_TRUE(check_memory(limits, MemoryClass::User, 16u << 20, 0).ok());
    EXPECT_TRUE(check_memory(limits, MemoryClass::User, 16u << 20, 1).fails());
    EXPECT_TRUE(check_memory(limits, MemoryClass::Compliance, 16u << 20, 1).ok());
    EXPECT_EQ(check_memory(limits, MemoryClass::Compliance, 32u << 20, 1).limit, 32 << 20);
    EXPECT_TRUE(check_memory(limits, MemoryClass::System, 64u << 20, 1).fails());
    // A huge request saturates instead of wrapping round to a small total.
    EXPECT_TRUE(check_memory(limits, MemoryClass::System, 1, ~u64{0}).fails());
}

TEST(SpatialLimits, K42_MailboxFullAtCapacity) {
    EXPECT_TRUE(check_mailbox(1023, 1024).ok());
    LimitDecision full = check_mailbox(1024, 1024);
    EXPECT_TRUE(full.fails());
    EXPECT_EQ(full.to_error().code, Status::MailboxFull);
}

TEST(SpatialLimits, K42_QueueDepth10000) {
    SpatialLimits limits;
    EXPECT_TRUE(check_queue_depth(limits, 9'999).ok());
    EXPECT_TRUE(check_queue_depth(limits, 10'000).fails());
}

TEST(SpatialLimits, K42_DriverConnectionsWarnAndContinue) {
    SpatialLimits limits;
    EXPECT_TRUE(check_driver_connections(limits, 100).ok());  // 100 held: within.
    LimitDecision over = check_driver_connections(limits, 101);
    EXPECT_EQ(over.action, LimitAction::WarnAndContinue);
    EXPECT_FALSE(over.fails());
    EXPECT_EQ(over.actual, 101);
    EXPECT_EQ(over.limit, 100);
    EXPECT_EQ(over.to_error().detail.actual, 101u);
}

TEST(TemporalLimits, K43_OperationCountsInstructionsAndKeepsThem) {
    TemporalLimits limits;
    limits.fuel_per_milli = 1000;  // 100 ms = 100 000 instructions.
    EXPECT_EQ(limits.operation_fuel(), 100'000u);
    EXPECT_TRUE(check_operation(limits, 100'000).ok());  // Exactly the limit: on time.
    LimitDecision late = check_operation(limits, 130'000);
    EXPECT_TRUE(late.fails());
    EXPECT_EQ(late.actual, 130'000);
    EXPECT_EQ(late.limit, 100'000);
    EXPECT_EQ(late.to_error().code, Status::Timeout);
    EXPECT_EQ(TemporalLimits{}.operation_fuel(), 120'000'000u);  // At the default 1.2 M/ms.
}

TEST(TemporalLimits, K43_DeliveryQueueWaitAndWatchdog) {
    TemporalLimits limits;
    EXPECT_TRUE(check_delivery(limits, 5, 5 + 1000 * kMs).ok());
    LimitDecision late = check_delivery(limits, 5, 5 + 1000 * kMs + 1);
    EXPECT_EQ(late.action, LimitAction::WarnAndContinue);  // Delivered already: counted.
    EXPECT_EQ(late.actual, 1000 * kMs + 1);
    EXPECT_TRUE(check_queue_wait(limits, 0, 5000 * kMs).ok());
    EXPECT_TRUE(check_queue_wait(limits, 0, 5000 * kMs + 1).fails());

    KickWatchdog watchdog(limits.watchdog, 0);
    EXPECT_TRUE(watchdog.check(500 * kMs).ok());
    watchdog.kick(400 * kMs);
    EXPECT_TRUE(watchdog.check(900 * kMs).ok());
    LimitDecision starved = watchdog.check(900 * kMs + 1);
    EXPECT_TRUE(starved.fails());
    EXPECT_EQ(starved.kind, LimitKind::Watchdog);
}

TEST(LimitGuard, K42_ViolationsAreCountedAndReported) {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    LimitGuard guard(metrics, sink);
    SpatialLimits limits;
    EXPECT_TRUE(guard.enforce(check_payload(limits, 10), "module.a", 0).ok());
    EXPECT_TRUE(guard.enforce(check_payload(limits, 2u << 20), "module.a", 7).fails());
    guard.enforce(check_driver_connections(limits, 150), "driver.pg", 8);
    ASSERT_EQ(sink.entries.size(), 2u);
    EXPECT_EQ(sink.entries[0].event, "payload");
    EXPECT_EQ(sink.entries[0].actual, 2 << 20);
    EXPECT_EQ(sink.entries[0].limit, 1 << 20);
    EXPECT_EQ(sink.entries[1].severity, SafetySeverity::Warning);
    std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_limit_violations_total{limit=\"payload\",action="
                        "\"fail_immediately\"} 1"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace esta::kernel
