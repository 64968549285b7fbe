#include "observe/context.h"

#include <gtest/gtest.h>

namespace esta::observe {
namespace {

ESTA_COUNTER(kDenials, "kernel.capability_denials", "Capability checks that failed.", "status");

// What a room's code looks like: everything through the context, nothing global.
void deny(const ObserveContext& observe, u64 pid) {
    ESTA_LOG(observe.logger, Severity::Warning, CategoryKind::Security, "capability denied",
             {"pid", pid});
    observe.metrics.counter(kDenials, {"ACCESS_DENIED"}).inc();
    (void)observe.audit.append("capability.denied",
                               {{"pid", Value::integer(static_cast<i64>(pid))}});
}

TEST(ObserveContext, O1_O2_O5_ARoomLogsAuditsAndCountsThroughTheContext) {
    ManualClock clock(7);
    Logger logger(clock);
    MemoryAuditSink audit;
    MetricsRegistry metrics;
    const ObserveContext context{clock, logger, audit, metrics};
    deny(context, 42);
    deny(context, 43);
    const auto entries = audit.entries();
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].seq, 1u);
    EXPECT_EQ(entries[1].event, "capability.denied");
    EXPECT_EQ(*entries[1].data.at("pid").as_i64(), 43);
    EXPECT_EQ(metrics.counter(kDenials, {"ACCESS_DENIED"}).value(), 2u);
}

}  // namespace
}  // namespace esta::observe
