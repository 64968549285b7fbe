// P-8 crash tests: torn writes at every byte offset of the tail, simulated power loss under
// each fsync policy, and corruption that recovery must refuse rather than cut.
#include <gtest/gtest.h>

#include <string>

#include "protocol/journal.h"
#include "protocol/memory_file_system.h"

namespace esta::protocol {
namespace {

constexpr const char* kDir = "/node/journal";
const std::string kFirstSegment = std::string(kDir) + "/segment-00000000000000000001.wal";
const StreamId kStream{7};

std::vector<u8> record_data(u64 n) {
    // Size and contents depend on n, so a mix-up between records is visible.
    std::vector<u8> data(static_cast<std::size_t>(n % 37 + 1));
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<u8>(n * 13 + i);
    return data;
}

// Writes `count` committed records, returns the size of the file after them.
u64 write_committed(MemoryFileSystem& fs, const Clock& clock, u64 count) {
    auto journal = Journal::open(fs, kDir, clock);
    EXPECT_TRUE(journal);
    for (u64 n = 1; n <= count; ++n) {
        EXPECT_TRUE((*journal)->append(kStream, RecordType::Input, static_cast<Nanos>(n),
                                       ByteSpan(record_data(n))));
    }
    return fs.bytes_of(kFirstSegment)->size();
}

void expect_records(Journal& journal, u64 count) {
    auto records = journal.read_stream(kStream);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), count);
    for (u64 n = 1; n <= count; ++n) {
        EXPECT_EQ((*records)[n - 1].sequence, n);
        EXPECT_EQ((*records)[n - 1].data, record_data(n));
    }
}

TEST(JournalCrash, P8_RecoversAfterTornWriteAtEveryByteOffset) {
    // A record whose write was cut after `cut` bytes, for every cut inside it.
    MemoryFileSystem reference;
    ManualClock clock;
    const u64 committed_size = write_committed(reference, clock, 5);
    std::vector<u8> full_record;
    append_record(full_record, JournalRecord{6, kStream, 6, RecordType::Input, 6, record_data(6)});
    for (std::size_t cut = 1; cut < full_record.size(); ++cut) {
        MemoryFileSystem fs;
        write_committed(fs, clock, 5);
        auto& bytes = *fs.bytes_of(kFirstSegment);
        bytes.insert(bytes.end(), full_record.begin(), full_record.begin() + cut);
        auto journal = Journal::open(fs, kDir, clock);
        ASSERT_TRUE(journal) << "cut " << cut << ": " << journal.error().to_string();
        EXPECT_EQ((*journal)->recovery().truncated_bytes, cut);
        EXPECT_NE(std::string((*journal)->recovery().truncation_reason), "");
        EXPECT_EQ(fs.bytes_of(kFirstSegment)->size(), committed_size);
        expect_records(**journal, 5);
        // The journal continues after the cut with the next sequence.
        auto next = (*journal)->append(kStream, RecordType::Input, 6, ByteSpan(record_data(6)));
        ASSERT_TRUE(next);
        EXPECT_EQ(*next, 6u);
    }
}

TEST(JournalCrash, P8_RecoversAfterEveryCorruptionOfTheLastRecord) {
    // Flipping any byte of the last record (never acknowledged: its write was torn) makes
    // recovery cut exactly that record.
    MemoryFileSystem reference;
    ManualClock clock;
    const u64 size_with_six = write_committed(reference, clock, 6);
    const u64 size_with_five = size_with_six - record_frame_size(record_data(6).size());
    for (u64 offset = size_with_five; offset < size_with_six; ++offset) {
        MemoryFileSystem fs;
        write_committed(fs, clock, 6);
        (*fs.bytes_of(kFirstSegment))[offset] ^= 0x5A;
        auto journal = Journal::open(fs, kDir, clock);
        ASSERT_TRUE(journal) << "offset " << offset << ": " << journal.error().to_string();
        expect_records(**journal, 5);
        EXPECT_EQ((*journal)->recovery().truncated_bytes, size_with_six - size_with_five);
    }
}

TEST(JournalCrash, P8_CorruptionBeforeCommittedRecordsIsRefusedNotCut) {
    MemoryFileSystem reference;
    ManualClock clock;
    const u64 size = write_committed(reference, clock, 6);
    const u64 last_start = size - record_frame_size(record_data(6).size());
    // Every byte of every record but the last: cutting there would lose acknowledged data.
    u64 header_size = 0;
    {
        std::vector<u8> header;
        append_segment_header(header, SegmentHeader{});
        header_size = header.size();
    }
    for (u64 offset = header_size; offset < last_start; ++offset) {
        MemoryFileSystem fs;
        write_committed(fs, clock, 6);
        (*fs.bytes_of(kFirstSegment))[offset] ^= 0x01;
        auto journal = Journal::open(fs, kDir, clock);
        ASSERT_FALSE(journal) << "offset " << offset;
        EXPECT_EQ(journal.error().code, Status::Corrupt);
        EXPECT_STREQ(journal.error().context, "journal.corrupt_segment");
        EXPECT_NE(journal.error().detail.offset, Detail::kUnset);
    }
}

TEST(JournalCrash, P8_AppendedGarbageIsCut) {
    ManualClock clock;
    DeterministicRng rng(17);
    for (int round = 0; round < 50; ++round) {
        MemoryFileSystem fs;
        const u64 size = write_committed(fs, clock, 4);
        auto& bytes = *fs.bytes_of(kFirstSegment);
        for (u64 i = rng.next_below(5000) + 1; i > 0; --i)
            bytes.push_back(static_cast<u8>(rng.next_u64()));
        auto journal = Journal::open(fs, kDir, clock);
        ASSERT_TRUE(journal) << journal.error().to_string();
        expect_records(**journal, 4);
        EXPECT_EQ(fs.bytes_of(kFirstSegment)->size(), size);
    }
}

TEST(JournalCrash, P8_SealedSegmentDamageIsRefused) {
    MemoryFileSystem fs;
    ManualClock clock;
    JournalOptions options;
    options.max_segment_bytes = 300;
    {
        auto journal = Journal::open(fs, kDir, clock, options);
        ASSERT_TRUE(journal);
        for (u64 n = 1; n <= 30; ++n) {
            ASSERT_TRUE(
                (*journal)->append(kStream, RecordType::Input, 0, ByteSpan(record_data(n))));
        }
        ASSERT_GT((*journal)->segment_count(), 2u);
    }
    auto& first = *fs.bytes_of(kFirstSegment);
    first.resize(first.size() - 3);  // A truncated sealed segment.
    auto journal = Journal::open(fs, kDir, clock, options);
    ASSERT_FALSE(journal);
    EXPECT_EQ(journal.error().code, Status::Corrupt);
    EXPECT_EQ(journal.error().detail.index, 0u);
}

// Power loss under each policy: the fault-injecting file system drops unsynced bytes,
// keeps a random prefix of them and tears the last page. Afterwards every acknowledged
// record is there exactly once, in order, with its contents; nothing else appears but
// unacknowledged records in order; and the journal accepts appends again.
void power_loss_rounds(FsyncPolicy policy, MemoryFileSystem::Tear tear, u64 seed) {
    for (u64 round = 0; round < 60; ++round) {
        DeterministicRng rng(seed * 1000 + round);
        MemoryFileSystem fs;
        ManualClock clock;
        JournalOptions options;
        options.fsync = policy;
        options.batch_records = 1 + static_cast<u32>(rng.next_below(8));
        options.interval = 3 * kNanosPerMilli;
        options.max_segment_bytes = 256 + rng.next_below(1024);
        u64 acknowledged = 0;
        u64 appended = 0;
        std::vector<Nanos> appended_at{0};  // appended_at[sequence]
        Nanos last_call = 0;                // The last append or tick: a chance to sync.
        {
            auto journal = Journal::open(fs, kDir, clock, options);
            ASSERT_TRUE(journal);
            const u64 count = 1 + rng.next_below(120);
            for (u64 n = 1; n <= count; ++n) {
                auto sequence =
                    (*journal)->append(kStream, RecordType::Input, 0, ByteSpan(record_data(n)));
                ASSERT_TRUE(sequence);
                appended = *sequence;
                appended_at.push_back(clock.now_ns());
                last_call = clock.now_ns();
                clock.advance(static_cast<Nanos>(rng.next_below(kNanosPerMilli)));
                if (rng.next_below(10) == 0) {
                    ASSERT_TRUE((*journal)->tick());
                    last_call = clock.now_ns();
                }
                acknowledged = (*journal)->committed_sequence();
                // Each policy's own promise, at every step: `always` acknowledges every
                // append at once; `batch` keeps fewer than a group waiting.
                if (policy == FsyncPolicy::Always) {
                    ASSERT_EQ(acknowledged, appended);
                }
                if (policy == FsyncPolicy::Batch) {
                    ASSERT_LT(appended - acknowledged, options.batch_records);
                }
            }
            // Power fails here, with whatever the journal had not yet synced.
        }
        fs.crash(rng, tear);
        auto journal = Journal::open(fs, kDir, clock, options);
        ASSERT_TRUE(journal) << "round " << round << ": " << journal.error().to_string();
        const u64 recovered = (*journal)->last_sequence();
        ASSERT_GE(recovered, acknowledged) << "round " << round << " lost acknowledged records";
        if (policy == FsyncPolicy::Interval) {
            // What `interval` may lose: only records younger than one interval at the last
            // append or tick (each is a chance to sync).
            for (u64 sequence = recovered + 1; sequence <= appended; ++sequence) {
                ASSERT_GT(appended_at[sequence], last_call - options.interval)
                    << "round " << round << " lost record " << sequence;
            }
        }
        ASSERT_LE(recovered, appended);
        expect_records(**journal, recovered);
        auto next =
            (*journal)->append(kStream, RecordType::Input, 0, ByteSpan(record_data(recovered + 1)));
        ASSERT_TRUE(next);
        EXPECT_EQ(*next, recovered + 1);
    }
}

TEST(JournalCrash, P8_PowerLossUnderAlwaysLosesNothingAcknowledged) {
    power_loss_rounds(FsyncPolicy::Always, MemoryFileSystem::Tear::Garbage, 1);
    power_loss_rounds(FsyncPolicy::Always, MemoryFileSystem::Tear::Zeros, 2);
}

TEST(JournalCrash, P8_PowerLossUnderBatchLosesNothingAcknowledged) {
    power_loss_rounds(FsyncPolicy::Batch, MemoryFileSystem::Tear::Garbage, 3);
    power_loss_rounds(FsyncPolicy::Batch, MemoryFileSystem::Tear::Zeros, 4);
}

TEST(JournalCrash, P8_PowerLossUnderIntervalLosesAtMostTheUnsyncedInterval) {
    power_loss_rounds(FsyncPolicy::Interval, MemoryFileSystem::Tear::Garbage, 5);
    power_loss_rounds(FsyncPolicy::Interval, MemoryFileSystem::Tear::None, 6);
}

}  // namespace
}  // namespace esta::protocol
