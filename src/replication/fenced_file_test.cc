// Fencing where effects land (K-61): the sink file a primary/standby pair shares refuses a
// deposed primary's writes, writes each sequence once, and cuts a line torn by a killed
// writer.
#include "replication/fenced_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace esta::replication {
namespace {

namespace fs = std::filesystem;

class FencedFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() /
                ("esta_fenced_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        m_path = (m_dir / "decisions.jsonl").string();
    }
    void TearDown() override { fs::remove_all(m_dir); }

    std::vector<std::string> lines() const {
        std::ifstream in(m_path);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);)
            out.push_back(line);
        return out;
    }

    fs::path m_dir;
    std::string m_path;
};

TEST_F(FencedFileTest, K61_ADeposedPrimarysWriteIsRefusedWhereItLands) {
    // Two writers on one file, as two processes would hold it.
    auto old_primary = FencedFile::open(m_path);
    auto new_primary = FencedFile::open(m_path);
    ASSERT_TRUE(old_primary && new_primary);
    ASSERT_TRUE((*old_primary)->fence(1));
    std::vector<FencedLine> first{{1, R"({"kind":"a"})"}, {2, R"({"kind":"b"})"}};
    ASSERT_EQ(*(*old_primary)->append(first), 2u);

    ASSERT_TRUE((*new_primary)->fence(2));
    EXPECT_EQ((*new_primary)->last_sequence(), 2u);  // Learned from the file.
    std::vector<FencedLine> late{{3, R"({"kind":"c"})"}};
    auto refused = (*old_primary)->append(late);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Revoked);
    EXPECT_EQ((*old_primary)->refused(), 1u);
    // And an old epoch cannot announce itself again.
    EXPECT_EQ((*old_primary)->fence(1).error().code, Status::Revoked);
    EXPECT_EQ(*FencedFile::announced_epoch(m_path), 2u);

    auto text = lines();
    ASSERT_EQ(text.size(), 2u);
    EXPECT_EQ(text[0], R"({"kind":"a","epoch":1,"seq":1})");
    EXPECT_EQ(text[1], R"({"kind":"b","epoch":1,"seq":2})");
}

TEST_F(FencedFileTest, K61_ASequenceIsWrittenOnceEvenWhenANewPrimaryRetriesIt) {
    auto first = FencedFile::open(m_path);
    ASSERT_TRUE(first && (*first)->fence(1));
    std::vector<FencedLine> some{{1, "{}"}, {2, "{}"}, {3, "{}"}};
    ASSERT_EQ(*(*first)->append(some), 3u);
    auto second = FencedFile::open(m_path);
    ASSERT_TRUE(second && (*second)->fence(2));
    std::vector<FencedLine> retried{{2, "{}"}, {3, "{}"}, {4, "{}"}, {5, "plain text"}};
    EXPECT_EQ(*(*second)->append(retried), 2u);
    auto text = lines();
    ASSERT_EQ(text.size(), 5u);
    EXPECT_EQ(text[3], R"({"epoch":2,"seq":4})");
    EXPECT_EQ(text[4], R"({"text":"plain text","epoch":2,"seq":5})");
}

TEST_F(FencedFileTest, K61_ALineTornByAKilledWriterIsCutAtTheNextFence) {
    {
        auto writer = FencedFile::open(m_path);
        ASSERT_TRUE(writer && (*writer)->fence(1));
        std::vector<FencedLine> some{{1, "{}"}, {2, "{}"}};
        ASSERT_TRUE((*writer)->append(some));
    }
    std::ofstream(m_path, std::ios::app) << R"({"kind":"half","epoch":1,"se)";
    auto next = FencedFile::open(m_path);
    ASSERT_TRUE(next && (*next)->fence(2));
    EXPECT_EQ((*next)->last_sequence(), 2u);
    std::vector<FencedLine> more{{3, "{}"}};
    ASSERT_EQ(*(*next)->append(more), 1u);
    auto text = lines();
    ASSERT_EQ(text.size(), 3u);
    EXPECT_EQ(text[2], R"({"epoch":2,"seq":3})");
}

TEST_F(FencedFileTest, K61_WritingBeforeAnnouncingAnEpochIsRefused) {
    auto writer = FencedFile::open(m_path);
    ASSERT_TRUE(writer);
    std::vector<FencedLine> some{{1, "{}"}};
    EXPECT_EQ((*writer)->append(some).error().code, Status::Invalid);
    EXPECT_EQ(*FencedFile::announced_epoch(m_path), 0u);
}

}  // namespace
}  // namespace esta::replication
