#include "kernel/realtime/rto.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

constexpr Nanos kMs = kNanosPerMilli;

struct Fixture {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    RtoTracker tracker{RtoConfig{}, metrics, sink};
};

TEST(Rto, K52_DefaultSpecs) {
    RtoConfig config;
    EXPECT_EQ(config.spec(RecoveryKind::Trap).target, 100 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::Trap).hard_limit, 500 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::Restart).warn_at(), 800 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::DriverReconnect).hard_limit, 30000 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::Failover).hard_limit, 15000 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::ModuleReload).target, 2000 * kMs);
    EXPECT_EQ(config.spec(RecoveryKind::Supervisor).hard_limit, 60000 * kMs);
    EXPECT_TRUE(config.spec(RecoveryKind::Failover).has(RtoAction::Escalate));
    EXPECT_FALSE(config.spec(RecoveryKind::Trap).has(RtoAction::Escalate));
}

TEST(Rto, K52_ClassificationBoundaries) {
    RtoSpec trap = default_rto_spec(RecoveryKind::Trap);
    EXPECT_EQ(classify_rto(trap, 80 * kMs), RtoLevel::OnTrack);
    EXPECT_EQ(classify_rto(trap, 80 * kMs + 1), RtoLevel::Warning);
    EXPECT_EQ(classify_rto(trap, 100 * kMs), RtoLevel::Warning);
    EXPECT_EQ(classify_rto(trap, 100 * kMs + 1), RtoLevel::Violated);
    EXPECT_EQ(classify_rto(trap, 500 * kMs), RtoLevel::Violated);
    EXPECT_EQ(classify_rto(trap, 500 * kMs + 1), RtoLevel::HardLimitExceeded);
}

TEST(Rto, K52_WarnAt80PercentThenActOnViolation) {
    Fixture f;
    ASSERT_TRUE(f.tracker.start(RecoveryId{1}, RecoveryKind::Restart, 0));
    EXPECT_FALSE(f.tracker.start(RecoveryId{1}, RecoveryKind::Restart, 0));
    EXPECT_EQ(f.tracker.check(800 * kMs)[0].level, RtoLevel::OnTrack);
    EXPECT_EQ(f.tracker.check(801 * kMs)[0].level, RtoLevel::Warning);
    f.tracker.check(900 * kMs);  // Warning again: not reported twice.
    EXPECT_EQ(f.sink.count("rto.warning"), 1u);
    EXPECT_EQ(f.tracker.check(1001 * kMs)[0].level, RtoLevel::Violated);
    // Restart's actions: log, alert, escalate.
    ASSERT_EQ(f.sink.count("rto.violated"), 3u);
    EXPECT_EQ(f.sink.entries[1].detail, "log");
    EXPECT_EQ(f.sink.entries[2].detail, "alert");
    EXPECT_EQ(f.sink.entries[2].severity, SafetySeverity::Alarm);
    EXPECT_EQ(f.sink.entries[3].detail, "escalate");
    auto outcome = f.tracker.complete(RecoveryId{1}, true, 1200 * kMs);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->duration, 1200 * kMs);
    EXPECT_FALSE(outcome->met());
    EXPECT_EQ(f.sink.entries.size(), 4u);
}

TEST(Rto, K52_HardLimitAtCompletionIsNotMissed) {
    Fixture f;
    ASSERT_TRUE(f.tracker.start(RecoveryId{7}, RecoveryKind::Trap, 0));
    auto outcome = f.tracker.complete(RecoveryId{7}, false, 600 * kMs);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->level, RtoLevel::HardLimitExceeded);
    EXPECT_EQ(f.sink.count("rto.warning"), 1u);
    EXPECT_EQ(f.sink.count("rto.violated"), 2u);  // Log and alert.
    ASSERT_EQ(f.sink.count("rto.hard_limit"), 1u);
    EXPECT_EQ(f.sink.entries.back().actual, 600 * kMs);
    EXPECT_EQ(f.sink.entries.back().limit, 500 * kMs);
    EXPECT_FALSE(f.tracker.complete(RecoveryId{7}, true, 700 * kMs));
}

TEST(Rto, K52_P50AndP99OverCompletedRecoveries) {
    Fixture f;
    for (u64 i = 1; i <= 100; ++i) {
        ASSERT_TRUE(f.tracker.start(RecoveryId{i}, RecoveryKind::Trap, 0));
        ASSERT_TRUE(f.tracker.complete(RecoveryId{i}, true, static_cast<Nanos>(i) * kMs));
    }
    RtoPercentiles p = f.tracker.percentiles(RecoveryKind::Trap);
    EXPECT_EQ(p.count, 100u);
    EXPECT_EQ(p.p50, 50 * kMs);
    EXPECT_EQ(p.p99, 99 * kMs);
    EXPECT_EQ(p.worst, 100 * kMs);
    std::string text = f.metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_recovery_p99_seconds{kind=\"trap\"} 0.099"), std::string::npos)
        << text;
}

TEST(Rto, K52_HistoryIsBounded) {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    RtoConfig config;
    config.history = 10;
    RtoTracker tracker(config, metrics, sink);
    for (u64 i = 1; i <= 50; ++i) {
        ASSERT_TRUE(tracker.start(RecoveryId{i}, RecoveryKind::Failover, 0));
        ASSERT_TRUE(tracker.complete(RecoveryId{i}, true, static_cast<Nanos>(i) * kMs));
    }
    RtoPercentiles p = tracker.percentiles(RecoveryKind::Failover);
    EXPECT_EQ(p.count, 10u);
    EXPECT_EQ(p.p50, 45 * kMs);
}

}  // namespace
}  // namespace esta::kernel
