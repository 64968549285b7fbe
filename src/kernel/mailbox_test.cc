#include "kernel/mailbox.h"

#include <gtest/gtest.h>

#include "kernel/cap_tree.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using message_types::kAny;

Message message(u32 type, u32 sender = 1, u8 priority = 0, std::size_t payload = 0) {
    Message result;
    result.type = MessageType(type);
    result.sender = ProcessId(sender);
    result.priority = priority;
    result.payload.assign(payload, 0xAB);
    return result;
}

// Receives everything queued (poll) and returns the types in delivery order.
std::vector<u32> drain(Mailbox& mailbox, MessageType filter = kAny) {
    std::vector<u32> types;
    while (true) {
        auto received = mailbox.receive(filter, Timeout::poll(), 0);
        if (!received) break;
        types.push_back((*received)->type.value());
    }
    return types;
}

TEST(Mailbox, K3_CapacityByPriorityClass) {
    EXPECT_EQ(MailboxConfig::for_priority(Priority::System).capacity, 16384u);
    EXPECT_EQ(MailboxConfig::for_priority(Priority::Realtime).capacity, 4096u);
    EXPECT_EQ(MailboxConfig::for_priority(Priority::High).capacity, 4096u);
    EXPECT_EQ(MailboxConfig::for_priority(Priority::Normal).capacity, 1024u);
    EXPECT_EQ(MailboxConfig::for_priority(Priority::Low).capacity, 1024u);
    EXPECT_EQ(MailboxConfig::for_priority(Priority::Idle).capacity, 1024u);
    EXPECT_EQ(MailboxConfig{}.overflow, OverflowMode::NotifySender);
}

TEST(Mailbox, K3_NotifySenderFailsWhenFull) {
    Mailbox mailbox(MailboxConfig{.capacity = 2});
    EXPECT_EQ(mailbox.send(message(0x10))->seq, 1u);
    EXPECT_EQ(mailbox.send(message(0x11))->seq, 2u);
    auto full = mailbox.send(message(0x12));
    EXPECT_EQ(full.error().code, Status::MailboxFull);
    EXPECT_EQ(mailbox.size(), 2u);
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{0x10, 0x11}));
}

TEST(Mailbox, K3_DropNewestDiscardsTheIncomingMessage) {
    Mailbox mailbox(MailboxConfig{.capacity = 2, .overflow = OverflowMode::DropNewest});
    ASSERT_TRUE(mailbox.send(message(0x10)).has_value());
    ASSERT_TRUE(mailbox.send(message(0x11)).has_value());
    auto dropped = mailbox.send(message(0x12));
    ASSERT_TRUE(dropped.has_value());
    EXPECT_FALSE(dropped->queued);
    EXPECT_EQ(dropped->discarded->type.value(), 0x12u);
    EXPECT_EQ(mailbox.stats().dropped_newest, 1u);
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{0x10, 0x11}));
}

TEST(Mailbox, K3_DropOldestEvictsTheOldestQueued) {
    Mailbox mailbox(MailboxConfig{.capacity = 2, .overflow = OverflowMode::DropOldest});
    ASSERT_TRUE(mailbox.send(message(0x10, 1, 5)).has_value());  // Oldest, though urgent.
    ASSERT_TRUE(mailbox.send(message(0x11)).has_value());
    auto receipt = mailbox.send(message(0x12));
    ASSERT_TRUE(receipt.has_value());
    EXPECT_TRUE(receipt->queued);
    EXPECT_EQ(receipt->discarded->type.value(), 0x10u);
    EXPECT_EQ(mailbox.size(), 2u);
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{0x11, 0x12}));
}

TEST(Mailbox, K3_BlockSenderParksUntilRoom) {
    Mailbox mailbox(MailboxConfig{.capacity = 1, .overflow = OverflowMode::BlockSender});
    ASSERT_TRUE(mailbox.send(message(0x10)).has_value());
    Message blocked = message(0x11, 7);
    auto admission = mailbox.admit(blocked);
    ASSERT_TRUE(admission.has_value());
    EXPECT_EQ(*admission, Admission::BlockSender);
    mailbox.park_sender(ProcessId(7));
    EXPECT_EQ(mailbox.take_unblocked_sender(), std::nullopt);  // Still full.
    ASSERT_TRUE(mailbox.receive(kAny, Timeout::poll(), 0).has_value());
    EXPECT_EQ(mailbox.take_unblocked_sender(), ProcessId(7));
    EXPECT_EQ(mailbox.admit(blocked).value(), Admission::Queue);
}

TEST(Mailbox, K3_PayloadLimitEqualPasses) {
    Mailbox mailbox;
    EXPECT_TRUE(mailbox.send(message(0x10, 1, 0, kDefaultMaxPayload)).has_value());
    auto too_large = mailbox.send(message(0x10, 1, 0, kDefaultMaxPayload + 1));
    EXPECT_EQ(too_large.error().code, Status::PayloadTooLarge);
    EXPECT_EQ(too_large.error().detail.actual, kDefaultMaxPayload + 1);
    EXPECT_EQ(too_large.error().detail.limit, kDefaultMaxPayload);
}

TEST(Mailbox, K3_ReceiveResults) {
    Mailbox mailbox;
    EXPECT_EQ(mailbox.receive(kAny, Timeout::poll(), 0).error().code, Status::Empty);
    auto waiting = mailbox.receive(kAny, Timeout::forever(), 0);
    ASSERT_TRUE(waiting.has_value());
    EXPECT_FALSE(waiting->has_value());  // Would block: the scheduler parks the receiver.
    EXPECT_FALSE(mailbox.receive(kAny, Timeout::until(100), 99)->has_value());
    EXPECT_EQ(mailbox.receive(kAny, Timeout::until(100), 100).error().code, Status::Timeout);
    mailbox.close();
    EXPECT_EQ(mailbox.receive(kAny, Timeout::forever(), 0).error().code, Status::ShuttingDown);
    EXPECT_EQ(mailbox.send(message(0x10)).error().code, Status::ShuttingDown);
}

TEST(Mailbox, K3_AbiTimeoutEncoding) {
    EXPECT_TRUE(Timeout::from_abi_ms(0, 5)->is_poll());
    EXPECT_TRUE(Timeout::from_abi_ms(-1, 5)->is_forever());
    EXPECT_EQ(Timeout::from_abi_ms(3, 5)->deadline(), Nanos{5 + 3 * kNanosPerMilli});
    EXPECT_EQ(Timeout::from_abi_ms(-2, 5).error().code, Status::InvalidArgs);
    EXPECT_TRUE(Timeout::from_abi_ms(std::numeric_limits<i64>::max(), 5).has_value());
}

TEST(Mailbox, K3_ParkedReceiverWakesOnMatchOrTimesOut) {
    Mailbox mailbox;
    mailbox.park_receiver(MessageType(0x11), Timeout::until(1000));
    EXPECT_FALSE(mailbox.send(message(0x10))->wake_receiver);  // Not what it waits for.
    EXPECT_TRUE(mailbox.send(message(0x11))->wake_receiver);
    EXPECT_FALSE(mailbox.receiver_parked());

    mailbox.park_receiver(MessageType(0x12), Timeout::until(1000));
    EXPECT_FALSE(mailbox.expire_receiver(999));
    EXPECT_TRUE(mailbox.expire_receiver(1000));
    EXPECT_EQ(mailbox.receive(MessageType(0x12), Timeout::until(1000), 1000).error().code,
              Status::Timeout);
}

TEST(Mailbox, K3_SelectiveReceiveLeavesOthersQueued) {
    Mailbox mailbox;
    for (u32 type : {0x10u, 0x20u, 0x11u, 0x20u})
        ASSERT_TRUE(mailbox.send(message(type)).has_value());
    EXPECT_EQ(drain(mailbox, MessageType(0x20)), (std::vector<u32>{0x20, 0x20}));
    EXPECT_EQ(mailbox.receive(MessageType(0x20), Timeout::poll(), 0).error().code, Status::Empty);
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{0x10, 0x11}));
}

TEST(Mailbox, K4_HigherPriorityFirstFifoWithinPriority) {
    Mailbox mailbox;
    // (type, sender, priority)
    ASSERT_TRUE(mailbox.send(message(1, 1, 0)).has_value());
    ASSERT_TRUE(mailbox.send(message(2, 2, 7)).has_value());
    ASSERT_TRUE(mailbox.send(message(3, 1, 3)).has_value());
    ASSERT_TRUE(mailbox.send(message(4, 1, 0)).has_value());
    ASSERT_TRUE(mailbox.send(message(5, 2, 7)).has_value());
    ASSERT_TRUE(mailbox.send(message(6, 1, 3)).has_value());
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{2, 5, 3, 6, 1, 4}));
}

TEST(Mailbox, K4_FifoPerSenderReceiverPair) {
    Mailbox mailbox;
    // Two senders interleave; each one's messages keep their order and sequence numbers grow.
    for (u32 i = 0; i < 50; ++i)
        ASSERT_TRUE(mailbox.send(message(100 + i, 1 + i % 2)).has_value());
    u64 last_seq[3] = {0, 0, 0};
    u32 last_type[3] = {0, 0, 0};
    for (u32 i = 0; i < 50; ++i) {
        Message received = std::move(**mailbox.receive(kAny, Timeout::poll(), 0));
        u32 sender = received.sender.value();
        EXPECT_GT(received.seq, last_seq[sender]);
        EXPECT_GT(received.type.value(), last_type[sender]);
        last_seq[sender] = received.seq;
        last_type[sender] = received.type.value();
    }
}

TEST(Mailbox, K4_PriorityAboveSevenIsRejected) {
    Mailbox mailbox;
    EXPECT_EQ(mailbox.send(message(1, 1, 8)).error().code, Status::InvalidArgs);
}

TEST(Mailbox, BufferTooSmallLeavesTheMessageQueued) {
    Mailbox mailbox;
    ASSERT_TRUE(mailbox.send(message(0x10, 1, 0, 100)).has_value());
    auto small = mailbox.receive(kAny, Timeout::poll(), 0, 99);
    EXPECT_EQ(small.error().code, Status::BufferTooSmall);
    EXPECT_EQ(small.error().detail.actual, 100u);
    EXPECT_EQ(mailbox.size(), 1u);
    EXPECT_EQ(mailbox.peek(kAny)->payload.size(), 100u);
    EXPECT_TRUE(mailbox.receive(kAny, Timeout::poll(), 0, 100).has_value());
}

TEST(Mailbox, K5_KernelMessageTypes) {
    EXPECT_TRUE(is_kernel_message_type(message_types::kPing));
    EXPECT_TRUE(is_kernel_message_type(message_types::kPong));
    EXPECT_TRUE(is_kernel_message_type(message_types::kSystemShutdown));
    EXPECT_TRUE(is_kernel_message_type(message_types::kDriverRecord));
    EXPECT_TRUE(is_kernel_message_type(MessageType(0xFF00)));
    EXPECT_FALSE(is_kernel_message_type(message_types::kAccrualRequest));
    EXPECT_FALSE(is_kernel_message_type(MessageType(0x0101)));
    EXPECT_EQ(message_types::kAuditEnd.value(), 0x0022u);
}

TEST(Mailbox, MovedHandlesDropWithAnEvictedMessage) {
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    int zero_calls = 0;
    Mailbox mailbox(MailboxConfig{.capacity = 1, .overflow = OverflowMode::DropOldest});
    {
        Message carrying = message(0x10);
        Handle handle = tree.grant(make_ref<testing::FakeEndpoint>(ids.next(), "x", &zero_calls),
                                   Right::Write, {}, ProcessId(1), 0);
        ASSERT_TRUE(carrying.attach(handle));
        ASSERT_TRUE(mailbox.send(std::move(carrying)).has_value());
    }
    EXPECT_EQ(zero_calls, 0);  // The queued message owns the handle.
    auto receipt = mailbox.send(message(0x11));
    ASSERT_TRUE(receipt.has_value());
    receipt->discarded.reset();
    EXPECT_EQ(zero_calls, 1);
}

TEST(Mailbox, AttachRefusesAFifthHandle) {
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    Message carrying = message(0x10);
    for (u32 i = 0; i < kMaxMessageHandles; ++i) {
        Handle handle = tree.grant(make_ref<testing::FakeEndpoint>(ids.next(), "x"), Right::Write,
                                   {}, ProcessId(1), 0);
        ASSERT_TRUE(carrying.attach(handle));
    }
    Handle fifth = tree.grant(make_ref<testing::FakeEndpoint>(ids.next(), "x"), Right::Write, {},
                              ProcessId(1), 0);
    EXPECT_FALSE(carrying.attach(fifth));
    EXPECT_TRUE(fifth.valid());
}

Message with_deadline(u32 type, Nanos deadline, MissPolicy policy, u8 priority = 0) {
    Message result = message(type, 1, priority);
    result.deadline = deadline;
    result.on_miss = policy;
    return result;
}

TEST(Mailbox, K53_EarliestDeadlineFollowsTheQueuedMessages) {
    Mailbox mailbox;
    EXPECT_FALSE(mailbox.earliest_deadline().has_value());
    ASSERT_TRUE(mailbox.send(message(1)));
    ASSERT_TRUE(mailbox.send(with_deadline(2, 300, MissPolicy::DeliverLate)));
    ASSERT_TRUE(mailbox.send(with_deadline(3, 100, MissPolicy::DeliverLate, 5)));
    EXPECT_EQ(mailbox.earliest_deadline(), 100);
    // Delivery order stays K-4's (priority, then FIFO); the urgency follows what is left.
    auto first = mailbox.receive(kAny, Timeout::poll(), 0);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ((*first)->type.value(), 3u);
    EXPECT_EQ(mailbox.earliest_deadline(), 300);
    EXPECT_EQ(drain(mailbox), (std::vector<u32>{1, 2}));
    EXPECT_FALSE(mailbox.earliest_deadline().has_value());
    EXPECT_FALSE(mailbox.next_miss_check().has_value());
}

TEST(Mailbox, K53_MissedDeadlinesAreFoundOnceAndHandledByPolicy) {
    Mailbox mailbox;
    ASSERT_TRUE(mailbox.send(with_deadline(1, 100, MissPolicy::DeliverLate)));
    ASSERT_TRUE(mailbox.send(with_deadline(2, 100, MissPolicy::Drop)));
    ASSERT_TRUE(mailbox.send(with_deadline(3, 100, MissPolicy::Escalate)));
    ASSERT_TRUE(mailbox.send(with_deadline(4, 200, MissPolicy::Drop)));
    mailbox.collect_missed(100);  // Exactly at the deadline is on time.
    EXPECT_TRUE(mailbox.take_misses().empty());
    mailbox.collect_missed(101);
    std::vector<DeadlineMiss> misses = mailbox.take_misses();
    ASSERT_EQ(misses.size(), 3u);
    EXPECT_EQ(misses[0].policy, MissPolicy::DeliverLate);
    EXPECT_FALSE(misses[0].removed.has_value());
    EXPECT_EQ(misses[1].policy, MissPolicy::Drop);
    ASSERT_TRUE(misses[1].removed.has_value());
    EXPECT_EQ(misses[1].removed->type.value(), 2u);
    EXPECT_EQ(misses[2].policy, MissPolicy::Escalate);
    EXPECT_EQ(misses[2].deadline, 100);
    EXPECT_EQ(misses[2].found_at, 101);
    EXPECT_EQ(mailbox.size(), 2u);
    mailbox.collect_missed(150);  // Each miss is found once.
    EXPECT_TRUE(mailbox.take_misses().empty());
    EXPECT_EQ(mailbox.next_miss_check(), 200);
    // A receive finds misses first: the dropped one is never handed out; the late one is,
    // marked late.
    auto late = mailbox.receive(kAny, Timeout::poll(), 250);
    ASSERT_TRUE(late.has_value());
    EXPECT_EQ((*late)->type.value(), 1u);
    EXPECT_TRUE((*late)->late);
    EXPECT_EQ(mailbox.take_misses().size(), 1u);  // Type 4, dropped.
    EXPECT_EQ(mailbox.size(), 0u);
    EXPECT_FALSE(mailbox.earliest_deadline().has_value());
}

}  // namespace
}  // namespace esta::kernel
