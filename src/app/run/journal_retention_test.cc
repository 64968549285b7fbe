// Journal retention for `estalogic run` (P-8, V-2): the oldest sealed segments go, whole,
// once the journal holds more than retain_bytes; the segment being written and every file
// outside the journal (the module store above all) stay.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/run/journal_retention.h"
#include "protocol/file_system.h"

namespace esta::app::run {
namespace {

namespace fs = std::filesystem;

class JournalRetentionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_dir = fs::path(::testing::TempDir()) /
                ("esta-retention-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(journal_dir());
    }
    void TearDown() override { fs::remove_all(m_dir); }

    fs::path journal_dir() const { return m_dir / "journal"; }

    std::unique_ptr<protocol::Journal> open() {
        protocol::JournalOptions options;
        options.fsync = protocol::FsyncPolicy::Interval;  // One fsync per commit().
        options.max_segment_bytes = 4096;
        auto journal = protocol::Journal::open(m_files, journal_dir().string(), m_clock, options);
        EXPECT_TRUE(journal) << journal.error().to_string();
        return journal ? std::move(*journal) : nullptr;
    }

    // `count` records of 200 bytes on stream 1.
    static void append(protocol::Journal& journal, int count) {
        const std::vector<u8> data(200, 0x5a);
        for (int i = 0; i < count; ++i)
            ASSERT_TRUE(journal.append(protocol::StreamId(1), protocol::RecordType::Input, i,
                                       ByteSpan(data)));
        ASSERT_TRUE(journal.commit());
    }

    u64 journal_bytes() const {
        u64 total = 0;
        for (const auto& entry : fs::directory_iterator(journal_dir()))
            total += entry.file_size();
        return total;
    }

    fs::path m_dir;
    protocol::PosixFileSystem m_files;
    protocol::ManualClock m_clock;
};

TEST_F(JournalRetentionTest, P8_RetentionRetiresTheOldestSealedSegmentsWithinTheLimit) {
    auto journal = open();
    ASSERT_NE(journal, nullptr);
    append(*journal, 400);  // ~86 KB: about 21 segments of 4 KiB.
    const std::size_t segments = journal->segment_count();
    ASSERT_GT(segments, 10u);
    const u64 before = journal_bytes();

    JournalRetention retention(journal_dir().string(), 16 * 1024);
    auto retired = retention.apply(*journal);
    ASSERT_TRUE(retired) << retired.error().to_string();
    EXPECT_GT(*retired, 0u);
    EXPECT_EQ(journal->segment_count(), segments - *retired);
    EXPECT_LE(journal_bytes(), 16u * 1024);
    EXPECT_EQ(retention.retired_segments(), *retired);
    EXPECT_EQ(retention.retired_bytes(), before - journal_bytes());
    // What is left is the newest records, readable, in order, up to the last one.
    EXPECT_GT(journal->first_sequence(), 1u);
    auto rest = journal->read_stream(protocol::StreamId(1));
    ASSERT_TRUE(rest);
    ASSERT_FALSE(rest->empty());
    EXPECT_EQ(rest->front().sequence, journal->first_sequence());
    EXPECT_EQ(rest->back().sequence, 400u);

    // Nothing new: the files are not looked at again, nothing more goes.
    auto again = retention.apply(*journal);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0u);

    // Reopened, the journal starts where retention left it and keeps appending.
    const u64 first = journal->first_sequence();
    journal.reset();
    journal = open();
    ASSERT_NE(journal, nullptr);
    EXPECT_EQ(journal->first_sequence(), first);
    EXPECT_EQ(journal->last_sequence(), 400u);
    append(*journal, 100);
    ASSERT_TRUE(retention.apply(*journal));
    EXPECT_LE(journal_bytes(), 16u * 1024);
    EXPECT_EQ(journal->last_sequence(), 500u);
}

TEST_F(JournalRetentionTest, P8_ZeroKeepsEverySegmentAndTheActiveOneIsNeverRetired) {
    auto journal = open();
    ASSERT_NE(journal, nullptr);
    append(*journal, 100);
    const std::size_t segments = journal->segment_count();
    JournalRetention keep_all(journal_dir().string(), 0);
    ASSERT_TRUE(keep_all.apply(*journal));
    EXPECT_EQ(journal->segment_count(), segments);
    EXPECT_EQ(journal->first_sequence(), 1u);

    // A limit below one segment still keeps the segment being written.
    JournalRetention tiny(journal_dir().string(), 1);
    ASSERT_TRUE(tiny.apply(*journal));
    EXPECT_EQ(journal->segment_count(), 1u);
    append(*journal, 1);
    EXPECT_EQ(journal->last_sequence(), 101u);
}

TEST_F(JournalRetentionTest, V2_RetentionNeverTouchesTheModuleStoreOrOtherFiles) {
    // The node's layout: DATA_DIR/journal beside DATA_DIR/modules (V-2: every module a
    // decision names, kept for the audit retention).
    const fs::path module = m_dir / "modules" / (std::string(64, 'a') + ".wasm");
    fs::create_directories(module.parent_path());
    std::ofstream(module, std::ios::binary) << "\0asm";
    std::ofstream(journal_dir() / "README", std::ios::binary) << "not a segment";
    auto journal = open();
    ASSERT_NE(journal, nullptr);
    append(*journal, 300);
    JournalRetention retention(journal_dir().string(), 8 * 1024);
    auto retired = retention.apply(*journal);
    ASSERT_TRUE(retired);
    EXPECT_GT(*retired, 0u);
    EXPECT_TRUE(fs::exists(module));
    EXPECT_TRUE(fs::exists(journal_dir() / "README"));
}

}  // namespace
}  // namespace esta::app::run
