#include "protocol/ack_tracker.h"

#include <gtest/gtest.h>

namespace esta::protocol {
namespace {

RetryPolicy policy_without_jitter() {
    RetryPolicy policy;
    policy.initial_timeout = 100;
    policy.multiplier = 2;
    policy.max_timeout = 1000;
    policy.jitter_permille = 0;
    policy.max_retries = 3;
    return policy;
}

TEST(AckTracker, P4_PositiveCumulativeAndSelectiveAcksSettle) {
    ManualClock clock;
    AckTracker tracker(clock, policy_without_jitter(), 1);
    for (u64 s = 1; s <= 10; ++s)
        ASSERT_TRUE(tracker.track(s));
    EXPECT_FALSE(tracker.track(3));  // Already pending.
    EXPECT_EQ(tracker.on_ack(PositiveAck{4}), std::vector<u64>{4});
    EXPECT_EQ(tracker.on_ack(CumulativeAck{5}), (std::vector<u64>{1, 2, 3, 5}));
    EXPECT_EQ(tracker.on_ack(SelectiveAck{{7, 9, 42}}), (std::vector<u64>{7, 9}));
    EXPECT_EQ(tracker.pending(), 3u);
    EXPECT_TRUE(tracker.is_pending(6));
    EXPECT_TRUE(tracker.is_pending(8));
    EXPECT_TRUE(tracker.is_pending(10));
}

TEST(AckTracker, P4_RetransmitsWithExponentialBackoffAndCountsRetries) {
    ManualClock clock;
    AckTracker tracker(clock, policy_without_jitter(), 1);
    ASSERT_TRUE(tracker.track(1));
    EXPECT_EQ(tracker.next_deadline(), 100);
    clock.set(99);
    EXPECT_TRUE(tracker.poll().retransmit.empty());
    // Deadlines 100, then +200, +400, +800 (capped at 1000): three retries, then exhausted.
    const Nanos expected_times[] = {100, 300, 700};
    for (u32 attempt = 1; attempt <= 3; ++attempt) {
        clock.set(expected_times[attempt - 1]);
        auto due = tracker.poll();
        ASSERT_EQ(due.retransmit.size(), 1u) << "attempt " << attempt;
        EXPECT_EQ(due.retransmit[0].attempt, attempt);
        EXPECT_TRUE(due.exhausted.empty());
        EXPECT_TRUE(tracker.poll().retransmit.empty());  // Not due again at once.
    }
    clock.set(700 + 800 - 1);
    EXPECT_TRUE(tracker.poll().exhausted.empty());
    clock.set(700 + 800);
    auto due = tracker.poll();
    ASSERT_EQ(due.exhausted.size(), 1u);
    EXPECT_EQ(due.exhausted[0].retries, 3u);
    EXPECT_FALSE(due.exhausted[0].last_nack.has_value());
    EXPECT_EQ(tracker.pending(), 0u);
}

TEST(AckTracker, P4_NegativeAckRetransmitsAtOnceAndKeepsTheReason) {
    ManualClock clock;
    AckTracker tracker(clock, policy_without_jitter(), 1);
    ASSERT_TRUE(tracker.track(5));
    EXPECT_TRUE(tracker.on_ack(NegativeAck{5, NackReason::Corrupted}).empty());
    auto due = tracker.poll();
    ASSERT_EQ(due.retransmit.size(), 1u);
    EXPECT_EQ(due.retransmit[0].sequence, 5u);
    for (int i = 0; i < 3; ++i) {
        tracker.on_ack(NegativeAck{5, NackReason::ResourceUnavailable});
        due = tracker.poll();
    }
    ASSERT_EQ(due.exhausted.size(), 1u);
    EXPECT_EQ(due.exhausted[0].last_nack, NackReason::ResourceUnavailable);
}

TEST(AckTracker, P4_JitterIsBoundedAndDeterministicPerSeed) {
    RetryPolicy policy;
    policy.initial_timeout = 1000;
    policy.max_timeout = 1'000'000;
    policy.jitter_permille = 250;
    DeterministicRng a(9);
    bool varied = false;
    Nanos first = backoff_delay(policy, 2, a);
    for (int i = 0; i < 200; ++i) {
        const Nanos delay = backoff_delay(policy, 2, a);
        EXPECT_GE(delay, 3000);  // base 4000, less at most 25 %.
        EXPECT_LE(delay, 4000);
        varied |= delay != first;
    }
    EXPECT_TRUE(varied);
    DeterministicRng c(9);
    EXPECT_EQ(backoff_delay(policy, 2, c), first);
    DeterministicRng d(10);
    DeterministicRng e(10);
    const Nanos long_chain = backoff_delay(policy, 60, d);
    EXPECT_EQ(long_chain, backoff_delay(policy, 60, e));
    EXPECT_LE(long_chain, policy.max_timeout);  // No overflow on long chains.
    EXPECT_GE(long_chain, policy.max_timeout / 4 * 3);
}

}  // namespace
}  // namespace esta::protocol
