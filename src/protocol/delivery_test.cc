#include "protocol/delivery.h"

#include <gtest/gtest.h>

#include "protocol/memory_file_system.h"
#include "protocol/test_support.h"

namespace esta::protocol {
namespace {

constexpr Nanos kStart = 1'700'000'000'000'000'000;

RetryPolicy quick_retries() {
    RetryPolicy policy;
    policy.initial_timeout = 100;
    policy.max_timeout = 1000;
    policy.jitter_permille = 0;
    policy.max_retries = 2;
    return policy;
}

Envelope message(std::string type, std::optional<std::string> key = std::nullopt) {
    Envelope envelope = testing::sample_envelope();
    envelope.timestamp.wall_ns = kStart;
    envelope.ttl.reset();
    envelope.sender.auth_expires_at.reset();
    envelope.type = std::move(type);
    envelope.idempotency_key = std::move(key);
    return envelope;
}

TEST(ReliableSender, P4_RetriesAreCountedThenTheMessageIsDeadLettered) {
    MemoryFileSystem fs;
    ManualClock clock(kStart);
    auto dlq = DeadLetterQueue::open(fs, "/dlq", clock);
    ASSERT_TRUE(dlq);
    ReliableSender sender(clock, DeliveryMode::AtLeastOnce, quick_retries(), 1, dlq->get());
    auto first = sender.send(message("a"));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->sequence, 1u);
    ASSERT_TRUE(sender.send(message("b")));
    EXPECT_EQ(sender.on_ack(PositiveAck{2}), std::vector<u64>{2});
    sender.on_ack(NegativeAck{1, NackReason::ResourceUnavailable});
    auto due = sender.poll();
    ASSERT_TRUE(due);
    ASSERT_EQ(due->retransmit.size(), 1u);
    EXPECT_EQ(due->retransmit[0].envelope->type, "a");
    EXPECT_EQ(due->retransmit[0].attempt, 1u);
    clock.advance(200);
    due = sender.poll();
    ASSERT_EQ(due->retransmit.size(), 1u);
    EXPECT_EQ(due->retransmit[0].attempt, 2u);
    clock.advance(400);
    due = sender.poll();
    ASSERT_TRUE(due->retransmit.empty());
    ASSERT_EQ(due->dead_lettered.size(), 1u);
    EXPECT_EQ(sender.in_flight(), 0u);
    auto letter = (*dlq)->inspect(due->dead_lettered[0]);
    ASSERT_TRUE(letter);
    EXPECT_EQ(letter->summary.reason, DeadLetterReason::RetriesExhausted);
    EXPECT_EQ(letter->summary.attempts, 2u);
    EXPECT_EQ(letter->summary.code, u32(NackReason::ResourceUnavailable));
    EXPECT_EQ(letter->message.type, "a");
}

TEST(ReliableSender, P4_ExpiredMessagesAreDeadLetteredInsteadOfRetried) {
    MemoryFileSystem fs;
    ManualClock clock(kStart);
    auto dlq = DeadLetterQueue::open(fs, "/dlq", clock);
    ASSERT_TRUE(dlq);
    ReliableSender sender(clock, DeliveryMode::ExactlyOnce, quick_retries(), 1, dlq->get());
    Envelope short_lived = message("short");
    short_lived.ttl = 50;
    ASSERT_TRUE(sender.send(short_lived));
    clock.advance(100);
    auto due = sender.poll();
    ASSERT_TRUE(due);
    EXPECT_TRUE(due->retransmit.empty());
    ASSERT_EQ(due->dead_lettered.size(), 1u);
    EXPECT_EQ((*dlq)->inspect(due->dead_lettered[0])->summary.reason, DeadLetterReason::Expired);
}

TEST(ReliableSender, P4_AtMostOnceNeverRetransmits) {
    ManualClock clock(kStart);
    ReliableSender sender(clock, DeliveryMode::AtMostOnce, quick_retries(), 1, nullptr);
    ASSERT_TRUE(sender.send(message("once")));
    clock.advance(10'000);
    auto due = sender.poll();
    ASSERT_TRUE(due);
    EXPECT_TRUE(due->retransmit.empty());
    EXPECT_TRUE(due->dead_lettered.empty());
}

TEST(ReliableReceiver, P6_DeliversInOrderAndAcksCumulatively) {
    ManualClock clock(kStart);
    auto receiver = ReliableReceiver::create(clock, DeliveryMode::AtLeastOnce, ReorderOptions{},
                                             DedupOptions{});
    ASSERT_TRUE(receiver);
    auto outcome = receiver->receive(2, message("second"));
    EXPECT_TRUE(outcome.deliver.empty());
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{1, 1}}));
    EXPECT_FALSE(outcome.ack.has_value());  // Nothing in order yet.
    outcome = receiver->receive(1, message("first"));
    ASSERT_EQ(outcome.deliver.size(), 2u);
    EXPECT_EQ(outcome.deliver[0].type, "first");
    EXPECT_EQ(outcome.deliver[1].type, "second");
    ASSERT_TRUE(outcome.ack);
    EXPECT_EQ(std::get<CumulativeAck>(*outcome.ack).up_to, 2u);
    outcome = receiver->receive(1, message("first"));  // A retransmission after a lost ack.
    EXPECT_EQ(outcome.verdict, ReliableReceiver::Verdict::Stale);
    EXPECT_TRUE(outcome.deliver.empty());
    EXPECT_EQ(std::get<CumulativeAck>(*outcome.ack).up_to, 2u);
}

TEST(ReliableReceiver, P5_ExactlyOnceAnswersADuplicateWithTheStoredResult) {
    ManualClock clock(kStart);
    auto receiver = ReliableReceiver::create(clock, DeliveryMode::ExactlyOnce, ReorderOptions{},
                                             DedupOptions{});
    ASSERT_TRUE(receiver);
    auto outcome = receiver->receive(1, message("pay", "invoice-9"));
    ASSERT_EQ(outcome.deliver.size(), 1u);
    receiver->record_result(outcome.deliver[0], {0x01, 0x02});
    // The same request again, as a new message (a client retry with a new sequence).
    outcome = receiver->receive(2, message("pay", "invoice-9"));
    EXPECT_EQ(outcome.verdict, ReliableReceiver::Verdict::Duplicate);
    EXPECT_TRUE(outcome.deliver.empty());
    EXPECT_EQ(outcome.stored_result, (std::vector<u8>{0x01, 0x02}));
    // A different tenant with the same key is a different request.
    Envelope other = message("pay", "invoice-9");
    other.tenant = "globex";
    outcome = receiver->receive(2, other);
    EXPECT_EQ(outcome.verdict, ReliableReceiver::Verdict::Accepted);
    EXPECT_EQ(outcome.deliver.size(), 1u);
}

TEST(ReliableReceiver, P2_InvalidMessagesAreNackedWithEveryProblem) {
    ManualClock clock(kStart);
    auto receiver = ReliableReceiver::create(clock, DeliveryMode::AtLeastOnce, ReorderOptions{},
                                             DedupOptions{});
    Envelope bad = message("");
    bad.id = MessageId{};
    auto outcome = receiver->receive(1, bad);
    EXPECT_EQ(outcome.verdict, ReliableReceiver::Verdict::Invalid);
    EXPECT_EQ(outcome.problems.size(), 2u);
    ASSERT_TRUE(outcome.ack);
    EXPECT_EQ(std::get<NegativeAck>(*outcome.ack).reason, NackReason::ProcessingFailed);
}

TEST(ReliableReceiver, P6_PollReleasesAfterMaxWait) {
    ManualClock clock(kStart);
    auto receiver = ReliableReceiver::create(
        clock, DeliveryMode::AtLeastOnce,
        ReorderOptions{.max_window = 8, .max_wait = 10, .first_sequence = 1}, DedupOptions{});
    receiver->receive(3, message("third"));
    clock.advance(11);
    auto outcome = receiver->poll();
    ASSERT_EQ(outcome.deliver.size(), 1u);
    EXPECT_EQ(outcome.gaps, (std::vector<SequenceGap>{{1, 2}}));
    EXPECT_EQ(std::get<CumulativeAck>(*outcome.ack).up_to, 3u);
}

}  // namespace
}  // namespace esta::protocol
