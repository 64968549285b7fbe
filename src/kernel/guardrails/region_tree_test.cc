#include "kernel/guardrails/region_tree.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

constexpr Nanos kSecond = kNanosPerSecond;

struct Regions {
    protocol::ManualClock clock{1000 * kSecond};
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    RegionTree tree{RegionConfig{}, clock, metrics, sink};
};

TEST(FaultRegion, K40_DegradedAfterOneToFourFaults) {
    FaultRegion region(RegionConfig{}, 0);
    for (int i = 1; i <= 4; ++i) {
        EXPECT_EQ(region.record_fault({i * kSecond, FaultKind::Trap, 4001}), RegionState::Degraded);
        EXPECT_EQ(region.recent_faults(i * kSecond), static_cast<u32>(i));
    }
}

TEST(FaultRegion, K40_QuarantinedAfterFiveFaultsIn60s) {
    FaultRegion region(RegionConfig{}, 0);
    for (int i = 0; i < 4; ++i)
        region.record_fault({i * 10 * kSecond, FaultKind::Trap, 4001});
    EXPECT_EQ(region.record_fault({59 * kSecond, FaultKind::Timeout, 0}), RegionState::Quarantined);
    EXPECT_EQ(region.quarantined_at(), 59 * kSecond);
}

TEST(FaultRegion, K40_FaultExactly60sOldDoesNotCount) {
    FaultRegion region(RegionConfig{}, 0);
    for (int i = 0; i < 4; ++i)
        region.record_fault({i * kSecond, FaultKind::Trap, 0});
    // The first fault (t=0) is exactly 60 s old at t=60 s: four remain, not five.
    EXPECT_EQ(region.record_fault({60 * kSecond, FaultKind::Trap, 0}), RegionState::Degraded);
    EXPECT_EQ(region.recent_faults(60 * kSecond), 4u);
}

TEST(FaultRegion, K40_DegradedDecaysToHealthyWithTime) {
    FaultRegion region(RegionConfig{}, 0);
    region.record_fault({0, FaultKind::Trap, 0});
    EXPECT_EQ(region.tick(59 * kSecond), RegionState::Degraded);
    EXPECT_EQ(region.tick(60 * kSecond), RegionState::Healthy);
}

TEST(FaultRegion, K40_RecoveryAllowedWithin300sThenEscalates) {
    FaultRegion region(RegionConfig{}, 0);
    region.quarantine(10 * kSecond);
    FaultRegion copy = region;
    EXPECT_TRUE(copy.recover(310 * kSecond));  // Exactly 300 s: still allowed.
    EXPECT_EQ(copy.state(), RegionState::Healthy);

    auto late = region.recover(310 * kSecond + 1);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Status::Timeout);
    EXPECT_EQ(late.error().detail.actual, static_cast<u64>(300 * kSecond + 1));
    EXPECT_EQ(region.tick(310 * kSecond + 1), RegionState::Escalated);
    EXPECT_FALSE(region.recover(310 * kSecond + 2));
}

TEST(FaultRegion, K40_RecoveryStartsAFreshWindow) {
    FaultRegion region(RegionConfig{}, 0);
    for (int i = 0; i < 5; ++i)
        region.record_fault({i * kSecond, FaultKind::Trap, 0});
    ASSERT_EQ(region.state(), RegionState::Quarantined);
    ASSERT_TRUE(region.recover(10 * kSecond));
    // The five old faults are still inside 60 s but predate recovery.
    EXPECT_EQ(region.record_fault({11 * kSecond, FaultKind::Trap, 0}), RegionState::Degraded);
}

TEST(FaultRegion, K40_FaultHistoryIsBounded) {
    RegionConfig config;
    config.history_capacity = 8;
    FaultRegion region(config, 0);
    for (int i = 0; i < 100; ++i)
        region.record_fault({i * kSecond, FaultKind::Trap, i});
    EXPECT_EQ(region.history().size(), 8u);
    EXPECT_EQ(region.history().front().code, 92);
    EXPECT_EQ(region.total_faults(), 100u);
}

TEST(FaultRegion, K40_HistoryNeverSmallerThanThreshold) {
    RegionConfig config;
    config.history_capacity = 2;
    FaultRegion region(config, 0);
    for (int i = 0; i < 5; ++i)
        region.record_fault({i, FaultKind::Trap, 0});
    EXPECT_EQ(region.state(), RegionState::Quarantined);
}

TEST(RegionTree, K40_RegionsForKernelDriversAndModules) {
    Regions r;
    auto kafka = r.tree.add(RegionKind::Driver, "driver.kafka", r.tree.kernel());
    ASSERT_TRUE(kafka);
    auto accrual = r.tree.add(RegionKind::Application, "module.accrual", r.tree.kernel());
    ASSERT_TRUE(accrual);
    EXPECT_EQ(r.tree.size(), 3u);
    EXPECT_EQ(*r.tree.parent(*kafka), r.tree.kernel());
    EXPECT_EQ(r.tree.children(r.tree.kernel()).size(), 2u);
    EXPECT_FALSE(r.tree.add(RegionKind::Driver, "driver.kafka", r.tree.kernel()));
    EXPECT_FALSE(r.tree.add(RegionKind::Driver, "x", RegionId{99}));
    EXPECT_FALSE(r.tree.parent(r.tree.kernel()));
}

TEST(RegionTree, K40_QuarantineIsReportedAndExported) {
    Regions r;
    auto module = *r.tree.add(RegionKind::Application, "module.accrual", r.tree.kernel());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(r.tree.record_fault(module, FaultKind::Trap, 4001));
        r.clock.advance(kSecond);
    }
    EXPECT_EQ(*r.tree.state(module), RegionState::Quarantined);
    EXPECT_EQ(r.sink.count("region.degraded"), 1u);
    EXPECT_EQ(r.sink.count("region.quarantined"), 1u);
    std::string text = r.metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_region_state{region=\"module.accrual\"} 2"), std::string::npos)
        << text;
    EXPECT_NE(
        text.find("esta_kernel_region_faults_total{region=\"module.accrual\",kind=\"trap\"} 5"),
        std::string::npos)
        << text;
}

TEST(RegionTree, K40_EscalationAfter300sLandsInTheParent) {
    Regions r;
    auto driver = *r.tree.add(RegionKind::Driver, "driver.redis", r.tree.kernel());
    auto module = *r.tree.add(RegionKind::Application, "module.a", driver);
    ASSERT_TRUE(r.tree.quarantine(module));
    r.clock.advance(300 * kSecond);
    r.tree.tick();
    EXPECT_EQ(*r.tree.state(module), RegionState::Quarantined);
    r.clock.advance(1);
    r.tree.tick();
    EXPECT_EQ(*r.tree.state(module), RegionState::Escalated);
    EXPECT_EQ(*r.tree.state(driver), RegionState::Degraded);  // The parent decides.
    EXPECT_EQ(r.sink.count("region.escalated"), 1u);
    auto late = r.tree.recover(module);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Status::Invalid);
    ASSERT_TRUE(r.tree.reset(module));
    EXPECT_EQ(*r.tree.state(module), RegionState::Healthy);
}

TEST(RegionTree, K40_RecoverWithinWindow) {
    Regions r;
    auto module = *r.tree.add(RegionKind::Application, "module.a", r.tree.kernel());
    ASSERT_TRUE(r.tree.quarantine(module));
    r.clock.advance(299 * kSecond);
    ASSERT_TRUE(r.tree.recover(module));
    EXPECT_EQ(*r.tree.state(module), RegionState::Healthy);
    EXPECT_FALSE(r.tree.reset(module));
}

}  // namespace
}  // namespace esta::kernel
