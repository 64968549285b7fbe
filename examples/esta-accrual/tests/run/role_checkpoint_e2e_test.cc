// `estalogic run --role` checkpoints (K-62) and the standby timeout, end to end: a standby
// that joins after the primary took checkpoints catches up from the latest one plus the
// tail (the key-value store's snapshot, not a re-execution from the first event), then
// decides exactly as a single node would, before and after it takes over; the primary's
// journal in memory stays within one checkpoint interval. A primary alone waits for its
// standby with a full window (status: waiting_for_standby), or, given --standby-timeout-ms,
// writes its decisions alone and returns to synchronous once the standby caught up.
#include <string>
#include <vector>

#include "role_pair.h"

namespace esta::test {
namespace {

// A decision line without the fenced sink's "epoch" and "seq" (fenced_file.h) and without
// the module's hash: what the module decided.
std::string decided(std::string line) {
    auto at = line.rfind(",\"epoch\":");
    if (at != std::string::npos) line = line.substr(0, at) + "}";
    const std::string hash = ",\"module_sha256\":\"";
    at = line.find(hash);
    if (at != std::string::npos) line.erase(at, hash.size() + 65);
    return line;
}

std::vector<std::string> source(std::int64_t events, const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {"--generate", std::to_string(events), "--seed",
                                     "7",          "--checkpoint-every",   "100"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

using std::chrono::seconds;

std::uint64_t restored(const fs::path& state) {
    std::string text = role_of(state)["checkpoints_restored"].text;
    return text.empty() ? 0 : std::stoull(text);
}

TEST_F(RolePair, K62_AStandbyJoiningLateCatchesUpFromACheckpointAndDecidesAsOneNodeWould) {
    constexpr std::int64_t kEvents = 3000;
    constexpr std::int64_t kBeforeTheKill = 2500;  // The primary's share; the standby's: all.
    auto every_event = events_file("events.jsonl", kEvents, kEvents);
    auto primary_share = events_file("primary.jsonl", kEvents, kBeforeTheKill);
    auto with_checkpoints = [](std::vector<std::string> source) {
        source.insert(source.end(), {"--checkpoint-every", "100"});
        return source;
    };
    fs::path reference = m_dir / "reference.jsonl";
    Outcome single = estalogic("run " + example() + " " + every_event[0] + " " + every_event[1] +
                               " --state-dir " + (m_dir / "single").string() + " --decisions " +
                               reference.string() + " --no-http --quiet");
    ASSERT_EQ(single.exit, 0) << single.err;

    // Alone and synchronous, the primary admits one window of events (1 024), taking a
    // checkpoint every 100, and writes nothing: no standby acknowledged them.
    start(0, "primary", with_checkpoints(primary_share));
    ASSERT_TRUE(wait_until(
        [&] { return role_of(m_slots[0].state)["waiting_for_standby"].text == "1"; }, seconds(30)))
        << read_text(m_dir / "node0.log");
    JsonObject alone = role_of(m_slots[0].state);
    EXPECT_EQ(alone["last_sequence"].text, "1024");
    EXPECT_EQ(alone["checkpoint_sequence"].text, "1000");
    EXPECT_EQ(alone["journal_tail"].text, "24");
    EXPECT_EQ(count_lines(m_sink), 0u);

    // The standby gets the checkpoint at 1 000 and re-executes 24 entries, not 1 024.
    start(1, "standby", with_checkpoints(every_event));
    // (A checkpoint taken past what was shipped goes again: at least one.)
    ASSERT_TRUE(wait_until([&] { return restored(m_slots[1].state) >= 1; }, seconds(30)))
        << read_text(m_dir / "node1.log");
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) >= kBeforeTheKill; }, seconds(60)))
        << read_text(m_dir / "node0.log");
    JsonObject primary = role_when(
        m_slots[0].state, [](JsonObject& role) { return role_number(role, "journal_tail") < 100; });
    EXPECT_LT(role_number(primary, "journal_tail"), 100u) << "the journal is bounded";
    EXPECT_EQ(role_of(m_slots[1].state)["divergences"].text, "0");

    // It takes over and decides the rest on the state the checkpoint gave it.
    ASSERT_GT(fail_over(0, 1), 0) << read_text(m_dir / "node1.log");
    start(0, "primary", with_checkpoints(every_event));  // Rejoins as its standby.
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) >= kEvents; }, seconds(60)))
        << read_text(m_dir / "node1.log");
    expect_each_decided_once(kEvents);
    EXPECT_EQ(read_sink(m_sink).epochs.back(), 2u);
    auto expected = read_lines(reference);
    auto pair = read_lines(m_sink);
    ASSERT_EQ(pair.size(), expected.size());
    for (std::size_t i = 0; i < pair.size(); ++i)
        ASSERT_EQ(decided(pair[i]), decided(expected[i])) << "decision " << i + 1;
    JsonObject leader = role_when(
        m_slots[1].state, [](JsonObject& role) { return role_number(role, "journal_tail") < 100; });
    EXPECT_EQ(leader["divergences"].text, "0");
    EXPECT_LT(role_number(leader, "journal_tail"), 100u);
}

TEST_F(RolePair, K61_PastTheStandbyTimeoutThePrimaryWritesAloneUntilTheStandbyCaughtUp) {
    constexpr std::int64_t kEvents = 1500;  // More than one window.
    start(0, "primary", source(kEvents, {"--standby-timeout-ms", "200"}));
    ASSERT_TRUE(wait_until([&] { return count_lines(m_sink) >= kEvents; }, seconds(60)))
        << read_text(m_dir / "node0.log");
    JsonObject alone =
        role_when(m_slots[0].state, [](JsonObject& role) { return role["alone"].text == "1"; });
    EXPECT_EQ(alone["alone"].text, "1");
    EXPECT_EQ(alone["alone_periods"].text, "1");
    EXPECT_EQ(alone["waiting_for_standby"].text, "0");
    Outcome status = estalogic("status --state-dir " + m_slots[0].state.string());
    EXPECT_NE(status.out.find("alone: writing decisions without"), std::string::npos) << status.out;

    // The standby catches up (from the checkpoint at 1 500) and the primary is synchronous
    // again.
    start(1, "standby", source(kEvents));
    ASSERT_TRUE(
        wait_until([&] { return role_of(m_slots[0].state)["alone"].text == "0"; }, seconds(30)))
        << read_text(m_dir / "node1.log");
    ASSERT_TRUE(wait_until(
        [&] { return role_of(m_slots[1].state)["last_sequence"].text == std::to_string(kEvents); },
        seconds(30)));
    EXPECT_GE(restored(m_slots[1].state), 1u);
    expect_each_decided_once(kEvents);
    std::string audit;
    for (const auto& entry : fs::recursive_directory_iterator(m_slots[0].state))
        if (entry.is_regular_file()) audit += read_text(entry.path());
    EXPECT_NE(audit.find("replication.primary_alone"), std::string::npos);
    EXPECT_NE(audit.find("replication.standby_caught_up"), std::string::npos);
}

}  // namespace
}  // namespace esta::test
