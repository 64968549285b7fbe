#include "kernel/realtime/deadline_queue.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

struct Fixture {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    DeadlineQueue queue{"realtime", DeadlineQueueConfig{}, metrics, sink};
};

TEST(DeadlineQueue, K53_EarliestDeadlineFirstFifoOnTies) {
    Fixture f;
    ASSERT_TRUE(f.queue.push(1, 300));
    ASSERT_TRUE(f.queue.push(2, 100));
    ASSERT_TRUE(f.queue.push(3, 200));
    ASSERT_TRUE(f.queue.push(4, 100));
    u64 expected[] = {2, 4, 3, 1};
    for (u64 id : expected) {
        auto next = f.queue.pop(0);
        ASSERT_TRUE(next);
        EXPECT_EQ(next->entry.message_id, id);
        EXPECT_EQ(next->outcome, DeadlineOutcome::OnTime);
    }
    EXPECT_EQ(f.queue.pop(0).error().code, Status::Empty);
}

TEST(DeadlineQueue, K53_MissIsCountedAndDeliveredLateByDefault) {
    Fixture f;
    ASSERT_TRUE(f.queue.push(1, 100));
    ASSERT_TRUE(f.queue.push(2, 100));
    EXPECT_EQ(f.queue.pop(100)->outcome, DeadlineOutcome::OnTime);  // Exactly on time.
    auto late = f.queue.pop(130);
    ASSERT_TRUE(late);
    EXPECT_EQ(late->outcome, DeadlineOutcome::Late);
    EXPECT_TRUE(late->deliver());
    EXPECT_EQ(late->lateness, 30);
    EXPECT_EQ(f.queue.misses(), 1u);
    ASSERT_EQ(f.sink.count("deadline.missed"), 1u);
    EXPECT_EQ(f.sink.entries[0].detail, "deliver_late");
    EXPECT_EQ(f.sink.entries[0].actual, 130);
    EXPECT_EQ(f.sink.entries[0].limit, 100);
}

TEST(DeadlineQueue, K53_SweepActsOnDropAndEscalateWithoutAPop) {
    Fixture f;
    ASSERT_TRUE(f.queue.push(1, 100, MissPolicy::Drop));
    ASSERT_TRUE(f.queue.push(2, 110, MissPolicy::DeliverLate));
    ASSERT_TRUE(f.queue.push(3, 120, MissPolicy::Escalate));
    ASSERT_TRUE(f.queue.push(4, 500, MissPolicy::Drop));
    auto removed = f.queue.sweep(200);
    ASSERT_EQ(removed.size(), 2u);
    EXPECT_EQ(removed[0].entry.message_id, 1u);
    EXPECT_EQ(removed[0].outcome, DeadlineOutcome::Dropped);
    EXPECT_EQ(removed[1].outcome, DeadlineOutcome::Escalated);
    EXPECT_EQ(f.queue.size(), 2u);
    EXPECT_EQ(f.queue.misses(), 3u);
    // The late DeliverLate entry is counted once, by the sweep, not again when popped.
    auto late = f.queue.pop(250);
    EXPECT_EQ(late->outcome, DeadlineOutcome::Late);
    EXPECT_EQ(f.queue.misses(), 3u);
    std::string text = f.metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_deadline_misses_total{queue=\"realtime\",policy=\"drop\"} 1"),
              std::string::npos)
        << text;
}

TEST(DeadlineQueue, K53_BoundedCapacity) {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    DeadlineQueue queue("q", DeadlineQueueConfig{2, MissPolicy::Drop}, metrics, sink);
    ASSERT_TRUE(queue.push(1, 1));
    ASSERT_TRUE(queue.push(2, 2));
    auto full = queue.push(3, 3);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, Status::Limit);
    EXPECT_EQ(queue.pop(5)->outcome, DeadlineOutcome::Dropped);
}

}  // namespace
}  // namespace esta::kernel
