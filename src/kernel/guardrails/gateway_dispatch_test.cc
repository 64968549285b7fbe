#include "kernel/guardrails/gateway_dispatch.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

struct Fixture {
    protocol::ManualClock clock{0};
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    RegionTree tree{RegionConfig{}, clock, metrics, sink};
    RegionId driver = *tree.add(RegionKind::Driver, "driver.kafka", tree.kernel());
    QuarantineGateway gateway{"driver.kafka->kernel", driver, GatewayConfig{}, metrics, sink};

    void submit(GatewayEventKind kind) {
        GatewayEvent event;
        event.kind = kind;
        event.source = driver;
        event.fault = FaultKind::DriverError;
        ASSERT_TRUE(gateway.submit(event));
    }
};

TEST(GatewayDispatch, K41_FaultsReachTheRegionThroughTheGateway) {
    Fixture f;
    for (int i = 0; i < 5; ++i)
        f.submit(GatewayEventKind::Fault);
    EXPECT_EQ(*f.tree.state(f.driver), RegionState::Healthy);  // Nothing served yet.
    auto served = serve_gateway(f.gateway, f.tree, 3);
    EXPECT_EQ(served.size(), 3u);
    EXPECT_EQ(*f.tree.state(f.driver), RegionState::Degraded);
    serve_gateway(f.gateway, f.tree, 100);
    EXPECT_EQ(*f.tree.state(f.driver), RegionState::Quarantined);
    EXPECT_EQ(f.gateway.pending(), 0u);
}

TEST(GatewayDispatch, K40_EscalationLandsInTheParentAndRecoveryIsChecked) {
    Fixture f;
    f.submit(GatewayEventKind::HealthCheck);
    f.submit(GatewayEventKind::RecoveryComplete);
    f.submit(GatewayEventKind::QuarantineRequest);
    f.submit(GatewayEventKind::Escalation);
    auto served = serve_gateway(f.gateway, f.tree, 10);
    ASSERT_EQ(served.size(), 4u);
    EXPECT_EQ(served[0].event.kind, GatewayEventKind::Escalation);
    EXPECT_EQ(*f.tree.state(f.tree.kernel()), RegionState::Degraded);
    EXPECT_EQ(served[1].event.kind, GatewayEventKind::QuarantineRequest);
    EXPECT_EQ(served[2].event.kind, GatewayEventKind::RecoveryComplete);
    EXPECT_TRUE(served[2].outcome);  // Recovered within 300 s of the quarantine.
    EXPECT_EQ(*f.tree.state(f.driver), RegionState::Healthy);

    f.submit(GatewayEventKind::QuarantineRequest);
    serve_gateway(f.gateway, f.tree, 10);
    f.clock.advance(301 * kNanosPerSecond);
    f.submit(GatewayEventKind::RecoveryComplete);
    auto late = serve_gateway(f.gateway, f.tree, 10);
    ASSERT_EQ(late.size(), 1u);
    ASSERT_FALSE(late[0].outcome);
    EXPECT_EQ(late[0].outcome.error().code, Status::Timeout);
}

}  // namespace
}  // namespace esta::kernel
