#include "protocol/input_log.h"

#include <gtest/gtest.h>

#include "protocol/memory_file_system.h"
#include "protocol/test_support.h"

namespace esta::protocol {
namespace {

TEST(InputLog, T1_HistoryReplaysInputsAndAnswersInOrderAfterACrash) {
    MemoryFileSystem fs;
    ManualClock clock;
    const StreamId process{12};
    const StreamId other{13};
    DeterministicRng rng(8);
    const Envelope first = testing::random_envelope(rng);
    const Envelope second = testing::random_envelope(rng);
    {
        auto journal = Journal::open(fs, "/j", clock);
        ASSERT_TRUE(journal);
        Journal& log = **journal;
        ASSERT_TRUE(append_input(log, process, 100, first));
        ASSERT_TRUE(append_answer(log, process, 100, KernelAnswer{AnswerKind::Now, {1, 2, 3, 4}}));
        ASSERT_TRUE(append_input(log, other, 101, second));  // Another process interleaves.
        ASSERT_TRUE(log.append(process, RecordType::Output, 102, ByteSpan()));  // Skipped.
        ASSERT_TRUE(append_answer(log, process, 103, KernelAnswer{AnswerKind::Timeout, {}}));
        ASSERT_TRUE(append_input(log, process, 104, second));
    }
    fs.crash(rng, MemoryFileSystem::Tear::Garbage);  // Policy always: everything was durable.
    auto journal = Journal::open(fs, "/j", clock);
    ASSERT_TRUE(journal);
    auto history = read_history(**journal, process);
    ASSERT_TRUE(history) << history.error().to_string();
    ASSERT_EQ(history->size(), 4u);
    EXPECT_EQ(std::get<Envelope>((*history)[0].event), first);
    EXPECT_EQ((*history)[0].time, 100);
    EXPECT_EQ(std::get<KernelAnswer>((*history)[1].event),
              (KernelAnswer{AnswerKind::Now, {1, 2, 3, 4}}));
    EXPECT_EQ(std::get<KernelAnswer>((*history)[2].event).kind, AnswerKind::Timeout);
    EXPECT_EQ((*history)[2].time, 103);
    EXPECT_EQ(std::get<Envelope>((*history)[3].event), second);
    // Replay may start from any stream position (after a checkpoint).
    auto tail = read_history(**journal, process, 4);
    ASSERT_TRUE(tail);
    ASSERT_EQ(tail->size(), 2u);
    EXPECT_EQ((*tail)[0].time, 103);
}

TEST(InputLog, P8_PersistentMessageIsAcknowledgedOnlyOnceCommitted) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Batch;
    options.batch_records = 2;
    auto journal = Journal::open(fs, "/j", clock, options);
    ASSERT_TRUE(journal);
    auto sequence = append_input(**journal, StreamId(1), 5, testing::sample_envelope());
    ASSERT_TRUE(sequence);
    EXPECT_LT((*journal)->committed_sequence(), *sequence);  // Not yet: no ack may be sent.
    ASSERT_TRUE((*journal)->commit());
    EXPECT_GE((*journal)->committed_sequence(), *sequence);
}

}  // namespace
}  // namespace esta::protocol
