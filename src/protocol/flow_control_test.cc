#include "protocol/flow_control.h"

#include <gtest/gtest.h>

#include <string>

namespace esta::protocol {
namespace {

TEST(CreditGate, P7_CreditsPauseAndResume) {
    CreditGate gate(3, 2);
    EXPECT_EQ(gate.try_consume(), CreditOutcome::Granted);
    EXPECT_EQ(gate.try_consume(), CreditOutcome::Granted);
    EXPECT_EQ(gate.try_consume(), CreditOutcome::NoCredit);
    gate.grant(10);
    EXPECT_EQ(gate.available(), 3u);  // Never beyond the maximum.
    gate.pause();
    EXPECT_EQ(gate.try_consume(), CreditOutcome::Paused);
    EXPECT_EQ(gate.available(), 3u);  // Pausing keeps the credits.
    gate.resume();
    EXPECT_EQ(gate.try_consume(), CreditOutcome::Granted);
}

TEST(TokenBucket, P7_RateIsLimitedPerIntervalUpToCapacity) {
    ManualClock clock(0);
    auto bucket = TokenBucket::create(clock, 3, 2, 100);
    ASSERT_TRUE(bucket);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(bucket->try_acquire().granted);
    clock.set(40);
    auto refused = bucket->try_acquire();
    EXPECT_FALSE(refused.granted);
    EXPECT_EQ(refused.wait, 60);
    clock.set(140);  // One interval: +2 tokens; the 40 ns remainder carries over.
    EXPECT_EQ(bucket->tokens(), 2u);
    clock.set(200);
    EXPECT_EQ(bucket->tokens(), 3u);  // +2, capped at 3.
    clock.set(1'000'000);
    EXPECT_EQ(bucket->tokens(), 3u);
    EXPECT_FALSE(bucket->try_acquire(4).granted);
}

TEST(TokenBucket, P7_ZeroIntervalIsRefused) {
    ManualClock clock;
    EXPECT_FALSE(TokenBucket::create(clock, 1, 1, 0));
    EXPECT_FALSE(TokenBucket::create(clock, 0, 1, 1));
}

TEST(BoundedPriorityQueue, P7_EvictsOldestLowestOnlyForAStrictlyHigherNewcomer) {
    BoundedPriorityQueue<std::string> queue(3);
    EXPECT_EQ(queue.push(Priority::Low, "low-1").status, EnqueueStatus::Enqueued);
    EXPECT_EQ(queue.push(Priority::Low, "low-2").status, EnqueueStatus::Enqueued);
    EXPECT_EQ(queue.push(Priority::High, "high-1").status, EnqueueStatus::Enqueued);
    auto same = queue.push(Priority::Low, "low-3");
    EXPECT_EQ(same.status, EnqueueStatus::Rejected);
    EXPECT_EQ(same.rejected, "low-3");
    auto higher = queue.push(Priority::Normal, "normal-1");
    EXPECT_EQ(higher.status, EnqueueStatus::EnqueuedWithEviction);
    EXPECT_EQ(higher.evicted, "low-1");
    EXPECT_EQ(higher.evicted_priority, Priority::Low);
    EXPECT_EQ(queue.size(), 3u);
    EXPECT_EQ(queue.pop(), "high-1");
    EXPECT_EQ(queue.pop(), "normal-1");
    EXPECT_EQ(queue.pop(), "low-2");
    EXPECT_EQ(queue.pop(), std::nullopt);
}

TEST(BoundedPriorityQueue, P7_ZeroCapacityRejectsEverything) {
    BoundedPriorityQueue<int> queue(0);
    EXPECT_EQ(queue.push(Priority::Critical, 1).status, EnqueueStatus::Rejected);
    EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace esta::protocol
