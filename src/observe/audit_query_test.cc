#include "observe/audit_query.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "observe/audit_log.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

class AuditQuery : public ::testing::Test {
  protected:
    void SetUp() override {
        // One directory per test: ctest runs the tests of this fixture in parallel processes.
        const char* test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        m_dir = (test_directory() / "audit_query" / test).string();
        std::filesystem::remove_all(m_dir);
        ManualClock clock(1);
        AuditLogOptions options;
        options.directory = m_dir;
        options.checkpoint_every = 7;
        auto log = AuditLog::open(options, *Ed25519PrivateKey::generate(), clock, nullptr);
        ASSERT_TRUE(log);
        for (i64 i = 1; i <= 20; ++i) {
            clock.advance(5);
            ASSERT_TRUE((*log)->append("hours.logged", {{"hours", Value::decimal(i * 25, 2)}}));
        }
        ASSERT_TRUE((*log)->close());
    }
    std::string m_dir;
};

TEST_F(AuditQuery, ReadsARangeOfRecords) {
    auto records = read_audit_records(m_dir, 3, 5, 100);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 3u);
    EXPECT_EQ((*records)[0].seq, 3u);
    EXPECT_EQ(record_to_json((*records)[0]),
              "{\"seq\":3,\"ts\":\"1970-01-01T00:00:00.000000016Z\",\"kind\":\"event\","
              "\"event\":\"hours.logged\",\"data\":{\"hours\":\"0.75\"}}");
    EXPECT_EQ(read_audit_records(m_dir, 0, 100, 2)->size(), 2u);
}

TEST_F(AuditQuery, O2_InclusionProofForEveryRecord) {
    for (u64 seq = 0; seq <= 20; ++seq) {
        auto proof = prove_audit_record(m_dir, seq);
        ASSERT_TRUE(proof) << seq;
        EXPECT_TRUE(proof->verify()) << seq;
        EXPECT_EQ(proof->checkpoint.checkpoint.first_seq + proof->leaf_index, seq);
        // A proof for one record does not prove another leaf.
        AuditInclusionProof wrong = *proof;
        wrong.leaf_hash[0] ^= 1;
        EXPECT_FALSE(wrong.verify());
    }
    EXPECT_EQ(prove_audit_record(m_dir, 21).error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::observe
