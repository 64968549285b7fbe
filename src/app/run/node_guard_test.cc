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
#include "app/run/node_guard.h"
#include "app/run/node_observe.h"
#include "app/run/node_test_support.h"
#include "drivers/contract.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/kv_driver.h"
#include "drivers/sql_driver.h"
#include "kernel/runtime/guest_test.h"
#include "kernel/runtime/kernel_config.h"

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
    EXPECT_NE(status.find("\"regions\":{\"count\":3,\"quarantined\":[\"driver.kv\"],"
                          "\"driver_connections\":{\"driver.kv\":0}}"),
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

class CountingAudit final : public observe::AuditSink {
  public:
    Result<u64> append(std::string_view, const observe::Value::Map&) override { return ++count; }
    u64 count = 0;
};

// K-42: the connections a driver region holds are counted and exported; past 100 the node
// warns with the real numbers and the drivers go on (the limit's action for connections).
// The region driver.sql here holds SQLite drivers on one file: one shared connection each,
// and one more per open transaction.
TEST(NodeGuardConnections, K42_ADriverRegionOver100ConnectionsWarnsWithItsNumbersAndGoesOn) {
    protocol::ManualClock clock{0};
    observe::MetricsRegistry metrics;
    CountingAudit audit;
    run::NodeGuard guard("decider", kernel::kDefaultFuelPerMilli, clock, audit, metrics);
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("esta_node_guard_k42_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::vector<std::unique_ptr<drivers::SqlDriver>> sql;
    auto add = [&] {
        sql.push_back(std::make_unique<drivers::SqlDriver>(
            std::make_unique<drivers::SqliteSql>((dir / "db.sqlite").string(), ""),
            std::vector<drivers::SqlStatement>{}, nullptr));
        ASSERT_TRUE(sql.back()->start());
        (void)guard.faults_of(*sql.back());
    };
    auto warnings = [&] {
        return metrics
            .counter(observe::make_metric_spec(observe::MetricType::Counter,
                                               "kernel.limit_violations", "", {"limit", "action"}),
                     {"driver_connections", "warn_and_continue"})
            .value();
    };
    auto held = [&](int count) {
        std::string line =
            "esta_kernel_driver_connections{region=\"driver.sql\"} " + std::to_string(count) + "\n";
        std::string status =
            "\"driver_connections\":{\"driver.sql\":" + std::to_string(count) + "}";
        return metrics.render_prometheus().find(line) != std::string::npos &&
               guard.status_fields().find(status) != std::string::npos;
    };
    for (int i = 0; i < 100; ++i)
        add();
    guard.serve();
    EXPECT_TRUE(held(100)) << guard.status_fields();  // Exactly the limit.
    EXPECT_EQ(warnings(), 0u);

    add();  // The 101st: warned, and it serves all the same.
    guard.serve();
    guard.serve();  // Counted again unchanged: not warned again.
    EXPECT_TRUE(held(101)) << guard.status_fields();
    EXPECT_EQ(warnings(), 1u);
    drivers::Scope scope{"db", drivers::SqlScope{{}}};
    drivers::CallContext context{scope, 1, 1'000'000'000, drivers::Caller::Module, "p"};
    ASSERT_TRUE(sql.back()->call(drivers::sql_op::kBegin, drivers::Value(), context));
    guard.serve();
    EXPECT_TRUE(held(102)) << guard.status_fields();  // The transaction's own connection.
    EXPECT_EQ(warnings(), 2u);
    EXPECT_EQ(audit.count, 0u);  // A warning, not an audit record.

    sql.back()->release(1);
    sql.back()->stop();
    sql.front()->stop();
    guard.serve();
    EXPECT_TRUE(held(99)) << guard.status_fields();
    EXPECT_EQ(warnings(), 2u);
    for (auto& driver : sql)
        driver->stop();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace esta::app::run::guard_test
