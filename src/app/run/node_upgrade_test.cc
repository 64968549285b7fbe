// A live upgrade changes which module a node runs while other threads read it (the summary,
// a SIGHUP reload, the admin endpoint): module_hashes() hands out copies taken under the
// lock the upgrade writes under, so a reader sees the old hash or the new one, whole.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/run/node.h"
#include "app/run/node_test_support.h"
#include "app/run/node_upgrade.h"
#include "kernel/runtime/guest_test.h"
#include "observe/crypto.h"
#include "observe/json.h"

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

}  // namespace
}  // namespace esta::app::run
