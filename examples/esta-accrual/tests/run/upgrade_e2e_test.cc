// Live upgrade (docs/OPERATIONS.md "Upgrade"): `estalogic upgrade` loads a second version of
// the accrual module into a node that is deciding a stream of events. Nothing is lost or
// decided twice, every decision names the module that made it, the new version's ruleset
// amendment governs only the dates from its effective date, and a refused upgrade (bad hash,
// a need not granted, a trapping migration) leaves the node on the old version.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "journal_edit.h"
#include "run_harness.h"
#include "workload.h"

namespace esta::test {
namespace {

// The field the node adds to each decision line, and the line without it.
std::string module_of(const std::string& line) {
    auto at = line.find("\"module_sha256\":\"");
    return at == std::string::npos ? "" : line.substr(at + 17, 64);
}
std::string without_module(std::string line) {
    auto at = line.find(",\"module_sha256\":\"");
    if (at != std::string::npos) line.erase(at, 18 + 64 + 1);
    return line;
}

// Where the lines' module changes, when it changes once (the first version's lines, then
// the second's); 0 otherwise.
std::size_t switch_point(const std::vector<std::string>& lines) {
    std::size_t changes = 0;
    std::size_t at = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (module_of(lines[i]) == module_of(lines[i - 1])) continue;
        ++changes;
        at = i;
    }
    return changes == 1 ? at : 0;
}

std::vector<std::string> workload_lines(int64_t events) {
    workload::Options options;
    options.seed = 7;
    options.events = events;
    options.employers = 20;
    std::vector<std::string> lines;
    workload::generate(options, [&](std::string_view line) { lines.emplace_back(line); });
    return lines;
}

// Two headcounts on and after the test amendment's effective date (2030-01-01).
const std::vector<std::string> kAmendmentEvents = {
    R"({"v":1,"id":"up-2029","type":"headcount","employer":"ER-UPGRADE","date":"2029-12-31","headcount":25,"first_employee":"2001-01-01"})",
    R"({"v":1,"id":"up-2030","type":"headcount","employer":"ER-UPGRADE","date":"2030-01-01","headcount":25,"first_employee":"2001-01-01"})",
};

std::string variant(int n) {
    return std::string(ESTA_ACCRUAL_MODULE_DIR) + "/esta_accrual_v" + std::to_string(n) + ".wasm";
}

// `estalogic run` reading its events from a FIFO, so the test streams them while it upgrades.
class StreamingNode {
  public:
    StreamingNode(const std::string& manifest, const fs::path& dir) : m_state(dir / "state") {
        fs::path fifo = dir / "events.fifo";
        EXPECT_EQ(mkfifo(fifo.c_str(), 0600), 0);
        std::string estalogic = ESTALOGIC;
        std::string out = (dir / "run.out").string();
        std::string err = (dir / "run.err").string();
        std::string state = m_state.string();
        m_pid = fork();
        if (m_pid == 0) {
            std::freopen(out.c_str(), "w", stdout);
            std::freopen(err.c_str(), "w", stderr);
            execl(estalogic.c_str(), estalogic.c_str(), "run", manifest.c_str(), "--events",
                  fifo.c_str(), "--state-dir", state.c_str(), "--http-port", "0", "--ingress-port",
                  "0", "--quiet", static_cast<char*>(nullptr));
            _exit(127);
        }
        m_fd = open(fifo.c_str(), O_WRONLY);  // Until the node opens it.
        // Serving: its status file names the admin endpoint and the token is written.
        for (int i = 0; i < 400 && !ready(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ~StreamingNode() {
        if (m_fd >= 0) close(m_fd);
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }

    bool ready() const {
        return read_text(m_state / "data" / "status.json").find("\"http\":\"http") !=
                   std::string::npos &&
               fs::exists(m_state / "data" / "admin.token");
    }
    // Waits until the node has decided `count` events (its live GET /v1/status).
    bool decided(std::uint64_t count) const {
        std::string status = read_text(m_state / "data" / "status.json");
        auto at = status.find("\"http\":\"");
        if (at == std::string::npos) return false;
        std::string url = status.substr(at + 8, status.find('"', at + 8) - at - 8);
        std::string out = (m_state.parent_path() / "status.out").string();
        for (int i = 0; i < 400; ++i) {
            std::string command = std::string(ESTALOGIC) + " status --json --url " + url + " >" +
                                  out + " 2>/dev/null";
            if (std::system(command.c_str()) == 0) {
                std::string live = read_text(out);
                auto field = live.find("\"decisions\":");
                if (field != std::string::npos && std::stoull(live.substr(field + 12)) >= count)
                    return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return false;
    }
    void write(const std::vector<std::string>& lines, std::size_t from, std::size_t to) {
        std::string text;
        for (std::size_t i = from; i < to; ++i)
            text += lines[i] + "\n";
        for (std::size_t done = 0; done < text.size();) {
            ssize_t n = ::write(m_fd, text.data() + done, text.size() - done);
            ASSERT_GT(n, 0);
            done += static_cast<std::size_t>(n);
        }
    }
    // No more events: the node decides what it has, closes its files and exits.
    int finish() {
        close(m_fd);
        m_fd = -1;
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    fs::path state() const { return m_state; }
    pid_t pid() const { return m_pid; }
    std::vector<std::string> decisions() const {
        return read_lines(m_state / "data" / "decisions.jsonl");
    }

  private:
    fs::path m_state;
    pid_t m_pid = -1;
    int m_fd = -1;
};

class UpgradeE2e : public RunE2e {
  protected:
    // The same events decided by one version from start to end (no upgrade).
    std::vector<std::string> decided_by(const std::string& module, const std::string& name,
                                        const std::vector<std::string>& events) {
        fs::path events_file = m_dir / (name + ".jsonl");
        std::string text;
        for (const auto& line : events)
            text += line + "\n";
        write(name + ".jsonl", text);
        std::string manifest = example();
        if (!module.empty()) {
            fs::path folder = m_dir / name;
            fs::create_directories(folder / "module");
            fs::copy_file(module, folder / "module" / "esta_accrual.wasm");
            std::string toml = read_text(example());
            manifest = (folder / "app.toml").string();
            std::ofstream(manifest) << toml;
        }
        Outcome run =
            estalogic("run " + manifest + " --events " + events_file.string() + " --state-dir " +
                      (m_dir / (name + "-state")).string() + " --no-http --quiet");
        EXPECT_EQ(run.exit, 0) << run.err;
        return read_lines(m_dir / (name + "-state") / "data" / "decisions.jsonl");
    }

    Outcome upgrade(const StreamingNode& node, const std::string& module,
                    const std::string& extra = "") {
        return estalogic("upgrade " + node.state().string() + " accrual " + module + " " + extra);
    }
};

TEST_F(UpgradeE2e, V2_LiveUpgradeUnderLoadLosesAndDuplicatesNothing) {
    std::vector<std::string> events = workload_lines(6000);
    events.insert(events.end(), kAmendmentEvents.begin(), kAmendmentEvents.end());
    const std::vector<std::string> reference = decided_by("", "reference", events);
    ASSERT_EQ(reference.size(), events.size());

    StreamingNode node(example(), m_dir);
    ASSERT_TRUE(node.ready()) << read_text(m_dir / "run.err");
    node.write(events, 0, 3000);
    ASSERT_TRUE(node.decided(1000));
    // Events keep streaming while the upgrade runs; the last ones only after it is done,
    // so both versions decide some.
    std::thread streaming([&] { node.write(events, 3000, 5000); });
    Outcome upgraded = upgrade(node, variant(1));
    streaming.join();
    node.write(events, 5000, events.size());
    EXPECT_EQ(upgraded.exit, 0) << upgraded.err;
    EXPECT_NE(upgraded.out.find("upgraded accrual"), std::string::npos) << upgraded.out;
    EXPECT_NE(upgraded.out.find("estalogic_migrate ran"), std::string::npos) << upgraded.out;
    ASSERT_EQ(node.finish(), 0) << read_text(m_dir / "run.err");

    // Every event decided once, in order, exactly as one version alone decides it.
    std::vector<std::string> live = node.decisions();
    ASSERT_EQ(live.size(), events.size());
    const std::string old_module = module_of(live.front());
    const std::string new_module = module_of(live.back());
    ASSERT_EQ(old_module.size(), 64u);
    ASSERT_EQ(new_module.size(), 64u);
    EXPECT_NE(old_module, new_module);
    EXPECT_EQ(module_of(reference.front()), old_module);
    for (std::size_t i = 0; i + kAmendmentEvents.size() < live.size(); ++i) {
        EXPECT_EQ(without_module(live[i]), without_module(reference[i])) << "line " << i;
    }
    std::size_t switched = switch_point(live);
    EXPECT_GT(switched, 0u);
    EXPECT_LE(switched, 5000u);
    // The amendment governs from its date only.
    EXPECT_NE(live[live.size() - 2].find("MI-ESTA-2025.1/"), std::string::npos);
    EXPECT_NE(live.back().find("MI-ESTA-2030.test/"), std::string::npos) << live.back();
    EXPECT_NE(reference.back().find("MI-ESTA-2025.1/"), std::string::npos);

    // Audited, with the migration's own record; the log still verifies.
    std::string audit;
    for (const auto& entry : fs::recursive_directory_iterator(node.state() / "audit"))
        if (entry.is_regular_file()) audit += read_text(entry.path());
    EXPECT_NE(audit.find("module.upgrade"), std::string::npos);
    EXPECT_NE(audit.find("esta.migrate"), std::string::npos);
    Outcome verified = estalogic("verify-log " + (node.state() / "audit").string());
    EXPECT_EQ(verified.exit, 0) << verified.out << verified.err;
    // The new version is kept in the module store (V-2).
    EXPECT_TRUE(fs::exists(node.state() / "data" / "modules" / (new_module + ".wasm")));
}

// V-2, T-1: `estalogic replay` proves a run that spans a live upgrade: each process with the
// module its journal names (the old version's pids, then the new version's), every output
// identical; one edited decision after the upgrade is the first difference.
TEST_F(UpgradeE2e, V2_T1_ReplayOfAJournalSpanningAnUpgradeProvesEveryDecision) {
    std::vector<std::string> events = workload_lines(1200);
    StreamingNode node(example(), m_dir);
    ASSERT_TRUE(node.ready()) << read_text(m_dir / "run.err");
    node.write(events, 0, 600);
    ASSERT_TRUE(node.decided(600));
    Outcome upgraded = upgrade(node, variant(1));
    ASSERT_EQ(upgraded.exit, 0) << upgraded.err;
    node.write(events, 600, events.size());
    ASSERT_EQ(node.finish(), 0) << read_text(m_dir / "run.err");
    const std::vector<std::string> decisions = node.decisions();
    ASSERT_EQ(decisions.size(), events.size());
    ASSERT_EQ(switch_point(decisions), 600u);
    const std::string old_module = module_of(decisions.front());
    const std::string new_module = module_of(decisions.back());

    Outcome replay = estalogic("replay " + node.state().string());
    ASSERT_EQ(replay.exit, 0) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("module " + old_module), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("module " + new_module), std::string::npos) << replay.out;
    EXPECT_NE(replay.out.find("outputs identical"), std::string::npos) << replay.out;

    // A decision the new version made (its event's id unique in the run), edited.
    std::map<std::string, int> seen;
    for (const auto& decision : decisions)
        ++seen[decision_event(decision)];
    std::size_t index = 900;
    while (index < decisions.size() && seen[decision_event(decisions[index])] != 1)
        ++index;
    ASSERT_LT(index, decisions.size());
    const std::string needle = "\"id\":\"" + decision_event(decisions[index]) + "\"";
    ASSERT_TRUE(rewrite_record(node.state() / "data" / "journal", needle, "esta.decision",
                               needle.size() - 2, 'Z'))
        << needle;
    Outcome edited = estalogic("replay " + node.state().string());
    EXPECT_EQ(edited.exit, 1) << edited.out << edited.err;
    // The old version's process still proves identical; the new one's differs.
    const auto old_at = edited.out.find("module " + old_module);
    const auto new_at = edited.out.rfind("module " + new_module);
    ASSERT_NE(old_at, std::string::npos) << edited.out;
    ASSERT_NE(new_at, std::string::npos) << edited.out;
    EXPECT_LT(edited.out.find("OK: every output is identical", old_at), new_at) << edited.out;
    EXPECT_NE(edited.out.find("DIFFERENT at life 0", new_at), std::string::npos) << edited.out;
}

TEST_F(UpgradeE2e, V2_RefusedUpgradeLeavesTheOldVersionRunning) {
    std::vector<std::string> events = workload_lines(800);
    StreamingNode node(example(), m_dir);
    ASSERT_TRUE(node.ready()) << read_text(m_dir / "run.err");
    node.write(events, 0, 400);

    Outcome bad_hash = upgrade(node, variant(1), "--sha256 " + std::string(64, '0'));
    EXPECT_EQ(bad_hash.exit, 1);
    EXPECT_NE(bad_hash.err.find("not the expected " + std::string(64, '0')), std::string::npos)
        << bad_hash.err;
    Outcome missing_grant = upgrade(node, variant(3));
    EXPECT_EQ(missing_grant.exit, 1);
    EXPECT_NE(missing_grant.err.find("ledger"), std::string::npos) << missing_grant.err;
    Outcome trapped = upgrade(node, variant(2));
    EXPECT_EQ(trapped.exit, 1);
    EXPECT_NE(trapped.err.find("estalogic_migrate ended the process"), std::string::npos)
        << trapped.err;
    EXPECT_NE(trapped.err.find("keeps the running version of accrual"), std::string::npos);
    Outcome no_module = upgrade(node, m_dir / "none.wasm");
    EXPECT_EQ(no_module.exit, 66) << no_module.err;

    node.write(events, 400, events.size());
    ASSERT_EQ(node.finish(), 0) << read_text(m_dir / "run.err");
    std::vector<std::string> decisions = node.decisions();
    ASSERT_EQ(decisions.size(), events.size());
    const std::string old_module = module_of(decisions.front());
    for (const auto& line : decisions) {
        EXPECT_EQ(module_of(line), old_module);
    }
    std::string audit;
    for (const auto& entry : fs::recursive_directory_iterator(node.state() / "audit"))
        if (entry.is_regular_file()) audit += read_text(entry.path());
    std::size_t refusals = 0;
    for (auto at = audit.find("module.upgrade_refused"); at != std::string::npos;
         at = audit.find("module.upgrade_refused", at + 1))
        ++refusals;
    EXPECT_EQ(refusals, 3u);
}

TEST_F(UpgradeE2e, V2_SighupUpgradesAModuleWhoseFileChanged) {
    std::vector<std::string> events = workload_lines(600);
    fs::path manifest = manifest_variant("[app]", "[app]");  // Beside its own module copy.
    StreamingNode node(manifest.string(), m_dir);
    ASSERT_TRUE(node.ready()) << read_text(m_dir / "run.err");
    node.write(events, 0, 300);
    ASSERT_TRUE(node.decided(300));
    fs::copy_file(variant(1), m_dir / "module" / "esta_accrual.wasm",
                  fs::copy_options::overwrite_existing);
    kill(node.pid(), SIGHUP);
    bool reloaded = false;
    for (int i = 0; i < 400 && !reloaded; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        reloaded = read_text(m_dir / "run.err").find("reload: module accrual upgraded") !=
                   std::string::npos;
    }
    EXPECT_TRUE(reloaded) << read_text(m_dir / "run.err");
    node.write(events, 300, events.size());
    ASSERT_EQ(node.finish(), 0) << read_text(m_dir / "run.err");
    std::vector<std::string> decisions = node.decisions();
    ASSERT_EQ(decisions.size(), events.size());
    EXPECT_NE(module_of(decisions.front()), module_of(decisions.back()));
    EXPECT_EQ(switch_point(decisions), 300u);
}

TEST_F(UpgradeE2e, A2_RulesetAmendmentDecidesOnlyFromItsEffectiveDate) {
    std::vector<std::string> events = workload_lines(1500);
    events.insert(events.end(), kAmendmentEvents.begin(), kAmendmentEvents.end());
    std::vector<std::string> first = decided_by("", "first", events);
    std::vector<std::string> second = decided_by(variant(1), "second", events);
    ASSERT_EQ(first.size(), events.size());
    ASSERT_EQ(second.size(), events.size());
    // Every business date before 2030-01-01 is decided as before.
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        EXPECT_EQ(without_module(first[i]), without_module(second[i])) << "line " << i;
    }
    EXPECT_NE(module_of(first.back()), module_of(second.back()));
    EXPECT_NE(first.back().find("\"rule\":\"MI-ESTA-2025.1/"), std::string::npos) << first.back();
    EXPECT_NE(second.back().find("\"rule\":\"MI-ESTA-2030.test/"), std::string::npos)
        << second.back();
}

}  // namespace
}  // namespace esta::test
