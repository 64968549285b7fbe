#include "kernel/persistence/journaled_answers.h"

#include <gtest/gtest.h>

#include "kernel/persistence/journaled_messages.h"
#include "kernel/persistence/kernel_envelope.h"
#include "protocol/memory_file_system.h"

namespace esta::kernel {
namespace {

Message message_at(Nanos time, u32 flags = 0) {
    Message message;
    message.type = MessageType(0x21);
    message.sender = ProcessId(9);
    message.sender_badge = 77;
    message.priority = 3;
    message.flags = flags;
    message.time = time;
    message.seq = 5;
    message.payload = {'h', 'i'};
    return message;
}

protocol::SyscallAnswer random_answer(std::vector<u8> bytes) {
    protocol::SyscallAnswer answer;
    answer.function = "random";
    answer.args = {100, bytes.size()};
    answer.writes.push_back({100, std::move(bytes)});
    return answer;
}

TEST(JournaledAnswers, T1_StartsDeliveriesAndAnswersAreInTheProcesssHistoryInOrder) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{7 * kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", clock);
    ASSERT_TRUE(journal.has_value());
    JournaledAnswers answers(**journal, clock);
    const protocol::ProcessStart start{"accrual", "_start", {1, 2, 3}, 0};
    answers.started(ProcessId(4), start, 6 * kNanosPerSecond);
    answers.delivered(ProcessId(4), message_at(5 * kNanosPerSecond));
    answers.answered(ProcessId(5), random_answer({5, 5}), clock.now_ns());  // Another process.
    clock.set(8 * kNanosPerSecond);
    answers.answered(ProcessId(4), random_answer({9}), clock.now_ns());
    EXPECT_EQ(answers.failed_appends(), 0u);

    auto history = protocol::read_history(**journal, protocol::StreamId(4));
    ASSERT_TRUE(history.has_value()) << history.error().to_string();
    ASSERT_EQ(history->size(), 3u);
    EXPECT_EQ(std::get<protocol::ProcessStart>((*history)[0].event), start);
    // T-2: the delivery is journaled at the message's time, which `now` then reports.
    EXPECT_EQ((*history)[1].time, 5 * kNanosPerSecond);
    const auto& delivery = std::get<protocol::Envelope>((*history)[1].event);
    ASSERT_TRUE(is_delivery(delivery));
    auto back = from_delivery_envelope(delivery);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->payload, message_at(0).payload);
    EXPECT_EQ(back->seq, 5u);
    EXPECT_EQ(back->sender_badge, 77u);
    EXPECT_EQ(back->time, 5 * kNanosPerSecond);
    EXPECT_EQ(std::get<protocol::SyscallAnswer>((*history)[2].event), random_answer({9}));
    EXPECT_EQ((*history)[2].time, 8 * kNanosPerSecond);
}

TEST(JournaledAnswers, P8_ADeliveredPersistentMessageIsHistoryNotPending) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", clock);
    ASSERT_TRUE(journal.has_value());
    JournaledAnswers answers(**journal, clock);
    answers.started(ProcessId(2), protocol::ProcessStart{}, 1);
    answers.delivered(ProcessId(2), message_at(3, send_flags::kPersistent));
    JournaledMessages messages(**journal, clock);
    auto pending = messages.pending(ProcessId(2));
    ASSERT_TRUE(pending.has_value()) << pending.error().to_string();
    EXPECT_TRUE(pending->empty());
}

TEST(JournaledAnswers, T1_AFailedAppendIsCountedNotLost) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", clock);
    ASSERT_TRUE(journal.has_value());
    JournaledAnswers answers(**journal, clock);
    fs.set_capacity(0);
    answers.answered(ProcessId(1), random_answer({1}), 1);
    EXPECT_EQ(answers.failed_appends(), 1u);
    EXPECT_TRUE((*journal)->stopped().has_value());
}

}  // namespace
}  // namespace esta::kernel
