#include <gtest/gtest.h>

#include <set>

#include "protocol/clock.h"
#include "protocol/hlc.h"
#include "protocol/message_id.h"
#include "protocol/prng.h"

namespace esta::protocol {
namespace {

TEST(HybridLogicalClock, P1_NowIsStrictlyIncreasingWhenTheClockStandsStill) {
    ManualClock clock(1000);
    HybridLogicalClock hlc(clock, 1);
    const HlcTimestamp a = hlc.now();
    const HlcTimestamp b = hlc.now();
    clock.set(500);  // A step backwards must not reorder events.
    const HlcTimestamp c = hlc.now();
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(c.wall_ns, 1000);
    EXPECT_EQ(c.logical, 2u);
    clock.set(2000);
    EXPECT_EQ(hlc.now(), (HlcTimestamp{2000, 0, 1}));
}

TEST(HybridLogicalClock, P1_ObserveOrdersAfterTheRemoteEvent) {
    ManualClock clock(1000);
    HybridLogicalClock hlc(clock, 1);
    const HlcTimestamp remote{1500, 4, 2};
    auto received = hlc.observe(remote);
    ASSERT_TRUE(received);
    EXPECT_GT(*received, remote);
    EXPECT_EQ(*received, (HlcTimestamp{1500, 5, 1}));
    EXPECT_GT(hlc.now(), *received);
}

TEST(HybridLogicalClock, P1_RefusesARemoteClockTooFarAhead) {
    ManualClock clock(0);
    HybridLogicalClock hlc(clock, 1, 100);
    auto result = hlc.observe(HlcTimestamp{101, 0, 2});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().detail.actual, 101u);
    EXPECT_EQ(hlc.last(), HlcTimestamp{});
    EXPECT_TRUE(hlc.observe(HlcTimestamp{100, 0, 2}));
}

TEST(HybridLogicalClock, P1_NodeBreaksTies) {
    EXPECT_LT((HlcTimestamp{5, 1, 1}), (HlcTimestamp{5, 1, 2}));
    EXPECT_NE((HlcTimestamp{5, 1, 1}), (HlcTimestamp{5, 1, 2}));
}

TEST(MessageId, P1_IdsAreTimeOrderedAndUnique) {
    ManualClock clock(5 * kNanosPerMilli);
    MessageIdGenerator ids(clock, 42);
    std::set<MessageId> seen;
    MessageId previous = ids.next();
    for (int i = 0; i < 10'000; ++i) {
        if (i % 3000 == 0) clock.advance(kNanosPerMilli);
        if (i == 7000) clock.set(0);  // Clock steps back: order must still hold.
        const MessageId id = ids.next();
        EXPECT_LT(previous, id);
        previous = id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10'000u);
    EXPECT_EQ((previous.high >> 12) & 0xF, 7u);  // UUIDv7 version nibble.
    EXPECT_EQ(previous.low >> 62, 0b10u);        // RFC 4122 variant.
}

TEST(MessageId, T1_SameSeedAndClockGiveTheSameIds) {
    ManualClock clock(123 * kNanosPerMilli);
    MessageIdGenerator a(clock, 7);
    MessageIdGenerator b(clock, 7);
    MessageIdGenerator c(clock, 8);
    const MessageId first = a.next();
    EXPECT_EQ(first, b.next());
    EXPECT_NE(first, c.next());
    EXPECT_EQ(first.to_hex().size(), 32u);
}

TEST(DeterministicRng, T1_SequenceDependsOnlyOnTheSeed) {
    DeterministicRng a(99);
    DeterministicRng b(99);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(a.next_u64(), b.next_u64());
    for (int i = 0; i < 1000; ++i)
        EXPECT_LT(a.next_below(10), 10u);
    EXPECT_EQ(a.next_below(0), 0u);
}

}  // namespace
}  // namespace esta::protocol
