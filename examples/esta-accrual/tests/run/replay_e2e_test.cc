// `estalogic replay` over what `estalogic run` journaled (T-1, V-2, P-8): every process of
// the run re-executed with the module its journal names, found in the run's module store,
// output for output; then one edited byte in a journaled input, or another module under
// the recorded hash, is reported as the first difference with a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "journal_edit.h"
#include "run_harness.h"

namespace esta::test {
namespace {

constexpr std::size_t kEvents = 2000;

class ReplayE2e : public RunE2e {
  protected:
    // `estalogic run` over kEvents generated events into m_dir/state; the module's SHA-256.
    std::string run_once() {
        Outcome run = estalogic("run " + example() + " --generate " + std::to_string(kEvents) +
                                " --state-dir " + state().string() + " --quiet --no-http");
        EXPECT_EQ(run.exit, 0) << run.out << run.err;
        return summary_sha256(run.out);
    }
    fs::path state() const { return m_dir / "state"; }
    fs::path journal() const { return state() / "data" / "journal"; }
};

TEST_F(ReplayE2e, T1_P8_ReplayOfARunProvesEveryOutputIdentical) {
    const std::string sha = run_once();
    ASSERT_EQ(sha.size(), 64u);
    ASSERT_EQ(read_lines(state() / "data" / "decisions.jsonl").size(), kEvents);

    // The state dir, as `estalogic run --state-dir` was given it.
    Outcome replay = estalogic("replay " + state().string());
    ASSERT_EQ(replay.exit, 0) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("accrual (pid "), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("OK: every output is identical"), std::string::npos) << replay.out;
    // Every event was delivered to the accrual process once, and each gave a decision and
    // its audit record: outputs compared, not just run.
    const auto inputs_at = replay.out.find(" inputs replayed");
    ASSERT_NE(inputs_at, std::string::npos) << replay.out;
    const auto inputs_from = replay.out.rfind(' ', inputs_at - 1) + 1;
    EXPECT_GE(std::stoull(replay.out.substr(inputs_from, inputs_at - inputs_from)), kEvents)
        << replay.out;
    const auto outputs_at = replay.out.find(" outputs identical");
    ASSERT_NE(outputs_at, std::string::npos) << replay.out;
    const auto outputs_from = replay.out.rfind(' ', outputs_at - 1) + 1;
    EXPECT_GE(std::stoull(replay.out.substr(outputs_from, outputs_at - outputs_from)), 2 * kEvents)
        << replay.out;

    // The journal directory itself works too, and --list names the process and its module.
    Outcome listed = estalogic("replay " + journal().string() + " --list");
    EXPECT_EQ(listed.exit, 0) << listed.err;
    EXPECT_NE(listed.out.find(sha), std::string::npos) << listed.out;
}

TEST_F(ReplayE2e, T1_P8_AnEditedRecordIsTheFirstDifference) {
    ASSERT_EQ(run_once().size(), 64u);
    // The id of an event near the middle (one the workload does not repeat) in the journaled
    // audit record of its decision (the `audit` syscall's request, an output): its last
    // character changed, the record's checksum made valid again.
    const auto decisions = read_lines(state() / "data" / "decisions.jsonl");
    ASSERT_EQ(decisions.size(), kEvents);
    const auto event_of = decision_event;
    std::map<std::string, int> seen;
    for (const auto& decision : decisions)
        ++seen[event_of(decision)];
    std::size_t index = kEvents / 2;
    while (index < kEvents && seen[event_of(decisions[index])] != 1)
        ++index;
    ASSERT_LT(index, kEvents);
    const std::string id = event_of(decisions[index]);
    const std::string needle = "\"id\":\"" + id + "\"";
    ASSERT_TRUE(rewrite_record(journal(), needle, "esta.decision", needle.size() - 2, 'Z'))
        << needle;

    Outcome replay = estalogic("replay " + state().string());
    EXPECT_EQ(replay.exit, 1) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("accrual (pid "), std::string::npos) << replay.out;
    // That output, and none before it, differs: the journal's request has the edited id,
    // the replay's the id as it was.
    EXPECT_NE(
        replay.out.find("DIFFERENT at life 0, after input " + std::to_string(index + 1) + ","),
        std::string::npos)
        << replay.out;
    const auto expected_at = replay.out.find("expected: ");
    const auto got_at = replay.out.find("got:      ");
    ASSERT_NE(expected_at, std::string::npos) << replay.out;
    ASSERT_NE(got_at, std::string::npos) << replay.out;
    const std::string expected = replay.out.substr(expected_at, got_at - expected_at);
    const std::string got = replay.out.substr(got_at);
    const std::string changed_id = id.substr(0, id.size() - 1) + "Z";
    EXPECT_NE(expected.find(changed_id), std::string::npos) << replay.out;
    EXPECT_EQ(expected.find(id), std::string::npos) << replay.out;
    EXPECT_NE(got.find(id), std::string::npos) << replay.out;
    EXPECT_EQ(count_lines_with(replay.err, "estalogic replay: "), 1u) << replay.err;
}

TEST_F(ReplayE2e, V2_AnotherModuleUnderTheRecordedHashIsRefused) {
    const std::string sha = run_once();
    ASSERT_EQ(sha.size(), 64u);
    // Another valid module (the smallest: an empty one) stored under the recorded hash.
    const fs::path stored = state() / "data" / "modules" / (sha + ".wasm");
    write_bytes(stored, {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
    Outcome replay = estalogic("replay " + state().string());
    EXPECT_EQ(replay.exit, 1) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("the module changed"), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("expected: module " + sha), std::string::npos) << replay.out;

    // And a store without it: one clear message, no input.
    fs::remove(stored);
    Outcome missing = estalogic("replay " + state().string());
    EXPECT_EQ(missing.exit, 66) << missing.out << missing.err;
    EXPECT_NE(missing.err.find("not in the module store"), std::string::npos) << missing.err;
}

// [journal] retain_bytes (P-8): a run journals far more than the limit, the node retires
// the oldest segments as it goes, and the journal ends within the limit plus the segment
// being written. The one life of that run started in a retired segment, so replay says the
// prefix was retired instead of replaying a life from its middle; the next run's lives
// start within what is kept and replay identically. The module store keeps the module
// every decision names (V-2).
TEST_F(ReplayE2e, P8_V2_RetentionBoundsTheJournalAndReplayNamesTheRetiredPrefix) {
    constexpr std::uint64_t kSegment = 64 * 1024, kRetain = 4 * kSegment;
    const fs::path manifest = manifest_variant(
        "[drivers]", "[journal]\nsegment_bytes = " + std::to_string(kSegment) +
                         "\nretain_bytes = " + std::to_string(kRetain) + "\n\n[drivers]");
    auto run = [&](std::size_t events) {
        return estalogic("run " + manifest.string() + " --generate " + std::to_string(events) +
                         " --state-dir " + state().string() + " --quiet --no-http");
    };
    auto journal_bytes = [&] {
        std::uint64_t total = 0;
        for (const auto& entry : fs::directory_iterator(journal()))
            total += entry.file_size();
        return total;
    };

    // ~3.3 KB per event: about 6.6 MB journaled, 25 times the limit.
    Outcome first = run(kEvents);
    ASSERT_EQ(first.exit, 0) << first.out << first.err;
    ASSERT_EQ(read_lines(state() / "data" / "decisions.jsonl").size(), kEvents);
    EXPECT_NE(first.out.find("journal segments"), std::string::npos) << first.out;
    // A segment is sealed once it passes segment_bytes (by at most one record).
    EXPECT_LE(journal_bytes(), kRetain + 2 * kSegment);
    const std::string sha = summary_sha256(first.out);
    ASSERT_EQ(sha.size(), 64u) << first.out;
    const fs::path stored = state() / "data" / "modules" / (sha + ".wasm");
    EXPECT_TRUE(fs::exists(stored));

    Outcome retired = estalogic("replay " + state().string());
    EXPECT_EQ(retired.exit, 66) << retired.out << retired.err;
    EXPECT_NE(retired.err.find("were retired (journal retention)"), std::string::npos)
        << retired.err;
    EXPECT_NE(retired.out.find("note: records 1 to "), std::string::npos) << retired.out;

    // A second, short run on the same state: new lives, within the kept bytes.
    constexpr std::size_t kShort = 30;
    Outcome second = run(kShort);
    ASSERT_EQ(second.exit, 0) << second.out << second.err;
    EXPECT_LE(journal_bytes(), kRetain + 2 * kSegment);
    EXPECT_TRUE(fs::exists(stored));
    Outcome replay = estalogic("replay " + state().string());
    ASSERT_EQ(replay.exit, 0) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("note: records 1 to "), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("OK: every output is identical"), std::string::npos) << replay.out;
    const auto inputs_at = replay.out.find(" inputs replayed");
    ASSERT_NE(inputs_at, std::string::npos) << replay.out;
    const auto inputs_from = replay.out.rfind(' ', inputs_at - 1) + 1;
    EXPECT_GE(std::stoull(replay.out.substr(inputs_from, inputs_at - inputs_from)), kShort)
        << replay.out;
}

}  // namespace
}  // namespace esta::test
