#include "protocol/journal.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "protocol/memory_file_system.h"

namespace esta::protocol {
namespace {

constexpr const char* kDir = "/node/journal";
const StreamId kProcessA{1};
const StreamId kProcessB{2};

std::vector<u8> data_of(std::string_view text) {
    return std::vector<u8>(text.begin(), text.end());
}

std::unique_ptr<Journal> open_journal(FileSystem& fs, const Clock& clock,
                                      JournalOptions options = {}) {
    auto journal = Journal::open(fs, kDir, clock, options);
    EXPECT_TRUE(journal) << journal.error().to_string();
    return journal ? std::move(*journal) : nullptr;
}

TEST(Journal, P8_AlwaysPolicyAcknowledgesEachAppendOnDisk) {
    MemoryFileSystem fs;
    ManualClock clock;
    auto journal = open_journal(fs, clock);
    for (int i = 1; i <= 5; ++i) {
        auto sequence = journal->append(kProcessA, RecordType::Input, i, ByteSpan(data_of("m")));
        ASSERT_TRUE(sequence);
        EXPECT_EQ(*sequence, static_cast<u64>(i));
        EXPECT_EQ(journal->committed_sequence(), *sequence);
    }
}

TEST(Journal, P8_StreamsPerProcessReadBackInOrder) {
    MemoryFileSystem fs;
    ManualClock clock;
    auto journal = open_journal(fs, clock);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 10, ByteSpan(data_of("a1"))));
    ASSERT_TRUE(journal->append(kProcessB, RecordType::Input, 11, ByteSpan(data_of("b1"))));
    ASSERT_TRUE(journal->append(kProcessA, RecordType::KernelAnswer, 12, ByteSpan(data_of("a2"))));
    auto a = journal->read_stream(kProcessA);
    ASSERT_TRUE(a);
    ASSERT_EQ(a->size(), 2u);
    EXPECT_EQ((*a)[0].data, data_of("a1"));
    EXPECT_EQ((*a)[1].stream_sequence, 2u);
    EXPECT_EQ((*a)[1].sequence, 3u);
    EXPECT_EQ((*a)[1].type, RecordType::KernelAnswer);
    EXPECT_EQ((*a)[1].time, 12);
    auto from_two = journal->read_stream(kProcessA, 2);
    ASSERT_TRUE(from_two);
    EXPECT_EQ(from_two->size(), 1u);
}

TEST(Journal, T1_ReopenedJournalReplaysTheSameStream) {
    MemoryFileSystem fs;
    ManualClock clock;
    std::vector<JournalRecord> before;
    {
        auto journal = open_journal(fs, clock);
        for (int i = 0; i < 20; ++i) {
            const StreamId stream = i % 3 == 0 ? kProcessB : kProcessA;
            ASSERT_TRUE(journal->append(stream, RecordType::Input, i,
                                        ByteSpan(data_of("payload " + std::to_string(i)))));
        }
        before = *journal->read_stream(kProcessA);
    }
    auto journal = open_journal(fs, clock);
    EXPECT_EQ(journal->recovery().records, 20u);
    EXPECT_EQ(journal->recovery().truncated_bytes, 0u);
    auto after = journal->read_stream(kProcessA);
    ASSERT_TRUE(after);
    EXPECT_EQ(*after, before);
    auto next = journal->append(kProcessA, RecordType::Input, 99, ByteSpan(data_of("x")));
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, 21u);
    EXPECT_EQ(journal->read_stream(kProcessA)->back().stream_sequence, before.size() + 1);
}

TEST(Journal, P8_BatchPolicyCommitsAGroupWithOneFsync) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Batch;
    options.batch_records = 4;
    auto journal = open_journal(fs, clock, options);
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, i, ByteSpan(data_of("g"))));
    }
    EXPECT_EQ(journal->committed_sequence(), 0u);            // Not acknowledged: the group is open.
    EXPECT_EQ(journal->read_stream(kProcessA)->size(), 3u);  // But readable.
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 3, ByteSpan(data_of("g"))));
    EXPECT_EQ(journal->committed_sequence(), 4u);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 4, ByteSpan(data_of("g"))));
    ASSERT_TRUE(journal->commit());
    EXPECT_EQ(journal->committed_sequence(), 5u);
}

TEST(Journal, P8_BatchPolicyCommitsAPartialGroupWithinTheInterval) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Batch;
    options.batch_records = 100;
    options.interval = 10 * kNanosPerMilli;
    auto journal = open_journal(fs, clock, options);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("g"))));
    ASSERT_TRUE(journal->tick());
    EXPECT_EQ(journal->committed_sequence(), 0u);
    clock.advance(10 * kNanosPerMilli);
    ASSERT_TRUE(journal->tick());
    EXPECT_EQ(journal->committed_sequence(), 1u);
}

TEST(Journal, P8_IntervalPolicySyncsWhenTheInjectedClockSaysSo) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Interval;
    options.interval = 5 * kNanosPerMilli;
    auto journal = open_journal(fs, clock, options);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("i"))));
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("i"))));
    EXPECT_EQ(journal->committed_sequence(), 0u);
    clock.advance(5 * kNanosPerMilli);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("i"))));
    EXPECT_EQ(journal->committed_sequence(), 3u);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("i"))));
    clock.advance(5 * kNanosPerMilli);
    ASSERT_TRUE(journal->tick());
    EXPECT_EQ(journal->committed_sequence(), 4u);
}

// Bytes of every file under the journal's directory.
u64 bytes_on_file(const MemoryFileSystem& fs) {
    u64 total = 0;
    const auto names = fs.list_files(kDir);
    if (!names) return 0;
    for (const auto& name : *names) {
        const auto bytes = fs.read_file(std::string(kDir) + "/" + name);
        if (bytes) total += bytes->size();
    }
    return total;
}

TEST(Journal, P8_IntervalPolicyWithAWriteBufferWritesAtTickAndReadsBackBeforeIt) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Interval;
    options.interval = 5 * kNanosPerMilli;
    options.write_buffer_bytes = 1024;
    auto journal = open_journal(fs, clock, options);
    const u64 empty = bytes_on_file(fs);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("b1"))));
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("b2"))));
    EXPECT_EQ(bytes_on_file(fs), empty);                     // Waiting in the buffer,
    EXPECT_EQ(journal->read_stream(kProcessA)->size(), 2u);  // but readable.
    ASSERT_TRUE(journal->tick());
    const u64 written = bytes_on_file(fs);
    EXPECT_GT(written, empty);  // Written at the tick, not yet fsynced.
    EXPECT_EQ(journal->committed_sequence(), 0u);
    // A full buffer goes out at once.
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(std::vector<u8>(2000))));
    EXPECT_GT(bytes_on_file(fs), written + 2000);
    clock.advance(5 * kNanosPerMilli);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("b4"))));
    EXPECT_EQ(journal->committed_sequence(), 4u);
    journal.reset();
    auto reopened = open_journal(fs, clock, options);
    auto records = reopened->read_stream(kProcessA);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 4u);
    EXPECT_EQ(records->back().data, data_of("b4"));
}

TEST(Journal, P8_SegmentsRollOverAndTheIndexSeeksBySequence) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.max_segment_bytes = 512;
    {
        auto journal = open_journal(fs, clock, options);
        for (int i = 0; i < 100; ++i) {
            ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, i,
                                        ByteSpan(std::vector<u8>(40, static_cast<u8>(i)))));
        }
        EXPECT_GT(journal->segment_count(), 10u);
    }
    auto journal = open_journal(fs, clock, options);
    EXPECT_EQ(journal->recovery().records, 100u);
    auto slice = journal->read_from(57, 5);
    ASSERT_TRUE(slice);
    ASSERT_EQ(slice->size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ((*slice)[i].sequence, 57 + i);
        EXPECT_EQ((*slice)[i].data[0], static_cast<u8>(56 + i));
    }
}

TEST(Journal, P8_RetentionRemovesOnlyWholeOldSegments) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.max_segment_bytes = 512;
    auto journal = open_journal(fs, clock, options);
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(
            journal->append(kProcessA, RecordType::Input, i, ByteSpan(std::vector<u8>(40))));
    }
    auto checkpoint =
        journal->append(kProcessA, RecordType::Checkpoint, 60, ByteSpan(data_of("s")));
    ASSERT_TRUE(checkpoint);
    EXPECT_EQ(journal->last_checkpoint(kProcessA), *checkpoint);
    const std::size_t segments = journal->segment_count();
    auto removed = journal->remove_segments_before(30);
    ASSERT_TRUE(removed);
    EXPECT_GT(*removed, 0u);
    EXPECT_EQ(journal->segment_count(), segments - *removed);
    EXPECT_LE(journal->first_sequence(), 30u);
    auto rest = journal->read_stream(kProcessA);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->back().sequence, *checkpoint);
    EXPECT_EQ(rest->front().sequence, journal->first_sequence());
    journal.reset();
    auto reopened = open_journal(fs, clock, options);
    EXPECT_EQ(reopened->first_sequence(), rest->front().sequence);
    EXPECT_EQ(reopened->last_sequence(), *checkpoint);
    EXPECT_EQ(reopened->last_checkpoint(kProcessA), *checkpoint);
}

TEST(Journal, P8_FullDiskStopsAcceptanceAndLosesNothingAcknowledged) {
    MemoryFileSystem fs;
    ManualClock clock;
    auto journal = open_journal(fs, clock);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("kept"))));
    fs.set_capacity(fs.bytes_of(std::string(kDir) + "/segment-00000000000000000001.wal")->size() +
                    10);
    auto failed = journal->append(kProcessA, RecordType::Input, 1, ByteSpan(std::vector<u8>(100)));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Status::Limit);
    EXPECT_STREQ(failed.error().context, "fs.no_space");
    ASSERT_TRUE(journal->stopped());
    // Stopped: even a record that would fit is refused until the journal is reopened.
    EXPECT_FALSE(journal->append(kProcessA, RecordType::Input, 2, ByteSpan(data_of("x"))));
    journal.reset();
    fs.set_capacity(~u64{0});
    auto reopened = open_journal(fs, clock);
    EXPECT_EQ(reopened->recovery().truncated_bytes, 0u);  // The partial write was cut at once.
    auto records = reopened->read_stream(kProcessA);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].data, data_of("kept"));
}

TEST(Journal, P8_FullDiskDuringGroupCommitKeepsEarlierGroups) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Batch;
    options.batch_records = 2;
    auto journal = open_journal(fs, clock, options);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("a"))));
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("b"))));
    EXPECT_EQ(journal->committed_sequence(), 2u);
    fs.set_capacity(0);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("c"))));
    EXPECT_FALSE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("d"))));
    EXPECT_EQ(journal->last_sequence(), 2u);  // The failed group was never acknowledged.
    EXPECT_EQ(journal->read_stream(kProcessA)->size(), 2u);
}

TEST(Journal, V1_NewerSegmentFormatIsRefusedNamingTheVersion) {
    MemoryFileSystem fs;
    ManualClock clock;
    ASSERT_TRUE(fs.create_directories(kDir));
    std::vector<u8> bytes;
    append_segment_header(bytes, SegmentHeader{kJournalFormatVersion + 1, 1});
    auto file = fs.open_append(std::string(kDir) + "/segment-00000000000000000001.wal");
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->append(ByteSpan(bytes)));
    ASSERT_TRUE((*file)->sync());
    ASSERT_TRUE(fs.sync_directory(kDir));
    auto journal = Journal::open(fs, kDir, clock);
    ASSERT_FALSE(journal);
    EXPECT_EQ(journal.error().code, Status::NotSupported);
    EXPECT_EQ(journal.error().detail.actual, kJournalFormatVersion + 1);
    EXPECT_NE(describe_decode_error(journal.error())
                  .find("version " + std::to_string(kJournalFormatVersion + 1)),
              std::string::npos);
}

TEST(Journal, V1_OlderSegmentFormatIsStillReadAndAppendedTo) {
    MemoryFileSystem fs;
    ManualClock clock;
    ASSERT_TRUE(fs.create_directories(kDir));
    std::vector<u8> bytes;
    append_segment_header(bytes, SegmentHeader{1, 1});  // Format 1, before syscall answers.
    append_record(bytes, JournalRecord{1, kProcessA, 1, RecordType::Input, 5, data_of("old")});
    auto file = fs.open_append(std::string(kDir) + "/segment-00000000000000000001.wal");
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->append(ByteSpan(bytes)));
    ASSERT_TRUE((*file)->sync());
    ASSERT_TRUE(fs.sync_directory(kDir));
    auto journal = open_journal(fs, clock);
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 6, ByteSpan(data_of("new"))));
    auto records = journal->read_stream(kProcessA);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].data, data_of("old"));
    EXPECT_EQ((*records)[1].data, data_of("new"));
}

TEST(Journal, P8_FullDiskUnderIntervalStopsAcceptanceAndKeepsWhatWasSynced) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Interval;
    options.interval = 10 * kNanosPerMilli;
    auto journal = open_journal(fs, clock, options);
    ASSERT_TRUE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("a"))));
    clock.advance(options.interval);
    ASSERT_TRUE(journal->tick());
    EXPECT_EQ(journal->committed_sequence(), 1u);
    fs.set_capacity(fs.bytes_of(std::string(kDir) + "/segment-00000000000000000001.wal")->size() +
                    10);
    auto failed = journal->append(kProcessA, RecordType::Input, 0, ByteSpan(std::vector<u8>(64)));
    ASSERT_FALSE(failed);
    EXPECT_STREQ(failed.error().context, "fs.no_space");
    EXPECT_FALSE(journal->append(kProcessA, RecordType::Input, 0, ByteSpan(data_of("b"))));
    EXPECT_EQ(journal->committed_sequence(), 1u);
    DeterministicRng rng(3);
    journal.reset();
    fs.set_capacity(~u64{0});
    fs.crash(rng, MemoryFileSystem::Tear::Garbage);
    auto reopened = open_journal(fs, clock, options);
    auto records = reopened->read_stream(kProcessA);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].data, data_of("a"));
}

TEST(Journal, P8_WorksOnTheRealFileSystem) {
    const auto directory = std::filesystem::temp_directory_path() /
                           ("esta-journal-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    PosixFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.max_segment_bytes = 1024;
    {
        auto journal = Journal::open(fs, directory.string(), clock, options);
        ASSERT_TRUE(journal) << journal.error().to_string();
        for (int i = 0; i < 50; ++i) {
            ASSERT_TRUE((*journal)->append(kProcessA, RecordType::Input, i,
                                           ByteSpan(std::vector<u8>(64, static_cast<u8>(i)))));
        }
    }
    // A torn tail on a real file: the first bytes of a record that never completed.
    {
        auto names = fs.list_files(directory.string());
        ASSERT_TRUE(names);
        std::sort(names->begin(), names->end());
        auto file = fs.open_append((directory / names->back()).string());
        ASSERT_TRUE(file);
        ASSERT_TRUE(
            (*file)->append(ByteSpan(std::vector<u8>{kFrameMagic0, kFrameMagic1, 1, 3, 9})));
    }
    auto journal = Journal::open(fs, directory.string(), clock, options);
    ASSERT_TRUE(journal) << journal.error().to_string();
    EXPECT_EQ((*journal)->recovery().records, 50u);
    EXPECT_EQ((*journal)->recovery().truncated_bytes, 5u);
    EXPECT_EQ((*journal)->read_from(50, 1)->front().data[0], 49);
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace esta::protocol

namespace esta::protocol {
namespace {

TEST(Journal, P8_CountsRecordsFsyncsAndRecoveredTailInTheMetricsRegistry) {
    MemoryFileSystem fs;
    ManualClock clock;
    observe::MetricsRegistry metrics;
    JournalOptions options;
    options.metrics = &metrics;
    {
        auto journal = Journal::open(fs, "/m", clock, options);
        ASSERT_TRUE(journal);
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE((*journal)->append(StreamId(1), RecordType::Input, 0, ByteSpan()));
        }
    }
    const std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_protocol_journal_records_total 3"), std::string::npos) << text;
    // One fsync for the new segment's header is done directly on the file, then one per
    // record under the Always policy.
    EXPECT_NE(text.find("esta_protocol_journal_fsyncs_total 3"), std::string::npos) << text;
    fs.bytes_of("/m/segment-00000000000000000001.wal")->push_back(0xE5);
    auto reopened = Journal::open(fs, "/m", clock, options);
    ASSERT_TRUE(reopened);
    EXPECT_NE(metrics.render_prometheus().find("esta_protocol_journal_truncated_bytes_total 1"),
              std::string::npos);
}

}  // namespace
}  // namespace esta::protocol
