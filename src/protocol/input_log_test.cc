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

SyscallAnswer sample_syscall() {
    SyscallAnswer answer;
    answer.function = "recv";
    answer.args = {~u64{0}, 0, 1024, 64, 2048};
    answer.request = {{}, {1, 2, 3}};
    answer.result = -14;
    answer.writes = {{1024, {'h', 'i'}}, {2048, std::vector<u8>(72, 7)}};
    return answer;
}

TEST(InputLog, T1_SyscallAnswersAndStartsRoundTripInOrder) {
    MemoryFileSystem fs;
    ManualClock clock;
    auto journal = Journal::open(fs, "/j", clock);
    ASSERT_TRUE(journal);
    const ProcessStart start{"accrual", "_start", {9, 8, 7}, 2};
    SyscallAnswer exited;
    exited.function = "exit";
    exited.args = {3};
    exited.result = 3;
    exited.exited = true;
    ASSERT_TRUE(append_start(**journal, StreamId(4), 10, start));
    ASSERT_TRUE(append_syscall(**journal, StreamId(4), 11, sample_syscall()));
    ASSERT_TRUE(append_syscall(**journal, StreamId(4), 12, exited));
    auto history = read_history(**journal, StreamId(4));
    ASSERT_TRUE(history) << history.error().to_string();
    ASSERT_EQ(history->size(), 3u);
    EXPECT_EQ(std::get<ProcessStart>((*history)[0].event), start);
    EXPECT_EQ(std::get<SyscallAnswer>((*history)[1].event), sample_syscall());
    EXPECT_EQ(std::get<SyscallAnswer>((*history)[2].event), exited);
    EXPECT_EQ((*history)[2].time, 12);
}

TEST(InputLog, T1_DamagedSyscallAnswersAreRefusedWithAReason) {
    ManualClock clock;
    // Every truncation of a valid answer record, inside a record whose checksum is valid.
    std::vector<u8> data;
    {
        MemoryFileSystem fs;
        auto journal = Journal::open(fs, "/j", clock);
        ASSERT_TRUE(journal);
        ASSERT_TRUE(append_syscall(**journal, StreamId(1), 1, sample_syscall()));
        data = (*journal)->read_stream(StreamId(1))->at(0).data;
    }
    for (std::size_t cut = 1; cut < data.size(); ++cut) {
        MemoryFileSystem fs;
        auto journal = Journal::open(fs, "/j", clock);
        ASSERT_TRUE(journal);
        ASSERT_TRUE((*journal)->append(StreamId(1), RecordType::KernelAnswer, 1,
                                       ByteSpan(data.data(), cut)));
        auto history = read_history(**journal, StreamId(1));
        ASSERT_FALSE(history) << "cut " << cut;
        EXPECT_STREQ(history.error().context, "input_log.bad_answer") << "cut " << cut;
    }
    // A newer answer layout is refused as such (V-1), not as damage.
    data[1] = 2;
    MemoryFileSystem fs;
    auto journal = Journal::open(fs, "/j", clock);
    ASSERT_TRUE(journal);
    ASSERT_TRUE((*journal)->append(StreamId(1), RecordType::KernelAnswer, 1, ByteSpan(data)));
    auto history = read_history(**journal, StreamId(1));
    ASSERT_FALSE(history);
    EXPECT_EQ(history.error().code, Status::NotSupported);
}

}  // namespace
}  // namespace esta::protocol
