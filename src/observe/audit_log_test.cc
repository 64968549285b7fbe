// Tamper tests (REQUIREMENTS O-2): each kind of tampering is found and the first bad record
// named. The log is built by AuditLog, then changed on disk the way an attacker would.
#include "observe/audit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "observe/audit_query.h"
#include "observe/audit_verify.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

namespace fs = std::filesystem;

constexpr u64 kEvents = 35;  // With genesis: records 0..35; checkpoints cover 0..9, 10..19,
constexpr u64 kEvery = 10;   // 20..29 and (at shutdown) 30..35.

struct FrameInfo {
    FrameKind kind;
    std::size_t offset;
    std::size_t size;
    u64 seq;  // For records.
};

class AuditTamper : public ::testing::Test {
  protected:
    void SetUp() override {
        m_dir = test_directory() /
                ("audit_" +
                 std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(m_dir);
        m_key = std::make_unique<Ed25519PrivateKey>(*Ed25519PrivateKey::generate());
    }

    // Writes a fresh log into `dir` (key, clock and content are the test's).
    static void write_log(const fs::path& dir, const Ed25519PrivateKey& key, u64 events,
                          const std::string& export_path = {}, u64 segment_max = 64 << 20,
                          const std::string& label = "event") {
        ManualClock clock(1'000'000);
        AuditLogOptions options;
        options.directory = dir.string();
        options.node = "node-a";
        options.checkpoint_every = kEvery;
        options.segment_max_bytes = segment_max;
        std::unique_ptr<CheckpointExporter> exporter;
        if (!export_path.empty()) exporter = std::move(*FileCheckpointExporter::open(export_path));
        auto copy = Ed25519PrivateKey::load_pem(save_key(key, dir.string() + ".key"));
        auto log = AuditLog::open(options, std::move(*copy), clock, std::move(exporter));
        ASSERT_TRUE(log) << log.error().to_string();
        for (u64 i = 1; i <= events; ++i) {
            clock.advance(1000);
            Value::Map data;
            data["n"] = Value::integer(static_cast<i64>(i));
            data["who"] = Value::text(label + "-" + std::to_string(i));
            ASSERT_TRUE((*log)->append("test." + label, data));
        }
        ASSERT_TRUE((*log)->close());
    }

    static std::string save_key(const Ed25519PrivateKey& key, const std::string& path) {
        fs::remove(path);
        EXPECT_TRUE(key.save_pem(path));
        return path;
    }

    std::string segment() const { return (m_dir / segment_file_name(0)).string(); }

    std::vector<u8> bytes() const {
        std::ifstream in(segment(), std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    void set_bytes(const std::vector<u8>& data) const {
        std::ofstream out(segment(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data.data()),
                  static_cast<std::streamsize>(data.size()));
    }

    static std::vector<FrameInfo> frames_of(const std::vector<u8>& data) {
        auto file = FrameFile::from_bytes(data, "segment", AuditFileType::Segment);
        EXPECT_TRUE(file);
        std::vector<FrameInfo> frames;
        for (;;) {
            auto next = file->next();
            if (!next || !next->has_value()) break;
            const Frame& frame = **next;
            u64 seq = 0;
            if (frame.kind == FrameKind::Record) seq = parse_record(frame.body)->seq;
            frames.push_back({frame.kind, frame.offset, file->cursor() - frame.offset, seq});
        }
        return frames;
    }

    // By value: callers often pass a temporary list of frames.
    FrameInfo record(const std::vector<FrameInfo>& frames, u64 seq) const {
        for (const auto& frame : frames) {
            if (frame.kind == FrameKind::Record && frame.seq == seq) return frame;
        }
        ADD_FAILURE() << "no record " << seq;
        return frames.front();
    }

    FrameInfo checkpoint(const std::vector<FrameInfo>& frames, int number) const {
        int seen = 0;
        for (const auto& frame : frames) {
            if (frame.kind == FrameKind::Checkpoint && ++seen == number) return frame;
        }
        ADD_FAILURE() << "no checkpoint " << number;
        return frames.front();
    }

    // Replaces a record's body (same length) and, if asked, fixes its stored hash.
    static void rewrite_record(std::vector<u8>& data, const FrameInfo& frame, const Value& body,
                               bool fix_hash) {
        const auto encoded = encode_value(body);
        ASSERT_EQ(encoded.size() + 5 + 32, frame.size);
        std::memcpy(data.data() + frame.offset + 5, encoded.data(), encoded.size());
        if (fix_hash) {
            const Digest hash = sha256(encoded);
            std::memcpy(data.data() + frame.offset + 5 + encoded.size(), hash.data(), hash.size());
        }
    }

    static Value body_of(const std::vector<u8>& data, const FrameInfo& frame) {
        return parse_record(ByteSpan(data).subspan(frame.offset + 5, frame.size - 5 - 32))->body;
    }

    // The record with its data field "who" replaced (same length as the original).
    static Value with_edited_data(const Value& body) {
        Value::Map data = *body.find("data")->as_map();
        data["who"] = Value::text("EVENT-15");
        return with_field(body, "data", Value::map(std::move(data)));
    }

    static Value with_field(const Value& body, const std::string& key, Value value) {
        Value::Map map = *body.as_map();
        map[key] = std::move(value);
        return Value::map(std::move(map));
    }

    AuditVerifyReport verify(AuditVerifyOptions options = {}) const {
        if (!options.trusted_key) options.trusted_key = m_key->public_key();
        auto report = verify_audit_log(m_dir.string(), options);
        EXPECT_TRUE(report) << report.error().to_string();
        return *report;
    }

    fs::path m_dir;
    std::unique_ptr<Ed25519PrivateKey> m_key;
};

TEST_F(AuditTamper, O2_UntouchedLogVerifiesWithCounts) {
    write_log(m_dir, *m_key, kEvents);
    const auto report = verify();
    EXPECT_TRUE(report.ok()) << report.summary();
    EXPECT_EQ(report.records, kEvents + 1);
    EXPECT_EQ(report.checkpoints, 4u);
    EXPECT_EQ(report.segments, 1u);
    EXPECT_EQ(report.summary(), "OK: 36 records (seq 0..35), 4 checkpoints, 1 segment");
}

TEST_F(AuditTamper, O2_DetectsEditedRecord) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto frames = frames_of(data);
    const auto& target = record(frames, 15);
    rewrite_record(data, target, with_edited_data(body_of(data, target)), false);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Edited) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsEditedRecordWithRecomputedHash) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto frames = frames_of(data);
    const auto& target = record(frames, 15);
    rewrite_record(data, target, with_edited_data(body_of(data, target)), true);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Edited) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsDeletedRecord) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto& target = record(frames_of(data), 15);
    data.erase(data.begin() + target.offset, data.begin() + target.offset + target.size);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Deleted) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsInsertedRecord) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto& target = record(frames_of(data), 15);
    const std::vector<u8> copy(data.begin() + target.offset,
                               data.begin() + target.offset + target.size);
    data.insert(data.begin() + target.offset + target.size, copy.begin(), copy.end());
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Inserted) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsReorderedRecords) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto frames = frames_of(data);
    const auto& first = record(frames, 15);
    const auto& second = record(frames, 16);
    std::vector<u8> swapped(data.begin() + second.offset,
                            data.begin() + second.offset + second.size);
    swapped.insert(swapped.end(), data.begin() + first.offset,
                   data.begin() + first.offset + first.size);
    std::copy(swapped.begin(), swapped.end(), data.begin() + first.offset);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Reordered) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsTruncationBeforeLastCheckpoint) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto& target = record(frames_of(data), 25);
    data.resize(target.offset + target.size);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Truncated) << report.summary();
    EXPECT_EQ(report.bad_seq, 26u);
}

TEST_F(AuditTamper, O2_DetectsTruncationInsideAFrame) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    data.resize(data.size() - 10);
    set_bytes(data);
    EXPECT_EQ(verify().finding, AuditFinding::Truncated);
}

TEST_F(AuditTamper, O2_DetectsTruncationAfterLastLocalCheckpointAgainstExport) {
    const std::string exported = m_dir.string() + ".export";
    fs::remove(exported);
    write_log(m_dir, *m_key, kEvents, exported);
    auto data = bytes();
    // Cut right after checkpoint #3: locally the log looks cleanly closed.
    const auto& third = checkpoint(frames_of(data), 3);
    data.resize(third.offset + third.size);
    set_bytes(data);
    EXPECT_TRUE(verify().ok());
    AuditVerifyOptions options;
    options.exported = *read_exported_checkpoints(exported);
    ASSERT_EQ(options.exported.size(), 4u);
    const auto report = verify(options);
    EXPECT_EQ(report.finding, AuditFinding::Truncated) << report.summary();
    EXPECT_EQ(report.bad_seq, 30u);
}

TEST_F(AuditTamper, O2_DetectsTimestampRegression) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto& target = record(frames_of(data), 15);
    rewrite_record(data, target, with_field(body_of(data, target), "ts", Value::timestamp(5)),
                   true);
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::TimestampRegression) << report.summary();
    EXPECT_EQ(report.bad_seq, 15u);
}

TEST_F(AuditTamper, O2_DetectsForgedCheckpointSignature) {
    write_log(m_dir, *m_key, kEvents);
    auto data = bytes();
    const auto& second = checkpoint(frames_of(data), 2);
    data[second.offset + second.size - 1] ^= 0x01;
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::BadSignature) << report.summary();
    EXPECT_EQ(report.bad_seq, 19u);
}

TEST_F(AuditTamper, O2_DetectsLogResignedWithAnotherKey) {
    // Someone without the key re-creates the whole log with their own key.
    auto other = Ed25519PrivateKey::generate();
    ASSERT_TRUE(other);
    write_log(m_dir, *other, kEvents);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::WrongKey) << report.summary();
    EXPECT_EQ(report.bad_seq, 0u);
}

TEST_F(AuditTamper, O2_DetectsRewriteBySomeoneHoldingTheKeyAgainstExport) {
    const std::string exported = m_dir.string() + ".export";
    fs::remove(exported);
    write_log(m_dir, *m_key, kEvents, exported);
    // Root on the node rewrites history with the node's own key: locally consistent.
    fs::remove_all(m_dir);
    write_log(m_dir, *m_key, kEvents, {}, 64 << 20, "forged");
    EXPECT_TRUE(verify().ok());
    AuditVerifyOptions options;
    options.exported = *read_exported_checkpoints(exported);
    const auto report = verify(options);
    EXPECT_EQ(report.finding, AuditFinding::Rewritten) << report.summary();
    EXPECT_EQ(report.bad_seq, 0u);
}

TEST_F(AuditTamper, O2_ArchivedPrefixStillVerifiesFromCheckpoint) {
    write_log(m_dir, *m_key, kEvents, {}, 1500);  // Small segments: one per checkpoint.
    auto segments = *list_segments(m_dir.string());
    ASSERT_GE(segments.size(), 3u);
    EXPECT_TRUE(verify().ok());
    fs::remove(segments[0]);
    const auto report = verify();
    EXPECT_TRUE(report.ok()) << report.summary();
    EXPECT_GT(report.first_seq, 0u);
    EXPECT_EQ(report.state.next_seq, kEvents + 1);
}

TEST_F(AuditTamper, O2_DetectsMissingMiddleSegment) {
    write_log(m_dir, *m_key, kEvents, {}, 1500);
    auto segments = *list_segments(m_dir.string());
    ASSERT_GE(segments.size(), 3u);
    fs::remove(segments[1]);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::Deleted) << report.summary();
}

TEST_F(AuditTamper, V1_NewerFormatVersionIsRefusedWithTheVersion) {
    write_log(m_dir, *m_key, 3);
    auto data = bytes();
    data[8] = 2;  // Format version field in the file header.
    set_bytes(data);
    const auto report = verify();
    EXPECT_EQ(report.finding, AuditFinding::UnsupportedVersion);
    EXPECT_NE(report.reason.find("version 2"), std::string::npos) << report.reason;
}

TEST(AuditLog, O2_ReopenContinuesTheChain) {
    const fs::path dir = test_directory() / "audit_reopen";
    fs::remove_all(dir);
    auto key = Ed25519PrivateKey::generate();
    ASSERT_TRUE(key);
    const std::string key_path = dir.string() + ".key";
    fs::remove(key_path);
    ASSERT_TRUE(key->save_pem(key_path));
    ManualClock clock(100);
    AuditLogOptions options;
    options.directory = dir.string();
    options.checkpoint_every = 4;
    for (int run = 0; run < 2; ++run) {
        auto log = AuditLog::open(options, *Ed25519PrivateKey::load_pem(key_path), clock, nullptr);
        ASSERT_TRUE(log) << log.error().to_string();
        for (int i = 0; i < 5; ++i) {
            clock.advance(10);
            ASSERT_TRUE((*log)->append("run", {{"i", Value::integer(i)}}));
        }
        ASSERT_TRUE((*log)->close());
    }
    AuditVerifyOptions verify_options;
    verify_options.trusted_key = key->public_key();
    auto report = verify_audit_log(dir.string(), verify_options);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ok()) << report->summary();
    EXPECT_EQ(report->records, 11u);
}

TEST(AuditLog, O2_RefusesFloatsAndClockRegression) {
    const fs::path dir = test_directory() / "audit_refuse";
    fs::remove_all(dir);
    ManualClock clock(1000);
    AuditLogOptions options;
    options.directory = dir.string();
    auto log = AuditLog::open(options, *Ed25519PrivateKey::generate(), clock, nullptr);
    ASSERT_TRUE(log);
    EXPECT_EQ((*log)->append("x", {{"f", Value::real(0.5)}}).error().code, Status::Invalid);
    clock.set(10);
    EXPECT_EQ((*log)->append("x", {}).error().context,
              std::string_view("audit.timestamp_regression"));
    clock.set(2000);
    EXPECT_EQ(*(*log)->append("x", {}), 1u);
}

}  // namespace
}  // namespace esta::observe

namespace esta::observe {
namespace {

TEST(AuditLog, O2_RefusesRecordsThatCouldNotBeReadBack) {
    const fs::path dir = test_directory() / "audit_unreadable";
    fs::remove_all(dir);
    ManualClock clock(1000);
    AuditLogOptions options;
    options.directory = dir.string();
    auto log = AuditLog::open(options, *Ed25519PrivateKey::generate(), clock, nullptr);
    ASSERT_TRUE(log);
    EXPECT_FALSE((*log)->append("bad\xff", {}));
    EXPECT_FALSE((*log)->append("x", {{"k", Value::text("\xc3\x28")}}));
    EXPECT_FALSE((*log)->append("x", {{"\xff", Value()}}));
    Value deep;
    for (int i = 0; i < 40; ++i)
        deep = Value::list({deep});
    EXPECT_FALSE((*log)->append("x", {{"deep", deep}}));
    EXPECT_TRUE((*log)->append("x", {{"ok", Value::text("caf\xc3\xa9")}}));
    ASSERT_TRUE((*log)->close());
    AuditVerifyOptions verify_options;
    EXPECT_TRUE(verify_audit_log(dir.string(), verify_options)->ok());
}

TEST(AuditLog, O2_ReopenCutsATornLastFrameAndRecordsIt) {
    const fs::path dir = test_directory() / "audit_torn";
    fs::remove_all(dir);
    const std::string key_path = dir.string() + ".key";
    fs::remove(key_path);
    ASSERT_TRUE(Ed25519PrivateKey::generate()->save_pem(key_path));
    ManualClock clock(100);
    AuditLogOptions options;
    options.directory = dir.string();
    {
        auto log = AuditLog::open(options, *Ed25519PrivateKey::load_pem(key_path), clock, nullptr);
        ASSERT_TRUE(log);
        ASSERT_TRUE((*log)->append("before", {}));
        ASSERT_TRUE((*log)->close());
    }
    // A crash mid-write: the first 20 bytes of a record frame made it to disk.
    const std::string segment = (dir / segment_file_name(0)).string();
    const auto whole = make_event_body(2, 500, "lost", {}, Digest{});
    std::vector<u8> partial;
    append_frame(partial, FrameKind::Record, whole, sha256(whole));
    partial.resize(20);
    {
        std::ofstream out(segment, std::ios::binary | std::ios::app);
        out.write(reinterpret_cast<const char*>(partial.data()), 20);
    }
    AuditVerifyOptions verify_options;
    EXPECT_EQ(verify_audit_log(dir.string(), verify_options)->finding, AuditFinding::Truncated);

    auto log = AuditLog::open(options, *Ed25519PrivateKey::load_pem(key_path), clock, nullptr);
    ASSERT_TRUE(log) << log.error().to_string();
    clock.advance(10);
    ASSERT_TRUE((*log)->append("after", {}));
    ASSERT_TRUE((*log)->close());
    auto report = verify_audit_log(dir.string(), verify_options);
    EXPECT_TRUE(report->ok()) << report->summary();
    auto records = read_audit_records(dir.string(), 0, 100, 100);
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 4u);
    EXPECT_EQ(*(*records)[2].body.find("event")->as_text(), "audit.torn_frame_removed");
    EXPECT_EQ(*(*records)[2].body.find("data")->find("cut_bytes")->as_i64(), 20);
}

}  // namespace
}  // namespace esta::observe

namespace esta::observe {
namespace {

TEST(AuditLog, O2_ConcurrentAppendsFormOneValidChain) {
    const fs::path dir = test_directory() / "audit_threads";
    fs::remove_all(dir);
    ManualClock clock(1);
    AuditLogOptions options;
    options.directory = dir.string();
    options.checkpoint_every = 100;
    auto log = AuditLog::open(options, *Ed25519PrivateKey::generate(), clock, nullptr);
    ASSERT_TRUE(log);
    constexpr int kThreads = 4;
    constexpr int kEach = 300;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                clock.advance(1);
                if (!(*log)->append("worker",
                                    {{"t", Value::integer(t)}, {"i", Value::integer(i)}})) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    ASSERT_TRUE((*log)->close());
    EXPECT_EQ(failures.load(), 0);
    auto report = verify_audit_log(dir.string(), {});
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->ok()) << report->summary();
    EXPECT_EQ(report->records, 1u + kThreads * kEach);
    EXPECT_EQ(report->checkpoints, 13u);  // 1201 records: 12 full intervals and a shutdown.
}

}  // namespace
}  // namespace esta::observe

namespace esta::observe {
namespace {

// An untouched log verifies at size (O-2: 1 000 000 records, label `slow` through
// ESTA_AUDIT_RECORDS; the unit run writes 12 000, past the first checkpoint of 10 000).
TEST(AuditLog, O2_UntouchedLogOfManyRecordsVerifies) {
    const char* wanted = std::getenv("ESTA_AUDIT_RECORDS");
    const u64 events = wanted ? std::strtoull(wanted, nullptr, 10) : 12'000;
    const auto dir = test_directory() / "audit_many";
    fs::remove_all(dir);
    auto key = Ed25519PrivateKey::generate();
    ASSERT_TRUE(key);
    const Ed25519PublicKey public_key = key->public_key();
    ManualClock clock(1'000'000);
    AuditLogOptions options;
    options.directory = dir.string();
    options.node = "node-many";
    auto log = AuditLog::open(options, std::move(*key), clock, nullptr);
    ASSERT_TRUE(log) << log.error().to_string();
    for (u64 i = 1; i <= events; ++i) {
        clock.advance(1000);
        Value::Map data{{"employee", Value::text("E-" + std::to_string(i % 5000))},
                        {"hours", Value::decimal(static_cast<i64>(i % 4000), 2)},
                        {"n", Value::integer(static_cast<i64>(i))}};
        ASSERT_TRUE((*log)->append("accrual.decision", data));
    }
    ASSERT_TRUE((*log)->close());
    AuditVerifyOptions verify;
    verify.trusted_key = public_key;
    auto report = verify_audit_log(dir.string(), verify);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_TRUE(report->ok()) << report->summary();
    EXPECT_EQ(report->records, events + 1);
    EXPECT_GE(report->checkpoints, events / 10'000);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace esta::observe
