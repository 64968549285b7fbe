#include "kernel/persistence/journaled_answers.h"

#include <gtest/gtest.h>

#include "protocol/memory_file_system.h"

namespace esta::kernel {
namespace {

TEST(JournaledAnswers, T1_RandomAnswersAreInTheProcesssHistoryInOrder) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{7 * kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", clock);
    ASSERT_TRUE(journal.has_value());
    JournaledAnswers answers(**journal, clock);
    const std::vector<u8> first{1, 2, 3}, second{9}, other{5, 5};
    answers.record(ProcessId(4), "random", first);
    answers.record(ProcessId(5), "random", other);
    clock.set(8 * kNanosPerSecond);
    answers.record(ProcessId(4), "random", second);
    EXPECT_EQ(answers.failed_appends(), 0u);

    auto history = protocol::read_history(**journal, protocol::StreamId(4));
    ASSERT_TRUE(history.has_value()) << history.error().to_string();
    ASSERT_EQ(history->size(), 2u);
    const auto& a = std::get<protocol::KernelAnswer>((*history)[0].event);
    const auto& b = std::get<protocol::KernelAnswer>((*history)[1].event);
    EXPECT_EQ(a, (protocol::KernelAnswer{protocol::AnswerKind::Random, first}));
    EXPECT_EQ(b, (protocol::KernelAnswer{protocol::AnswerKind::Random, second}));
    EXPECT_EQ((*history)[0].time, 7 * kNanosPerSecond);
    EXPECT_EQ((*history)[1].time, 8 * kNanosPerSecond);
}

TEST(JournaledAnswers, T1_AFailedAppendIsCountedNotLost) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", clock);
    ASSERT_TRUE(journal.has_value());
    JournaledAnswers answers(**journal, clock);
    fs.set_capacity(0);
    const std::vector<u8> bytes{1};
    answers.record(ProcessId(1), "random", bytes);
    EXPECT_EQ(answers.failed_appends(), 1u);
    EXPECT_TRUE((*journal)->stopped().has_value());
}

}  // namespace
}  // namespace esta::kernel
