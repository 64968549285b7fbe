#include "kernel/guardrails/gateway.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

struct Fixture {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    QuarantineGateway gateway{"module.a->kernel", RegionId{1}, GatewayConfig{}, metrics, sink};
};

GatewayEvent event(GatewayEventKind kind, i64 code = 0) {
    GatewayEvent e;
    e.kind = kind;
    e.source = RegionId{1};
    e.code = code;
    return e;
}

TEST(QuarantineGateway, K41_ServedByKindPriority) {
    Fixture f;
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::HealthCheck)));
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::RecoveryComplete)));
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::RestartRequest)));
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::Fault)));
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::QuarantineRequest)));
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::Escalation)));
    GatewayEventKind expected[] = {GatewayEventKind::Escalation,
                                   GatewayEventKind::QuarantineRequest,
                                   GatewayEventKind::Fault,
                                   GatewayEventKind::RestartRequest,
                                   GatewayEventKind::RecoveryComplete,
                                   GatewayEventKind::HealthCheck};
    for (GatewayEventKind kind : expected) {
        auto next = f.gateway.next();
        ASSERT_TRUE(next);
        EXPECT_EQ(next->kind, kind);
    }
    auto empty = f.gateway.next();
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().code, Status::Empty);
}

TEST(QuarantineGateway, K41_FifoWithinAKind) {
    Fixture f;
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::Fault, i)));
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(f.gateway.next()->code, i);
}

TEST(QuarantineGateway, K41_BackpressureAfter1000Pending) {
    Fixture f;
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::HealthCheck, i))) << i;
    }
    auto refused = f.gateway.submit(event(GatewayEventKind::Escalation));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Limit);
    EXPECT_EQ(refused.error().detail.actual, 1000u);
    EXPECT_EQ(refused.error().detail.limit, 1000u);
    EXPECT_EQ(f.gateway.state(), GatewayState::Paused);
    EXPECT_EQ(f.gateway.pending(), 1000u);
    EXPECT_EQ(f.sink.count("gateway.backpressure"), 1u);

    // Paused until the backlog drains to 750.
    for (int i = 0; i < 249; ++i)
        ASSERT_TRUE(f.gateway.next());
    EXPECT_FALSE(f.gateway.submit(event(GatewayEventKind::Fault)));
    ASSERT_TRUE(f.gateway.next());
    EXPECT_EQ(f.gateway.state(), GatewayState::Open);
    EXPECT_TRUE(f.gateway.submit(event(GatewayEventKind::Fault)));
    std::string text = f.metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_gateway_refused_total{gateway=\"module.a->kernel\"} 2"),
              std::string::npos)
        << text;
}

TEST(QuarantineGateway, K41_RejectsForeignSourceAndClosed) {
    Fixture f;
    GatewayEvent foreign = event(GatewayEventKind::Fault);
    foreign.source = RegionId{7};
    EXPECT_EQ(f.gateway.submit(foreign).error().code, Status::Invalid);
    ASSERT_TRUE(f.gateway.submit(event(GatewayEventKind::Fault)));
    f.gateway.close();
    EXPECT_EQ(f.gateway.submit(event(GatewayEventKind::Fault)).error().code, Status::ShuttingDown);
    EXPECT_TRUE(f.gateway.next());  // Still drains.
}

}  // namespace
}  // namespace esta::kernel
