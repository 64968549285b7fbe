#include "protocol/reorder_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace esta::protocol {
namespace {

using Buffer = ReorderBuffer<std::string>;
using Released = std::vector<std::string>;

TEST(ReorderBuffer, P6_ReleasesInSequenceOrderAndReportsGaps) {
    ManualClock clock;
    Buffer buffer(clock, ReorderOptions{.max_window = 8, .max_wait = 100, .first_sequence = 1});
    auto outcome = buffer.insert(3, "c");
    EXPECT_EQ(outcome.status, ReorderStatus::Buffered);
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{1, 2}}));
    outcome = buffer.insert(5, "e");
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{1, 2}, {4, 4}}));  // 3 is held.
    outcome = buffer.insert(1, "a");
    EXPECT_EQ(outcome.status, ReorderStatus::Released);
    EXPECT_EQ(outcome.released, Released{"a"});
    outcome = buffer.insert(2, "b");
    EXPECT_EQ(outcome.released, (Released{"b", "c"}));
    EXPECT_EQ(buffer.expected(), 4u);
    EXPECT_EQ(buffer.gaps(), (std::vector<SequenceGap>{{4, 4}}));
    outcome = buffer.insert(4, "d");
    EXPECT_EQ(outcome.released, (Released{"d", "e"}));
    EXPECT_EQ(buffer.held(), 0u);
}

TEST(ReorderBuffer, P6_DuplicatesAndOldMessagesAreDropped) {
    ManualClock clock;
    Buffer buffer(clock, ReorderOptions{.max_window = 8, .max_wait = 100, .first_sequence = 1});
    EXPECT_EQ(buffer.insert(1, "a").status, ReorderStatus::Released);
    EXPECT_EQ(buffer.insert(1, "a").status, ReorderStatus::TooOld);
    EXPECT_EQ(buffer.insert(3, "c").status, ReorderStatus::Buffered);
    EXPECT_EQ(buffer.insert(3, "c").status, ReorderStatus::Duplicate);
    EXPECT_EQ(buffer.insert(2, "b").released, (Released{"b", "c"}));  // "c" exactly once.
}

TEST(ReorderBuffer, P6_FlushesOnWindowFullWithoutReacceptingReleasedSequences) {
    ManualClock clock;
    Buffer buffer(clock, ReorderOptions{.max_window = 3, .max_wait = 100, .first_sequence = 1});
    buffer.insert(3, "c");
    buffer.insert(4, "d");
    buffer.insert(6, "f");
    auto outcome = buffer.insert(7, "g");  // Fourth held message: give up on 1..2.
    EXPECT_EQ(outcome.status, ReorderStatus::Flushed);
    EXPECT_EQ(outcome.released, (Released{"c", "d"}));
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{1, 2}}));
    EXPECT_EQ(buffer.expected(), 5u);
    EXPECT_EQ(buffer.insert(2, "late").status, ReorderStatus::TooOld);
    EXPECT_EQ(buffer.insert(5, "e").released, (Released{"e", "f", "g"}));
}

TEST(ReorderBuffer, P6_FlushesAfterMaxWaitAndDrainsTheRunBehind) {
    ManualClock clock(0);
    Buffer buffer(clock, ReorderOptions{.max_window = 8, .max_wait = 100, .first_sequence = 10});
    buffer.insert(12, "m");
    clock.set(50);
    buffer.insert(13, "n");
    buffer.insert(15, "p");
    clock.set(100);
    EXPECT_TRUE(buffer.poll().released.empty());  // Waited exactly max_wait: not yet.
    clock.set(101);
    auto outcome = buffer.poll();
    EXPECT_EQ(outcome.released, (Released{"m", "n"}));
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{10, 11}}));
    EXPECT_EQ(buffer.expected(), 14u);
    clock.set(151);
    outcome = buffer.poll();
    EXPECT_EQ(outcome.released, Released{"p"});
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{14, 14}}));
}

TEST(ReorderBuffer, P6_AHugeJumpReportsOneGapRange) {
    ManualClock clock;
    Buffer buffer(clock, ReorderOptions{});
    auto outcome = buffer.insert(1'000'000'000'000ull, "far");
    ASSERT_EQ(outcome.gaps.size(), 1u);
    EXPECT_EQ(outcome.gaps[0].last, 999'999'999'999ull);
}

}  // namespace
}  // namespace esta::protocol
