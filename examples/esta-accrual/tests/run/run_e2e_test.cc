// The main job end to end on the embedded defaults: `estalogic run` (the built binary, as a
// user runs it) over the example manifest and a generated workload; its decisions against
// the independent reference (tests/reference.cc, no code shared with the module or the
// rules), its audit log through `estalogic verify-log`, and bad configuration and bad
// modules refused with one clear message and a non-zero exit.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <thread>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "reference.h"
#include "reference_compare.h"
#include "run_harness.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {
namespace {

// A generated workload (every kind of event, invalid ones too) over 12 employers.
std::vector<std::string> workload_lines(std::uint64_t seed, std::int64_t count) {
    workload::Options options;
    options.seed = seed;
    options.events = count;
    options.employers = 12;
    std::vector<std::string> events;
    workload::generate(options, [&](std::string_view line) { events.emplace_back(line); });
    return events;
}

std::string joined_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
        text += line + "\n";
    return text;
}

TEST_F(RunE2e, A8_RunDecisionsMatchTheIndependentReferenceAndTheAuditLogVerifies) {
    // Generated workload in (every kind of event, invalid ones too).
    std::vector<std::string> events = workload_lines(2, 10000);
    fs::path events_file = write("events.jsonl", joined_lines(events));

    // The example manifest as it is, its module found in the build tree.
    fs::path state = m_dir / "state";
    Outcome run = estalogic("run " + example() + " --events " + events_file.string() +
                            " --state-dir " + state.string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("events      10,000"), std::string::npos) << run.out;

    // Decisions out: one per event, in order, each equal to the independent calculation
    // and carrying the hash of the module that made it (V-2).
    std::string sha = summary_sha256(run.out);
    ASSERT_EQ(sha.size(), 64u) << run.out;
    auto decisions = read_lines(state / "data" / "decisions.jsonl");
    ASSERT_EQ(decisions.size(), events.size());
    reference::Rules independent;
    std::set<std::string> seen;
    int failures = 0;
    for (std::size_t i = 0; i < events.size() && failures < 5; ++i) {
        std::string difference = reference_difference(decisions[i], independent.decide(events[i]));
        if (!difference.empty()) {
            ++failures;
            ADD_FAILURE() << "event " << i << ": " << events[i] << "\n" << difference;
        }
        JsonObject decision = parse_flat_json(decisions[i]);
        EXPECT_EQ(decision["module_sha256"].text, sha);
        seen.insert(decision["kind"].text + "/" + decision["reason"].text);
    }
    // The workload reaches the outcomes that matter, or the comparison proves little.
    for (const char* wanted :
         {"accrued/none", "approved/none", "denied/waiting_period", "denied/insufficient_balance",
          "rejected/over_24_hours", "rejected/negative_minutes", "not_effective/none",
          "exempt/none", "rolled_over/none", "headcount/none", "hired/none"}) {
        EXPECT_TRUE(seen.count(wanted)) << "no decision " << wanted;
    }

    // Audit out: the chain, checkpoints and Merkle roots verify under the node's key, and
    // every decision has its record (plus the loader's own records).
    Outcome verified = estalogic("verify-log " + (state / "audit").string() + " --key " +
                                 (state / "data" / "node.key.pub").string());
    EXPECT_EQ(verified.exit, 0) << verified.out << verified.err;
    EXPECT_EQ(verified.out.rfind("OK: ", 0), 0u) << verified.out;
    std::size_t records = std::stoull(verified.out.substr(4));
    EXPECT_GT(records, events.size());
}

// Two instances of the accrual process, partitioned by employer (scale-out over the
// scheduler threads): the decisions come in another order, but each is the independent
// reference's for its event, since an employer's events stay in order on one instance.
TEST_F(RunE2e, A8_TwoInstancesPartitionedByEmployerDecideAsOne) {
    std::vector<std::string> events = workload_lines(3, 6000);
    fs::path events_file = write("events.jsonl", joined_lines(events));
    fs::path manifest =
        manifest_variant("critical = true", "instances = 2\npartition_key = \"employer\"");
    fs::path state = m_dir / "state";
    Outcome run = estalogic("run " + manifest.string() + " --events " + events_file.string() +
                            " --state-dir " + state.string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;

    // Ids may repeat (the workload replays some events on purpose); repeats belong to one
    // employer, so they are decided in input order on one instance.
    reference::Rules independent;
    std::map<std::string, std::deque<reference::Decision>> expected;
    for (const auto& line : events)
        expected[parse_flat_json(line)["id"].text].push_back(independent.decide(line));
    auto decisions = read_lines(state / "data" / "decisions.jsonl");
    ASSERT_EQ(decisions.size(), events.size());
    int failures = 0;
    for (const auto& line : decisions) {
        auto& queue = expected[parse_flat_json(line)["event"].text];
        ASSERT_FALSE(queue.empty()) << "a decision for no event left: " << line;
        std::string difference = reference_difference(line, queue.front());
        queue.pop_front();
        if (!difference.empty() && ++failures < 5) ADD_FAILURE() << difference;
    }
    EXPECT_EQ(failures, 0);
}

// Ctrl-C: the node stops feeding, decides what is in flight, and closes the journal and the
// audit log, so the log verifies without --allow-open-tail; `status` sees it run and stop.
TEST_F(RunE2e, SigintStopsCleanlyAndStatusSeesRunningThenStopped) {
    fs::path state = m_dir / "state";
    std::string estalogic_path = ESTALOGIC;
    std::string manifest = example();
    std::string state_text = state.string();
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        std::freopen("/dev/null", "w", stdout);
        std::freopen("/dev/null", "w", stderr);
        execl(estalogic_path.c_str(), estalogic_path.c_str(), "run", manifest.c_str(), "--generate",
              "50000000", "--state-dir", state_text.c_str(), "--http-port", "0", "--quiet",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    // Wait (bounded) until it has decided something.
    fs::path status_file = state / "data" / "status.json";
    bool deciding = false;
    for (int i = 0; i < 300 && !deciding; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::string text = read_text(status_file);  // Empty until the node wrote it.
        if (text.empty() || text.front() != '{') continue;
        JsonObject status = parse_flat_json(text);
        deciding = status.count("decisions") && status["decisions"].text != "0";
    }
    Outcome running = estalogic("status " + manifest + " --state-dir " + state_text);
    kill(child, SIGINT);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(deciding) << "the node decided nothing in 30 s";
    EXPECT_EQ(running.exit, 0) << running.out << running.err;
    EXPECT_NE(running.out.find("esta-accrual: running"), std::string::npos) << running.out;
    ASSERT_TRUE(WIFEXITED(wait_status));
    EXPECT_EQ(WEXITSTATUS(wait_status), 130);

    Outcome stopped = estalogic("status " + manifest + " --state-dir " + state_text);
    EXPECT_EQ(stopped.exit, 3) << stopped.out << stopped.err;
    EXPECT_NE(stopped.out.find("esta-accrual: stopped"), std::string::npos) << stopped.out;
    // Every event fed was decided before the stop.
    JsonObject status = parse_flat_json(read_text(status_file));
    EXPECT_EQ(status["events"].text, status["decisions"].text);
    EXPECT_EQ(read_lines(state / "data" / "decisions.jsonl").size(),
              std::stoull(status["decisions"].text));
    Outcome verified = estalogic("verify-log " + (state / "audit").string() + " --key " +
                                 (state / "data" / "node.key.pub").string());
    EXPECT_EQ(verified.exit, 0) << verified.out << verified.err;
}

TEST_F(RunE2e, A9_GoldenSampleThroughRunIsTheRecordedDecisions) {
    fs::path state = m_dir / "state";
    fs::path sample = fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "data" / "golden-sample.jsonl";
    Outcome run = estalogic("run " + example() + " --events " + sample.string() + " --state-dir " +
                            state.string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;
    std::string sha = summary_sha256(run.out);
    auto decided = read_lines(state / "data" / "decisions.jsonl");
    auto recorded =
        read_lines(fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "data" / "golden-sample.decisions.jsonl");
    ASSERT_EQ(decided.size(), recorded.size());
    const std::string stamp = ",\"module_sha256\":\"" + sha + "\"}";
    for (std::size_t i = 0; i < recorded.size(); ++i) {
        std::string expected = recorded[i].substr(0, recorded[i].size() - 1) + stamp;
        ASSERT_EQ(decided[i], expected) << "line " << i + 1;
    }
}

// V-2: the module's hash on every decision and every record it wrote, and its exact bytes
// kept under that hash.
TEST_F(RunE2e, V2_DecisionsAndRecordsNameTheModuleWhoseBytesAreKept) {
    fs::path state = m_dir / "state";
    fs::path sample = fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "data" / "golden-sample.jsonl";
    Outcome run = estalogic("run " + example() + " --events " + sample.string() + " --state-dir " +
                            state.string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;
    std::string sha = summary_sha256(run.out);
    ASSERT_EQ(sha.size(), 64u);
    auto decisions = read_lines(state / "data" / "decisions.jsonl");
    for (const auto& line : decisions)
        ASSERT_NE(line.find("\"module_sha256\":\"" + sha + "\""), std::string::npos) << line;
    std::string log;
    for (const auto& entry : fs::directory_iterator(state / "audit"))
        log += read_text(entry.path());
    std::size_t stamped = 0;
    for (auto at = log.find(sha); at != std::string::npos; at = log.find(sha, at + 1))
        ++stamped;
    EXPECT_GE(stamped, decisions.size()) << "every esta.decision record names the module";
    EXPECT_EQ(read_text(state / "data" / "modules" / (sha + ".wasm")),
              read_text(ESTA_ACCRUAL_MODULE));
}

TEST_F(RunE2e, V1_NewerManifestVersionIsRefusedWithTheVersionNeeded) {
    fs::path manifest = manifest_variant("manifest_version = 1", "manifest_version = 2");
    Outcome run = estalogic("run " + manifest.string() + " --generate 10");
    EXPECT_EQ(run.exit, 78) << run.err;
    EXPECT_EQ(count_lines_with(run.err, "error: "), 1u) << run.err;
    EXPECT_NE(run.err.find(manifest.string() + ":"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("manifest_version"), std::string::npos) << run.err;
}

TEST_F(RunE2e, BadConfigurationGetsOneMessageWithFileLineAndKey) {
    fs::path manifest = manifest_variant("priority = \"high\"", "priority = \"urgent\"");
    Outcome run = estalogic("run " + manifest.string() + " --generate 10");
    EXPECT_EQ(run.exit, 78) << run.err;
    EXPECT_EQ(count_lines_with(run.err, "error: "), 1u) << run.err;
    EXPECT_NE(run.err.find(manifest.string() + ":"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("processes.accrual.priority"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(m_dir / "var")) << "nothing may start on a bad manifest";
}

TEST_F(RunE2e, BadModuleGetsOneMessageAndNothingRuns) {
    fs::path manifest = manifest_variant("x", "x");
    std::ofstream(m_dir / "module" / "esta_accrual.wasm", std::ios::binary | std::ios::trunc)
        << "not a wasm module";
    Outcome run = estalogic("run " + manifest.string() + " --generate 10");
    EXPECT_EQ(run.exit, 65) << run.err;
    EXPECT_EQ(count_lines_with(run.err, "error: "), 1u) << run.err;
    EXPECT_NE(run.err.find("esta_accrual.wasm"), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find("decisions"), std::string::npos) << run.out;
}

TEST_F(RunE2e, K22_ModuleWhoseNeedsAreNotGrantedIsRefusedNamingTheNeed) {
    // Without the key-value grant the module's declared need "state" is unmet.
    fs::path manifest =
        manifest_variant("[processes.accrual.grants.state]\nkv = \"esta/accrual/\"",
                         "[processes.accrual.grants.store]\nkv = \"esta/accrual/\"");
    Outcome run = estalogic("run " + manifest.string() + " --generate 10");
    EXPECT_EQ(run.exit, 65) << run.err;
    EXPECT_EQ(count_lines_with(run.err, "error: "), 1u) << run.err;
    EXPECT_NE(run.err.find("state"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("processes.accrual"), std::string::npos) << run.err;
}

TEST_F(RunE2e, MissingEventsFileAndMissingSourceAreUsageErrors) {
    Outcome none = estalogic("run " + example());
    EXPECT_EQ(none.exit, 64) << none.err;
    EXPECT_NE(none.err.find("--generate"), std::string::npos) << none.err;
    Outcome missing = estalogic("run " + example() + " --events " + (m_dir / "nope").string());
    EXPECT_EQ(missing.exit, 66) << missing.err;
}

}  // namespace
}  // namespace esta::test
