#include "protocol/dead_letter_queue.h"

#include <gtest/gtest.h>

#include "protocol/ack_tracker.h"
#include "protocol/memory_file_system.h"
#include "protocol/test_support.h"

namespace esta::protocol {
namespace {

constexpr const char* kDir = "/node/dlq";

std::unique_ptr<DeadLetterQueue> open_queue(FileSystem& fs, const Clock& clock) {
    auto queue = DeadLetterQueue::open(fs, kDir, clock);
    EXPECT_TRUE(queue) << queue.error().to_string();
    return queue ? std::move(*queue) : nullptr;
}

TEST(DeadLetterQueue, P4_KeepsTheOriginalMessageReasonAndTime) {
    MemoryFileSystem fs;
    ManualClock clock(1234);
    auto queue = open_queue(fs, clock);
    const Envelope message = testing::sample_envelope();
    auto id = queue->add(DeadLetterReason::Trap, 4001, 1, "unreachable in func 3", message);
    ASSERT_TRUE(id);
    auto letter = queue->inspect(*id);
    ASSERT_TRUE(letter);
    EXPECT_EQ(letter->message, message);
    EXPECT_EQ(letter->summary.reason, DeadLetterReason::Trap);
    EXPECT_EQ(letter->summary.code, 4001u);
    EXPECT_EQ(letter->summary.time, 1234);
    EXPECT_EQ(letter->note, "unreachable in func 3");
    EXPECT_EQ(letter->summary.state, DeadLetterState::Pending);
}

TEST(DeadLetterQueue, P4_IsDurableAcrossRestartsAndPowerLoss) {
    MemoryFileSystem fs;
    ManualClock clock(1);
    DeterministicRng rng(4);
    Envelope message = testing::sample_envelope();
    u64 first = 0;
    {
        auto queue = open_queue(fs, clock);
        first =
            *queue->add(DeadLetterReason::RetriesExhausted, u32(NackReason::Lost), 5, "", message);
        message.type = "second";
        ASSERT_TRUE(queue->add(DeadLetterReason::Expired, 0, 0, "ttl", message));
        ASSERT_TRUE(queue->drop(first));
    }
    fs.crash(rng, MemoryFileSystem::Tear::Garbage);  // add() and drop() were acknowledged.
    auto queue = open_queue(fs, clock);
    const auto pending = queue->list();
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].message_type, "second");
    EXPECT_EQ(pending[0].reason, DeadLetterReason::Expired);
    const auto all = queue->list(true);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].state, DeadLetterState::Dropped);
}

TEST(DeadLetterQueue, P4_ReplayHandsBackTheMessageExactlyOnce) {
    MemoryFileSystem fs;
    ManualClock clock(1);
    const Envelope message = testing::sample_envelope();
    u64 id = 0;
    {
        auto queue = open_queue(fs, clock);
        id = *queue->add(DeadLetterReason::Rejected, 3, 1, "", message);
        auto replayed = queue->replay(id);
        ASSERT_TRUE(replayed);
        EXPECT_EQ(*replayed, message);
        auto again = queue->replay(id);
        ASSERT_FALSE(again);
        EXPECT_STREQ(again.error().context, "dlq.already_settled");
    }
    auto queue = open_queue(fs, clock);  // The replay marker survived the restart.
    EXPECT_FALSE(queue->replay(id));
    EXPECT_FALSE(queue->drop(id));
    EXPECT_EQ(queue->pending_count(), 0u);
    EXPECT_EQ(queue->inspect(id)->summary.state, DeadLetterState::Replayed);
}

TEST(DeadLetterQueue, P4_UnknownEntriesAreNotFound) {
    MemoryFileSystem fs;
    ManualClock clock;
    auto queue = open_queue(fs, clock);
    EXPECT_EQ(queue->inspect(42).error().code, Status::NotFound);
    EXPECT_EQ(queue->drop(42).error().code, Status::NotFound);
}

TEST(DeadLetterQueue, P3_EntryEncodingRejectsEveryCorruptedByte) {
    DeadLetter letter;
    letter.summary.reason = DeadLetterReason::Trap;
    letter.summary.code = 3003;
    letter.note = "fuel";
    letter.message = testing::sample_envelope();
    const std::vector<u8> good = encode_dead_letter(letter);
    ASSERT_TRUE(decode_dead_letter(ByteSpan(good), 1));
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::vector<u8> bad = good;
        bad[i] ^= 0x20;
        EXPECT_FALSE(decode_dead_letter(ByteSpan(bad), 1)) << "byte " << i;
    }
}

}  // namespace
}  // namespace esta::protocol
