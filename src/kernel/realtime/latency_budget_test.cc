#include "kernel/realtime/latency_budget.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

constexpr Nanos kUs = protocol::kNanosPerMicro;

TEST(LatencyBudget, K50_DefaultTotals) {
    EXPECT_EQ(accrual_calculation_budget().total, 10'000 * kUs);
    EXPECT_EQ(audit_write_budget().total, 5'000 * kUs);
    EXPECT_EQ(message_passing_budget().total, 2'000 * kUs);
    EXPECT_EQ(process_spawn_budget().total, 50'000 * kUs);
}

TEST(LatencyBudget, K50_ComponentOverrunReportedWithItsSize) {
    BudgetSpec spec = message_passing_budget();
    LatencyBudget budget(spec);
    EXPECT_FALSE(budget.charge(BudgetComponent::Transmission, 500 * kUs));  // Equal passes.
    auto over = budget.charge(BudgetComponent::Transmission, 30 * kUs);
    ASSERT_TRUE(over);
    EXPECT_EQ(over->component, BudgetComponent::Transmission);
    EXPECT_EQ(over->overrun(), 30 * kUs);
    EXPECT_EQ(budget.remaining(), 1'470 * kUs);
}

TEST(LatencyBudget, K50_TotalOverrunTakesPrecedence) {
    BudgetSpec spec = message_passing_budget();
    LatencyBudget budget(spec);
    // Unallocated component: counts against the total only.
    EXPECT_FALSE(budget.charge(BudgetComponent::Database, 2'000 * kUs));
    auto over = budget.charge(BudgetComponent::ContextSwitch, 150 * kUs);
    ASSERT_TRUE(over);
    EXPECT_FALSE(over->component);
    EXPECT_EQ(over->overrun(), 150 * kUs);
    auto all = budget.overruns();
    ASSERT_EQ(all.size(), 2u);  // Context switch (150 > 100) and the total.
    EXPECT_EQ(all[0].component, BudgetComponent::ContextSwitch);
    EXPECT_EQ(all[0].overrun(), 50 * kUs);
    EXPECT_FALSE(all[1].component);
}

TEST(LatencyAccounting, K50_FinishExportsAndReportsOverruns) {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    LatencyAccounting audit(audit_write_budget(), metrics, sink);
    protocol::ManualClock clock(0);

    LatencyBudget fast = audit.start();
    BudgetStopwatch fast_watch(fast, clock);
    clock.advance(100 * kUs);
    fast_watch.lap(BudgetComponent::Serialization);
    EXPECT_EQ(audit.finish(fast, clock.now_ns()), 0u);

    LatencyBudget slow = audit.start();
    BudgetStopwatch watch(slow, clock);
    clock.advance(200 * kUs);
    watch.lap(BudgetComponent::Serialization);
    clock.advance(4'900 * kUs);
    auto over = watch.lap(BudgetComponent::DiskIo);
    ASSERT_TRUE(over);
    EXPECT_EQ(over->overrun(), 100 * kUs);  // Total 5100 > 5000.
    EXPECT_EQ(audit.finish(slow, clock.now_ns()), 2u);
    ASSERT_EQ(sink.entries.size(), 2u);
    EXPECT_EQ(sink.entries[0].event, "latency.component_overrun");
    EXPECT_EQ(sink.entries[0].detail, "disk_io");
    EXPECT_EQ(sink.entries[0].actual, 4'900 * kUs);
    EXPECT_EQ(sink.entries[0].limit, 3'000 * kUs);
    EXPECT_EQ(sink.entries[1].event, "latency.total_overrun");
    EXPECT_EQ(sink.entries[1].actual, 5'100 * kUs);

    std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_latency_budget_overruns_total{operation=\"audit_write\","
                        "component=\"total\"} 1"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("esta_kernel_operation_latency_seconds_count{operation=\"audit_write\"} 2"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace esta::kernel
