// A live upgrade changes which module a node runs while other threads read it (the summary,
// a SIGHUP reload, the admin endpoint): module_hashes() hands out copies taken under the
// lock the upgrade writes under, so a reader sees the old hash or the new one, whole. A
// process other processes send to (an endpoint grant), or that consumes a topic, is upgraded
// under load too: what the others send, and the topic's records, reach the new version from
// the switch on, nothing is lost or handled twice, and each line names the module that made
// it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/run/node.h"
#include "app/run/node_test_support.h"
#include "app/run/node_upgrade.h"
#include "app/run/role_machine.h"
#include "drivers/contract.h"
#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/value.h"
#include "kernel/persistence/replay.h"
#include "kernel/runtime/guest_test.h"
#include "observe/crypto.h"
#include "observe/json.h"
#include "protocol/protocol.h"

namespace esta::app::run {
namespace {

constexpr const char* kManifest = R"([app]
manifest_version = 1
name = "upgrade-race"
mode = "development"

[modules.echo]
path = "echo.wasm"

[processes.echo]
module = "echo"

[processes.echo.grants.out]
sink = "out"

[supervisors.root]
strategy = "one-for-one"
children = ["echo"]

[drivers]
data_dir = "data"
)";

class NodeUpgradeRace : public kernel::testing::GuestTest {};

TEST_F(NodeUpgradeRace, V2_ModuleHashesReadWhileALiveUpgradeSwapsThem) {
    std::vector<u8> first = m_compiler.build_bytes("echo_v1", testing::echo_source("1.0.0"));
    std::vector<u8> second = m_compiler.build_bytes("echo_v2", testing::echo_source("2.0.0"));
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(first.empty()) << m_compiler.log();
    ASSERT_FALSE(second.empty()) << m_compiler.log();
    const std::string first_sha = observe::to_hex(observe::sha256(first));
    const std::string second_sha = observe::to_hex(observe::sha256(second));

    testing::NodeFolder folder("esta_upgrade_race");
    folder.write("echo.wasm", first);
    std::unique_ptr<Node> node = folder.start(kManifest);
    ASSERT_TRUE(node);
    ASSERT_EQ(node->module_hashes().at("echo"), first_sha);

    // One thread reads as fast as it can; the other upgrades back and forth, deciding an
    // event between upgrades.
    std::atomic<bool> done{false};
    std::set<std::string> seen;
    std::atomic<u64> reads{0};
    std::thread reader([&] {
        while (!done.load()) {
            auto hashes = node->module_hashes();
            if (hashes.size() == 1) seen.insert(hashes.begin()->second);
            reads.fetch_add(1);
        }
    });
    constexpr int kUpgrades = 6;
    int upgrades = 0;
    for (; upgrades < kUpgrades; ++upgrades) {
        Diagnostics said;
        const std::vector<u8>& next = upgrades % 2 == 0 ? second : first;
        auto upgraded = node->upgrades().upgrade(UpgradeRequest{"echo", next, "", "test"}, said);
        if (!upgraded) {
            ADD_FAILURE() << to_string(said);
            break;
        }
        // The reader reads the new hash at least once before the next swap.
        for (u64 from = reads.load(); reads.load() < from + 2;)
            std::this_thread::yield();
        std::string line = R"({"v":1,"id":"e)" + std::to_string(upgrades) + R"("})";
        auto decided = node->call("echo", 0x0010, line, 30'000);
        if (!decided) {
            ADD_FAILURE() << decided.error().to_string();
            break;
        }
    }
    done = true;
    reader.join();

    ASSERT_EQ(upgrades, kUpgrades);
    EXPECT_EQ(seen, (std::set<std::string>{first_sha, second_sha}));
    EXPECT_EQ(node->module_hashes().at("echo"), first_sha);  // An even number of swaps.
    EXPECT_TRUE(node->stop());
}

// Front sends every event on to back, which writes it to its sink.
constexpr const char* kPipeline = R"([app]
manifest_version = 1
name = "upgrade-pipeline"
mode = "development"

[modules.front]
path = "front.wasm"

[modules.back]
path = "back.wasm"

[processes.front]
module = "front"

[processes.front.grants.out]
endpoint = "back"

[processes.back]
module = "back"

[processes.back.grants.out]
sink = "out"

[supervisors.root]
strategy = "one-for-one"
children = ["front", "back"]

[drivers]
data_dir = "data"
)";

// The relay produces to a topic the reader consumes.
constexpr const char* kConsuming = R"toml([app]
manifest_version = 1
name = "upgrade-consumer"
mode = "development"

[modules.relay]
path = "relay.wasm"

[modules.back]
path = "back.wasm"

[topics.events]
partitions = 2

[processes.relay]
module = "relay"

[processes.relay.grants.sink]
sink = "answers"

[processes.relay.grants.events]
topic = "events"
produce = true

[processes.reader]
module = "back"

[processes.reader.grants.out]
sink = "seen"

[processes.reader.grants.feed]
topic = "events"
consume = true

[supervisors.root]
strategy = "one-for-one"
children = ["relay", "reader"]

[drivers]
data_dir = "data"
)toml";

// Writes {"by":"VERSION","hex":"<the message's payload in hex>"} to its sink "out".
std::string tagger_source(const std::string& version) {
    return testing::manifest_section("back", version + ".0.0") + R"(
static char event[512];
static char line[1100];
static const char digits[] = "0123456789abcdef";
__attribute__((export_name("estalogic_handle"))) esta_i32 estalogic_handle(void) {
    esta_info info;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, event, sizeof event, &info);
    if (n < 0) return n;
    if (info.type == ESTA_MSG_SYSTEM_SHUTDOWN) return 0;
    const char* head = "{\"by\":\")" +
           version + R"(\",\"hex\":\"";
    esta_u32 at = 0;
    for (const char* c = head; *c; ++c) line[at++] = *c;
    for (esta_i32 i = 0; i < n; ++i) {
        line[at++] = digits[((unsigned char)event[i]) >> 4];
        line[at++] = digits[((unsigned char)event[i]) & 15];
    }
    line[at++] = '"';
    line[at++] = '}';
    esta_handle out = esta_cap_lookup("out", 3);
    if (out < 0) return out;
    esta_i64 sent = esta_send(out, 0x20, line, at, 0, 0, 0);
    return sent < 0 ? (esta_i32)sent : 0;
}
)";
}

std::string field(const std::string& line, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    auto at = line.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return line.substr(at, line.find('"', at) - at);
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// Every line's payload once; each made by the version it says, under that version's hash.
// Returns the lines by version ("1", "2").
std::map<std::string, std::vector<std::string>> by_version(
    const std::vector<std::string>& lines, const std::map<std::string, std::string>& sha_of) {
    std::map<std::string, std::vector<std::string>> seen;
    std::set<std::string> payloads;
    for (const auto& line : lines) {
        const std::string version = field(line, "by");
        EXPECT_TRUE(sha_of.contains(version)) << line;
        if (!sha_of.contains(version)) continue;
        EXPECT_EQ(field(line, "module_sha256"), sha_of.at(version)) << line;
        EXPECT_TRUE(payloads.insert(field(line, "hex")).second) << "twice: " << line;
        seen[version].push_back(field(line, "hex"));
    }
    return seen;
}

std::string hex_text(const std::string& text) {
    return observe::to_hex(ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size()));
}

class NodeUpgradeLive : public kernel::testing::GuestTest {
  protected:
    void build_versions() {
        m_first = m_compiler.build_bytes("tagger_v1", tagger_source("1"));
        m_second = m_compiler.build_bytes("tagger_v2", tagger_source("2"));
        ASSERT_FALSE(m_first.empty()) << m_compiler.log();
        ASSERT_FALSE(m_second.empty()) << m_compiler.log();
        m_sha_of = {{"1", observe::to_hex(observe::sha256(m_first))},
                    {"2", observe::to_hex(observe::sha256(m_second))}};
    }
    Result<UpgradeOutcome> upgrade(Node& node) {
        Diagnostics said;
        auto done = node.upgrades().upgrade(UpgradeRequest{"back", m_second, "", "test"}, said);
        EXPECT_TRUE(done) << to_string(said);
        return done;
    }
    static bool wait_for_decisions(Node& node, u64 count) {
        for (int i = 0; i < 6000 && node.stats(false).decisions < count; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return node.stats(false).decisions >= count;
    }

    std::vector<u8> m_first;
    std::vector<u8> m_second;
    std::map<std::string, std::string> m_sha_of;
};

TEST_F(NodeUpgradeLive, V2_AProcessOthersSendToIsUpgradedUnderLoadLosingAndDuplicatingNothing) {
    std::vector<u8> front = m_compiler.build_bytes("front", testing::echo_source("1.0.0"));
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(front.empty()) << m_compiler.log();
    ASSERT_NO_FATAL_FAILURE(build_versions());
    testing::NodeFolder folder("esta_upgrade_pipeline");
    folder.write("front.wasm", front);
    folder.write("back.wasm", m_first);
    std::unique_ptr<Node> node = folder.start(kPipeline);
    ASSERT_TRUE(node);

    // One thread streams events into front while back is upgraded; then more follow.
    constexpr int kStreamed = 300;
    constexpr int kAfter = 20;
    auto event = [](int i) { return R"({"v":1,"id":"e)" + std::to_string(i) + R"("})"; };
    std::thread feeder([&] {
        for (int i = 0; i < kStreamed; ++i)
            if (!node->submit(event(i), nullptr)) ADD_FAILURE() << "event " << i << " refused";
    });
    ASSERT_TRUE(wait_for_decisions(*node, 40));
    auto upgraded = upgrade(*node);
    feeder.join();
    ASSERT_TRUE(upgraded);
    for (int i = kStreamed; i < kStreamed + kAfter; ++i)
        ASSERT_TRUE(node->submit(event(i), nullptr));
    ASSERT_TRUE(node->settle(60'000));
    EXPECT_EQ(node->module_hashes().at("back"), m_sha_of.at("2"));
    ASSERT_TRUE(node->stop());

    auto lines = lines_of(folder.dir() / "state" / "data" / "out.jsonl");
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(kStreamed + kAfter));
    auto seen = by_version(lines, m_sha_of);
    EXPECT_GE(seen["1"].size(), 40u);
    EXPECT_GE(seen["2"].size(), static_cast<std::size_t>(kAfter));
    // What front sent after the upgrade returned went to the new version.
    const std::set<std::string> by_new(seen["2"].begin(), seen["2"].end());
    for (int i = kStreamed; i < kStreamed + kAfter; ++i)
        EXPECT_TRUE(by_new.contains(hex_text(event(i)))) << event(i);

    // The journal that spans the upgrade replays: each process with the module it ran.
    protocol::PosixFileSystem files;
    protocol::SystemClock clock;
    auto journal = protocol::Journal::open(
        files, (folder.dir() / "state" / "data" / "journal").string(), clock);
    ASSERT_TRUE(journal);
    auto processes = kernel::list_journaled_processes(**journal);
    ASSERT_TRUE(processes);
    std::map<std::string, std::vector<u8>> module_by_sha = {
        {m_sha_of.at("1"), m_first},
        {m_sha_of.at("2"), m_second},
        {observe::to_hex(observe::sha256(front)), front}};
    int replayed_back = 0;
    for (const auto& process : *processes) {
        auto module = module_by_sha.find(kernel::digest_hex(process.module_sha256));
        ASSERT_NE(module, module_by_sha.end()) << process.name;
        auto report = kernel::replay_process(
            **journal, process.pid, ByteSpan(module->second.data(), module->second.size()));
        ASSERT_TRUE(report) << report.error().to_string();
        EXPECT_TRUE(report->identical()) << process.name << ": " << report->difference->what;
        if (process.name == "back") ++replayed_back;
    }
    EXPECT_EQ(replayed_back, 2);  // The old version and the new one.
}

TEST_F(NodeUpgradeLive, V2_AConsumingTopicGrantMovesToTheNewVersionAtTheSwitch) {
    std::vector<u8> relay = m_compiler.build_bytes(
        "relay", testing::manifest_section("relay", "1.0.0") + drivers::testing::kRelayGuest);
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(relay.empty()) << m_compiler.log();
    ASSERT_NO_FATAL_FAILURE(build_versions());
    testing::NodeFolder folder("esta_upgrade_consumer");
    folder.write("relay.wasm", relay);
    folder.write("back.wasm", m_first);
    std::unique_ptr<Node> node = folder.start(kConsuming);
    ASSERT_TRUE(node);

    auto produce = [&](int i) {
        const std::string value = "record-" + std::to_string(i);
        auto produced = testing::relay_call(
            *node, "events", drivers::topic_op::kProduce,
            drivers::ValueList{drivers::Value(drivers::ByteString{static_cast<u8>('a' + i % 7)}),
                               drivers::Value(drivers::ByteString(value.begin(), value.end()))});
        EXPECT_TRUE(produced) << produced.error().to_string();
    };
    // Records are produced while the reader is upgraded; then more follow.
    constexpr int kStreamed = 120;
    constexpr int kAfter = 10;
    std::thread producer([&] {
        for (int i = 0; i < kStreamed; ++i)
            produce(i);
    });
    // Each record is two lines: the relay's answer and the reader's.
    ASSERT_TRUE(wait_for_decisions(*node, 40));
    auto upgraded = upgrade(*node);
    producer.join();
    ASSERT_TRUE(upgraded);
    for (int i = kStreamed; i < kStreamed + kAfter; ++i)
        produce(i);
    const u64 expected = 2 * static_cast<u64>(kStreamed + kAfter);
    EXPECT_TRUE(wait_for_decisions(*node, expected)) << node->stats(false).decisions;
    ASSERT_TRUE(node->stop());

    auto lines = lines_of(folder.dir() / "state" / "data" / "seen.jsonl");
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(kStreamed + kAfter));
    auto seen = by_version(lines, m_sha_of);
    EXPECT_GE(seen["1"].size(), 1u);
    EXPECT_GE(seen["2"].size(), static_cast<std::size_t>(kAfter));
    // Every record reached the reader once, the last ones the new version.
    std::size_t found_after = 0;
    for (int i = kStreamed; i < kStreamed + kAfter; ++i) {
        const std::string value = hex_text("record-" + std::to_string(i));
        for (const auto& payload : seen["2"])
            if (payload.find(value) != std::string::npos) ++found_after;
    }
    EXPECT_EQ(found_after, static_cast<std::size_t>(kAfter));
}

// K-61: a standby re-executing an entry its primary admitted while running other modules (a
// pair upgraded one node at a time) flags it, audited once, instead of counting the
// difference of the lines' module_sha256 as a divergence. Its own entries and entries
// stamped with what it runs now are not flagged, and neither are entries without a stamp.
TEST_F(NodeUpgradeRace, V2_K61_AnEntryAdmittedByOtherModulesIsFlaggedNotCountedADivergence) {
    std::vector<u8> first = m_compiler.build_bytes("echo_v1", testing::echo_source("1.0.0"));
    std::vector<u8> second = m_compiler.build_bytes("echo_v2", testing::echo_source("2.0.0"));
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(first.empty()) << m_compiler.log();
    ASSERT_FALSE(second.empty()) << m_compiler.log();
    const std::string second_sha = observe::to_hex(observe::sha256(second));
    testing::NodeFolder folder("esta_upgrade_pair");
    folder.write("echo.wasm", first);
    std::unique_ptr<Node> node = folder.start(kManifest);
    ASSERT_TRUE(node);
    RoleMachine machine(*node, 30'000, 64);
    u64 sequence = 0;
    auto apply = [&](protocol::JournalRecord record) {
        record.sequence = ++sequence;
        auto applied = machine.apply(record);
        EXPECT_TRUE(applied) << applied.error().to_string();
        return machine.made_by_other_modules(sequence);
    };
    auto event = [](const std::string& id) {
        return RoleEvent{"echo", 0x0010, R"({"v":1,"id":")" + id + R"("})", std::nullopt};
    };
    const std::string upgraded = modules_fingerprint({{"echo", second_sha}});

    EXPECT_FALSE(apply(machine.encode(event("own"))));
    protocol::JournalRecord own_before = machine.encode(event("own-before"));
    EXPECT_TRUE(apply(encode_event(event("theirs-1"), upgraded)));
    EXPECT_TRUE(apply(encode_event(event("theirs-2"), upgraded)));
    EXPECT_FALSE(apply(encode_event(event("unstamped"))));
    Diagnostics said;
    ASSERT_TRUE(node->upgrades().upgrade(UpgradeRequest{"echo", second, "", "test"}, said))
        << to_string(said);
    EXPECT_FALSE(apply(encode_event(event("theirs-3"), upgraded)));
    EXPECT_FALSE(apply(std::move(own_before)));

    // The stamp travels with a consumed record's position.
    RoleEvent consumed = event("consumed");
    consumed.from = RecordPosition{"events", 1, 9};
    std::string stamp;
    auto decoded = decode_event(encode_event(consumed, upgraded), &stamp);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(stamp, upgraded);
    ASSERT_TRUE(decoded->from.has_value());
    EXPECT_EQ(decoded->from->offset, 9);
    EXPECT_EQ(decoded->line, consumed.line);
    ASSERT_TRUE(node->stop());

    const std::string audit = testing::audit_text(folder.dir() / "state");
    std::size_t flagged = 0;
    for (auto at = audit.find("replication.module_mismatch"); at != std::string::npos;
         at = audit.find("replication.module_mismatch", at + 1))
        ++flagged;
    EXPECT_EQ(flagged, 1u);
}

}  // namespace
}  // namespace esta::app::run
