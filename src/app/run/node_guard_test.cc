// The kernel's guardrails in a running node (REQUIREMENTS K-40, K-50): the driver behind a
// grant failing is a fault of its region, five quarantine it, and /metrics, the status
// document and the audit log say so; every event the decision process handles is accounted
// as a rule decision.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "app/run/node.h"
#include "app/run/node_observe.h"
#include "app/run/node_test_support.h"
#include "drivers/contract.h"
#include "drivers/kv_driver.h"
#include "kernel/runtime/guest_test.h"

// Apart from the class NodeGuard: the fixture's name is the test's.
namespace esta::app::run::guard_test {
namespace {

using drivers::Value;
using drivers::ValueList;

constexpr const char* kRelayManifest = R"toml([app]
manifest_version = 1
name = "guarded"
mode = "development"

[modules.relay]
path = "relay.wasm"

[processes.relay]
module = "relay"

[processes.relay.grants.sink]
sink = "answers"

[processes.relay.grants.kv]
kv = "app/"
rights = "read-write"

[supervisors.root]
strategy = "one-for-one"
children = ["relay"]

[drivers]
data_dir = "data"
)toml";

// The decision process is not supervised: its region is its name all the same.
constexpr const char* kEchoManifest = R"toml([app]
manifest_version = 1
name = "decisions"
mode = "development"

[modules.echo]
path = "echo.wasm"

[processes.accrual]
module = "echo"

[processes.accrual.grants.out]
sink = "out"

[drivers]
data_dir = "data"
)toml";

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether /metrics shows `line` within 30 s (the drain thread serves the guard every ~10 ms).
bool metrics_show(Node& node, const std::string& line) {
    for (int i = 0; i < 3000; ++i) {
        if (node.observability().metrics_text().find(line) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

using NodeGuard = kernel::testing::GuestTest;

TEST_F(NodeGuard, K40_ADriverFailingFiveTimesIsQuarantinedInTheRunningNode) {
    std::vector<u8> relay = m_compiler.build_bytes(
        "relay", testing::manifest_section("relay", "1.0.0") + drivers::testing::kRelayGuest);
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(relay.empty()) << m_compiler.log();
    testing::NodeFolder folder("esta_node_guard_k40");
    folder.write("relay.wasm", relay);
    std::unique_ptr<Node> node = folder.start(kRelayManifest);
    ASSERT_TRUE(node);
    auto get = [&] {
        return testing::relay_call(*node, "kv", static_cast<i32>(drivers::kv_op::kGet),
                                   ValueList{std::string("app/k")});
    };
    auto answered = get();  // Absent: an answer about the request, not a fault.
    ASSERT_FALSE(answered);
    ASSERT_EQ(answered.error().code, Status::NotFound) << answered.error().to_string();
    EXPECT_TRUE(metrics_show(*node, "esta_kernel_region_state{region=\"driver.kv\"} 0"));
    EXPECT_TRUE(metrics_show(*node, "esta_kernel_region_state{region=\"relay\"} 0"));

    // The store goes down: each call is the driver's fault, and the guest sees its error.
    ASSERT_NE(node->kv_store(), nullptr);
    node->kv_store()->stop();
    for (int i = 0; i < 5; ++i) {
        auto failed = get();
        ASSERT_FALSE(failed);
        EXPECT_EQ(failed.error().code, Status::Unavailable) << failed.error().to_string();
    }
    EXPECT_TRUE(metrics_show(*node, "esta_kernel_region_state{region=\"driver.kv\"} 2"))
        << node->observability().metrics_text();
    EXPECT_TRUE(metrics_show(*node, "esta_kernel_region_state{region=\"relay\"} 0"));

    ASSERT_TRUE(node->stop());
    const std::string status = read_all(folder.dir() / "state" / "data" / "status.json");
    EXPECT_NE(status.find("\"regions\":{\"count\":3,\"quarantined\":[\"driver.kv\"]}"),
              std::string::npos)
        << status;
    std::string audit;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(folder.dir() / "state" / "audit"))
        if (entry.is_regular_file()) audit += read_all(entry.path());
    EXPECT_NE(audit.find("region.quarantined"), std::string::npos);
    EXPECT_NE(audit.find("driver.kv"), std::string::npos);
}

TEST_F(NodeGuard, K50_TheNodeAccountsDecisionLatency) {
    std::vector<u8> echo = m_compiler.build_bytes("echo", testing::echo_source("1.0.0"));
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(echo.empty()) << m_compiler.log();
    testing::NodeFolder folder("esta_node_guard_k50");
    folder.write("echo.wasm", echo);
    std::unique_ptr<Node> node = folder.start(kEchoManifest);
    ASSERT_TRUE(node);
    constexpr int kEvents = 20;
    for (int i = 0; i < kEvents; ++i)
        ASSERT_TRUE(node->submit("{\"n\":" + std::to_string(i) + "}"));
    ASSERT_TRUE(node->settle(30'000));
    // Each handled message of the decision process is one accrual_calculation.
    EXPECT_TRUE(metrics_show(
        *node, "esta_kernel_operation_latency_seconds_count{operation=\"accrual_calculation\"} " +
                   std::to_string(kEvents)))
        << node->observability().metrics_text();
    EXPECT_TRUE(metrics_show(*node, "esta_kernel_region_state{region=\"accrual\"} 0"));
    ASSERT_TRUE(node->stop());
}

}  // namespace
}  // namespace esta::app::run::guard_test
