// Primary/standby on the injected clock over in-memory links (REQUIREMENTS K-61, K-62).
#include <gtest/gtest.h>

#include "replication/ledger.h"
#include "replication/primary.h"
#include "replication/standby.h"
#include "replication/test_machine.h"

namespace esta::replication {
namespace {

using testing::input;
using testing::SumMachine;
constexpr Nanos kMs = kNanosPerMilli;
constexpr u64 kNodeA = 1;
constexpr u64 kNodeB = 2;

struct Pair {
    explicit Pair(ReplicationConfig config = {}, u64 standby_skew = 0)
        : config(config),
          standby_machine(standby_skew),
          primary(kNodeA, *witness.acquire(kNodeA), config, clock, primary_machine, witness),
          standby(kNodeB, config, clock, standby_machine, witness) {
        connect();
    }
    void connect() {
        auto ends = MemoryWire::pair(wire);
        primary.attach(std::move(ends.first));
        EXPECT_TRUE(standby.attach(std::move(ends.second)));
    }
    // Both sides take turns until nothing moves (a few rounds suffice).
    void exchange() {
        for (int i = 0; i < 4; ++i) {
            (void)primary.poll();
            (void)standby.poll();
        }
    }
    ReplicationConfig config;
    protocol::ManualClock clock{0};
    MemoryWitness witness;
    SumMachine primary_machine;
    SumMachine standby_machine;
    Primary primary;
    Standby standby;
    std::shared_ptr<MemoryWire> wire;
};

TEST(Replication, K61_EntriesShipInOrderAndAnInputIsAcceptedOnceAcknowledged) {
    Pair pair;
    pair.exchange();  // Hello.
    for (u64 v = 1; v <= 3; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    EXPECT_FALSE(pair.primary.accepted(1));  // Synchronous: not before the standby has it.
    pair.clock.advance(10 * kMs);            // The batch interval.
    pair.exchange();
    EXPECT_EQ(pair.primary.acknowledged(), 3u);
    EXPECT_TRUE(pair.primary.accepted(3));
    EXPECT_EQ(pair.standby.last_sequence(), 3u);
    EXPECT_EQ(pair.standby_machine.sum(), 6u);
    EXPECT_EQ(pair.standby.stats().divergences, 0u);
    EXPECT_EQ(pair.standby.log().head(), pair.primary.log().head());
}

TEST(Replication, K61_BatchesShipAt100EntriesOrAfter10ms) {
    Pair pair;
    pair.exchange();
    for (u64 v = 0; v < 99; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    pair.exchange();
    EXPECT_EQ(pair.primary.stats().batches, 0u);
    ASSERT_TRUE(pair.primary.append(input(99)));
    pair.exchange();
    EXPECT_EQ(pair.primary.stats().batches, 1u);
    EXPECT_EQ(pair.primary.acknowledged(), 100u);
    ASSERT_TRUE(pair.primary.append(input(100)));
    pair.clock.advance(9 * kMs);
    pair.exchange();
    EXPECT_EQ(pair.primary.acknowledged(), 100u);
    pair.clock.advance(1 * kMs);
    pair.exchange();
    EXPECT_EQ(pair.primary.acknowledged(), 101u);
    EXPECT_EQ(pair.primary.stats().batches, 2u);
}

TEST(Replication, K61_HeartbeatsEvery100msKeepTheStandbyFromActing) {
    Pair pair;
    pair.exchange();
    for (int i = 0; i < 50; ++i) {
        pair.clock.advance(100 * kMs);
        pair.exchange();
    }
    EXPECT_EQ(pair.primary.stats().heartbeats, 50u);
    EXPECT_FALSE(pair.standby.promoted());
    EXPECT_EQ(pair.witness.grants(), 1u);
}

TEST(Replication, K61_ATamperedEntryFailsItsChainHashAndIsNotApplied) {
    Pair pair;
    pair.exchange();
    ASSERT_TRUE(pair.primary.append(input(5)));
    Entry entry = pair.primary.log().tail().back();
    entry.record.data[0] ^= 1;  // The chain hash no longer matches the record.
    auto ends = MemoryWire::pair(pair.wire);
    ASSERT_TRUE(pair.standby.attach(std::move(ends.second)));
    ASSERT_TRUE(send_message(*ends.first, Message{1, Entries{{entry}}}));
    auto polled = pair.standby.poll();
    ASSERT_FALSE(polled);
    EXPECT_EQ(polled.error().code, Status::Corrupt);
    EXPECT_EQ(pair.standby.stats().chain_failures, 1u);
    EXPECT_EQ(pair.standby.last_sequence(), 0u);
    EXPECT_EQ(pair.standby_machine.count(), 0u);
}

TEST(Replication, K61_AStandbyWhoseOutputDiffersReportsADivergence) {
    Pair pair({}, /*standby_skew=*/1);
    std::vector<u64> diverged;
    pair.standby.on_divergence(
        [&](u64 sequence, const Digest&, const Digest&) { diverged.push_back(sequence); });
    pair.exchange();
    ASSERT_TRUE(pair.primary.append(input(7)));
    pair.clock.advance(10 * kMs);
    pair.exchange();
    EXPECT_EQ(pair.standby.stats().divergences, 1u);
    EXPECT_EQ(diverged, std::vector<u64>{1});
}

TEST(Replication, K61_ASilentPrimaryIsReplacedAfter500msWithAHigherEpoch) {
    Pair pair;
    EffectLedger ledger;
    ASSERT_TRUE(ledger.fence(pair.primary.epoch()));
    pair.exchange();
    ASSERT_TRUE(pair.primary.append(input(1)));
    pair.clock.advance(10 * kMs);
    pair.exchange();
    ASSERT_TRUE(pair.primary.accepted(1));
    ASSERT_TRUE(ledger.apply(pair.primary.epoch(), 1, {}));
    Nanos died = pair.clock.now_ns();
    pair.witness.end_session(kNodeA);  // kill -9: the lock goes with the process.

    pair.clock.advance(500 * kMs);  // Exactly the timeout: not yet.
    (void)pair.standby.poll();
    EXPECT_FALSE(pair.standby.promoted());
    pair.clock.advance(1 * kMs);
    (void)pair.standby.poll();
    ASSERT_TRUE(pair.standby.promoted());
    EXPECT_EQ(pair.standby.lease()->epoch, 2u);
    EXPECT_EQ(*pair.standby.promoted_at() - died, 501 * kMs);  // Within the 5 s RTO.

    // The new primary fences where effects land, then continues the journal.
    Primary successor(kNodeB, *pair.standby.lease(), {}, pair.clock, pair.standby_machine,
                      pair.witness, pair.standby.take_log());
    ASSERT_TRUE(ledger.fence(successor.epoch()));
    EXPECT_EQ(successor.acknowledged(), 1u);  // Input 1 survived.
    EXPECT_EQ(*successor.append(input(2)), 2u);
    EXPECT_EQ(ledger.apply(successor.epoch(), 1, {}).value(), Applied::Duplicate);  // Once.
    auto stale = ledger.apply(1, 3, {});
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, Status::Revoked);
    EXPECT_EQ(stale.error().detail.actual, 1u);
    EXPECT_EQ(stale.error().detail.limit, 2u);
}

TEST(Replication, K61_SplitBrainBlockedReplicationNeverMakesTwoLeaders) {
    Pair pair;
    EffectLedger ledger;
    ASSERT_TRUE(ledger.fence(pair.primary.epoch()));
    pair.exchange();
    pair.wire->block();  // Both still reach the witness; not each other.
    for (int i = 0; i < 100; ++i) {
        pair.clock.advance(100 * kMs);
        ASSERT_TRUE(pair.primary.append(input(i)));
        pair.exchange();
        int leaders = (pair.witness.holds(kNodeA) ? 1 : 0) + (pair.witness.holds(kNodeB) ? 1 : 0);
        EXPECT_LE(leaders, 1);
        EXPECT_FALSE(pair.standby.promoted());  // Silence alone never makes a leader.
    }
    EXPECT_EQ(pair.primary.acknowledged(), 0u);  // Nothing accepted without the standby.
    EXPECT_FALSE(pair.primary.accepted(1));

    // The primary's witness session is lost while its process runs on: the standby takes
    // the lease, fences, and everything the old primary still tries is refused.
    pair.witness.end_session(kNodeA);
    pair.clock.advance(501 * kMs);
    (void)pair.standby.poll();
    ASSERT_TRUE(pair.standby.promoted());
    ASSERT_TRUE(ledger.fence(pair.standby.lease()->epoch));
    auto write = ledger.apply(pair.primary.epoch(), 99, {});
    ASSERT_FALSE(write);
    EXPECT_EQ(write.error().code, Status::Revoked);
    auto append = pair.primary.append(input(1));
    ASSERT_FALSE(append);
    EXPECT_EQ(append.error().code, Status::Revoked);
    EXPECT_TRUE(pair.primary.fenced());
    EXPECT_EQ(ledger.refused(), 1u);
    EXPECT_TRUE(ledger.effects().empty());
}

TEST(Replication, K61_TheOldPrimaryRejoinsAsAStandbyAndIsRefusedIfItSpeaksAsLeader) {
    Pair pair;
    pair.exchange();
    for (u64 v = 1; v <= 5; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    pair.clock.advance(10 * kMs);
    pair.exchange();
    pair.witness.end_session(kNodeA);
    pair.clock.advance(600 * kMs);
    (void)pair.standby.poll();
    ASSERT_TRUE(pair.standby.promoted());
    Primary successor(kNodeB, *pair.standby.lease(), {}, pair.clock, pair.standby_machine,
                      pair.witness, pair.standby.take_log());
    ASSERT_TRUE(successor.append(input(6)));

    // Node A restarts: the lease is taken, so it comes back as a standby, fresh.
    EXPECT_FALSE(pair.witness.acquire(kNodeA));
    SumMachine rejoined_machine;
    Standby rejoined(kNodeA, {}, pair.clock, rejoined_machine, pair.witness);
    auto ends = MemoryWire::pair(pair.wire);
    successor.attach(std::move(ends.first));
    ASSERT_TRUE(rejoined.attach(std::move(ends.second)));
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(successor.poll());
        ASSERT_TRUE(rejoined.poll());
    }
    EXPECT_EQ(rejoined.last_sequence(), 6u);
    EXPECT_EQ(rejoined_machine.sum(), 21u);
    EXPECT_EQ(successor.acknowledged(), 6u);

    // The deposed primary, still running, talks to the new one's standby: refused.
    auto stale_ends = MemoryWire::pair(pair.wire);
    ASSERT_TRUE(send_message(*stale_ends.first, Message{1, Heartbeat{5}}));
    ASSERT_TRUE(rejoined.attach(std::move(stale_ends.second)));
    (void)rejoined.poll();
    EXPECT_EQ(rejoined.stats().refused_stale, 1u);
    MessageReader reader;
    std::optional<Message> answer;
    for (;;) {
        auto next = reader.next(*stale_ends.first);
        ASSERT_TRUE(next);
        if (!*next) break;
        if (std::holds_alternative<Refused>((*next)->body)) answer = **next;
    }
    ASSERT_TRUE(answer);
    EXPECT_EQ(std::get<Refused>(answer->body).current_epoch, 2u);
}

TEST(Replication, K62_CheckpointEvery10000EntriesAndANewStandbyCatchesUpFromItPlusTheTail) {
    ReplicationConfig config;
    Pair pair(config);
    // The standby is away while 20 050 entries are written: entry 1 is gone (the log keeps
    // those after the previous checkpoint, 10 001 on).
    pair.wire->block();
    for (u64 v = 1; v <= 20'050; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    EXPECT_EQ(pair.primary.log().checkpoint_sequence(), 20'000u);
    EXPECT_EQ(pair.primary.log().first_kept(), 10'001u);
    EXPECT_EQ(pair.primary.log().tail().size(), 50u);

    SumMachine fresh;
    Standby late(3, config, pair.clock, fresh, pair.witness);
    auto ends = MemoryWire::pair(pair.wire);
    pair.primary.attach(std::move(ends.first));
    ASSERT_TRUE(late.attach(std::move(ends.second)));
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(pair.primary.poll());
        ASSERT_TRUE(late.poll());
    }
    EXPECT_EQ(late.stats().checkpoints_restored, 1u);
    EXPECT_EQ(late.stats().applied, 50u);  // Only the tail was re-executed.
    EXPECT_EQ(late.last_sequence(), 20'050u);
    EXPECT_EQ(fresh.sum(), pair.primary_machine.sum());
    EXPECT_EQ(pair.primary.acknowledged(), 20'050u);
}

// The common cases ship entries, not the checkpoint: a batch that a checkpoint was taken in
// the middle of ...
TEST(Replication, K62_ABatchACheckpointWasTakenInShipsItsEntriesNotTheCheckpoint) {
    ReplicationConfig config;
    config.checkpoint_every = 10;
    Pair pair(config);
    pair.exchange();
    for (u64 v = 1; v <= 15; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));  // The checkpoint at 10 before any shipped.
    pair.clock.advance(10 * kMs);
    pair.exchange();
    EXPECT_EQ(pair.primary.stats().checkpoints_sent, 0u);
    EXPECT_EQ(pair.primary.stats().shipped, 15u);
    EXPECT_EQ(pair.standby.stats().checkpoints_restored, 0u);
    EXPECT_EQ(pair.standby.stats().applied, 15u);
    EXPECT_EQ(pair.primary.acknowledged(), 15u);
    EXPECT_EQ(pair.standby_machine.sum(), pair.primary_machine.sum());
}

// ... a standby back from a short partition during which a checkpoint was taken, and only
// one that needs entries the primary no longer keeps gets the checkpoint (then the tail).
TEST(Replication, K62_ALaggingStandbyGetsTheEntriesItLacksAndACheckpointOnlyWhenTheyAreGone) {
    ReplicationConfig config;
    config.checkpoint_every = 10;
    Pair pair(config);
    pair.exchange();
    auto append = [&](u64 from, u64 to) {
        for (u64 v = from; v <= to; ++v)
            ASSERT_TRUE(pair.primary.append(input(v)));
    };
    append(1, 12);
    pair.clock.advance(10 * kMs);
    pair.exchange();
    ASSERT_EQ(pair.standby.last_sequence(), 12u);

    pair.wire->block();
    append(13, 25);  // A checkpoint at 20; entries 11 on are kept.
    u64 shipped = pair.primary.stats().shipped;
    pair.connect();  // The standby says hello from 13.
    pair.exchange();
    EXPECT_EQ(pair.primary.stats().checkpoints_sent, 0u);
    EXPECT_EQ(pair.primary.stats().shipped - shipped, 13u);  // 13..25, nothing twice.
    EXPECT_EQ(pair.standby.stats().checkpoints_restored, 0u);
    EXPECT_EQ(pair.standby.last_sequence(), 25u);

    pair.wire->block();
    append(26, 47);  // Checkpoints at 30 and 40: entries 31 on are kept; 26 is gone.
    ASSERT_EQ(pair.primary.log().first_kept(), 31u);
    shipped = pair.primary.stats().shipped;
    pair.connect();
    pair.exchange();
    EXPECT_EQ(pair.primary.stats().checkpoints_sent, 1u);
    EXPECT_EQ(pair.primary.stats().shipped - shipped, 7u);  // 41..47 after the checkpoint.
    EXPECT_EQ(pair.standby.stats().checkpoints_restored, 1u);
    EXPECT_EQ(pair.standby.last_sequence(), 47u);
    EXPECT_EQ(pair.standby_machine.sum(), pair.primary_machine.sum());
    EXPECT_EQ(pair.primary.acknowledged(), 47u);
}

TEST(Replication, K62_ACheckpointLargerThanAFrameShipsInPartsAndRestoresWhole) {
    ReplicationConfig config;
    config.checkpoint_every = 10;
    constexpr std::size_t kPadding = 3 * kCheckpointPartBytes + 17;  // Over the frame limit.
    MemoryWitness witness;
    protocol::ManualClock clock{0};
    SumMachine primary_machine(0, kPadding);
    Primary primary(kNodeA, *witness.acquire(kNodeA), config, clock, primary_machine, witness);
    for (u64 v = 1; v <= 25; ++v)
        ASSERT_TRUE(primary.append(input(v)));
    ASSERT_EQ(primary.log().checkpoint_sequence(), 20u);

    SumMachine fresh(0, kPadding);
    Standby late(kNodeB, config, clock, fresh, witness);
    std::shared_ptr<MemoryWire> wire;
    auto ends = MemoryWire::pair(wire);
    primary.attach(std::move(ends.first));
    ASSERT_TRUE(late.attach(std::move(ends.second)));
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(primary.poll());
        ASSERT_TRUE(late.poll());
    }
    EXPECT_EQ(primary.stats().checkpoints_sent, 1u);
    EXPECT_EQ(late.stats().checkpoints_restored, 1u);
    EXPECT_EQ(late.stats().applied, 5u);
    EXPECT_EQ(fresh.sum(), primary_machine.sum());
    EXPECT_EQ(primary.acknowledged(), 25u);
}

TEST(ReplicationMessages, K62_ACheckpointPartPastItsTotalOrOutOfOrderIsRefused) {
    CheckpointPart part{7, Digest{}, 10, 8, {1, 2, 3}};  // 8 + 3 > 10.
    std::vector<u8> bytes;
    encode(bytes, Message{1, part});
    auto frame = protocol::decode_frame(ByteSpan(bytes.data(), bytes.size()));
    ASSERT_TRUE(frame);
    EXPECT_FALSE(decode_body(frame->body));

    // A part that does not continue the one before drops the link.
    ReplicationConfig config;
    MemoryWitness witness;
    protocol::ManualClock clock{0};
    SumMachine machine;
    Standby standby(kNodeB, config, clock, machine, witness);
    std::shared_ptr<MemoryWire> wire;
    auto ends = MemoryWire::pair(wire);
    ASSERT_TRUE(standby.attach(std::move(ends.second)));
    std::vector<u8> parts;
    encode(parts, Message{1, CheckpointPart{7, Digest{}, 16, 0, std::vector<u8>(8)}});
    encode(parts, Message{1, CheckpointPart{7, Digest{}, 16, 4, std::vector<u8>(8)}});
    ASSERT_TRUE(ends.first->send(ByteSpan(parts.data(), parts.size())));
    auto polled = standby.poll();
    ASSERT_FALSE(polled);
    EXPECT_EQ(polled.error().code, Status::Malformed);
    EXPECT_EQ(standby.stats().checkpoints_restored, 0u);
}

TEST(Replication, K62_ALaggingStandbyCatchesUpFromTheTailAlone) {
    Pair pair;
    pair.exchange();
    for (u64 v = 1; v <= 5; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    pair.clock.advance(10 * kMs);
    pair.exchange();
    pair.wire->block();
    for (u64 v = 6; v <= 20; ++v)
        ASSERT_TRUE(pair.primary.append(input(v)));
    pair.connect();  // Reconnects: hello from 6.
    pair.exchange();
    EXPECT_EQ(pair.standby.last_sequence(), 20u);
    EXPECT_EQ(pair.standby.stats().checkpoints_restored, 0u);
    EXPECT_EQ(pair.standby_machine.sum(), 210u);
}

TEST(ReplicationMessages, K61_DecodingRefusesBadCountsAndTrailingBytes) {
    std::vector<u8> bytes;
    encode(bytes, Message{4, Ack{9}});
    auto frame = protocol::decode_frame(ByteSpan(bytes.data(), bytes.size()));
    ASSERT_TRUE(frame);
    auto message = decode_body(frame->body);
    ASSERT_TRUE(message);
    EXPECT_EQ(message->epoch, 4u);
    EXPECT_EQ(std::get<Ack>(message->body).sequence, 9u);
    std::vector<u8> body(frame->body.begin(), frame->body.end());
    body.push_back(0);
    EXPECT_FALSE(decode_body(ByteSpan(body.data(), body.size())));
    // Entries claiming a million entries in a few bytes.
    std::vector<u8> lying = {2, 1, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0x00};
    auto refused = decode_body(ByteSpan(lying.data(), lying.size()));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Malformed);
}

}  // namespace
}  // namespace esta::replication
