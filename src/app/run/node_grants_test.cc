// `sql` and `topic` grants on a running node (ABI.md "Driver calls"), on the embedded
// defaults: a module runs the declared statements its grant names on SQLite and produces to
// its topic; a process granted `consume` gets each record as a message (RecordConsumer).
// A statement the grant does not name is refused and audited (D-2, D-4), and a grant held
// by another process cannot be looked up.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "app/run/node.h"
#include "app/run/node_test_support.h"
#include "drivers/contract.h"
#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/value.h"
#include "kernel/runtime/guest_test.h"

namespace esta::app::run {
namespace {

using drivers::Value;
using drivers::ValueList;

constexpr const char* kManifest = R"toml([app]
manifest_version = 1
name = "grants"
mode = "development"

[modules.relay]
path = "relay.wasm"

[modules.echo]
path = "echo.wasm"

[topics.events]
partitions = 1

[statements.put]
sql = "INSERT INTO notes (id, n) VALUES ($1, $2)"
params = ["text", "int"]

[statements.count]
sql = "SELECT count(*) FROM notes"
columns = ["int"]

[statements.wipe]
sql = "DELETE FROM notes"

[processes.relay]
module = "relay"

[processes.relay.grants.sink]
sink = "answers"

[processes.relay.grants.db]
sql = ["put", "count"]

[processes.relay.grants.events]
topic = "events"
produce = true

[processes.reader]
module = "echo"

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

class NodeGrants : public kernel::testing::GuestTest {
  protected:
    Result<Value> call(Node& node, const std::string& grant, i32 op, const Value& request) {
        return testing::relay_call(node, grant, op, request);
    }
};

TEST_F(NodeGrants, D4_D3_SqlAndTopicGrantsReachTheirEmbeddedDriversScoped) {
    std::vector<u8> relay = m_compiler.build_bytes(
        "relay", testing::manifest_section("relay", "1.0.0") + drivers::testing::kRelayGuest);
    std::vector<u8> echo = m_compiler.build_bytes("echo", testing::echo_source("1.0.0"));
    if (m_compiler.toolchain_missing()) GTEST_SKIP() << m_compiler.log();
    ASSERT_FALSE(relay.empty()) << m_compiler.log();
    ASSERT_FALSE(echo.empty()) << m_compiler.log();
    testing::NodeFolder folder("esta_node_grants");
    folder.write("relay.wasm", relay);
    folder.write("echo.wasm", echo);
    // The schema is the operator's, as on PostgreSQL: the statements are prepared at start.
    std::filesystem::create_directories(folder.dir() / "state" / "data");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((folder.dir() / "state" / "data" / "embedded.sqlite").c_str(), &db),
              SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "CREATE TABLE notes (id TEXT, n INTEGER)", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    std::unique_ptr<Node> node = folder.start(kManifest);
    ASSERT_TRUE(node);

    // The declared statements the grant names, on SQLite.
    auto exec = [&](const std::string& statement, ValueList params) {
        return call(*node, "db", drivers::sql_op::kExec,
                    ValueList{statement, Value(std::move(params))});
    };
    auto put = exec("put", {std::string("a"), i64{7}});
    ASSERT_TRUE(put) << put.error().to_string();
    auto counted = exec("count", {});
    ASSERT_TRUE(counted) << counted.error().to_string();
    const Value* rows = drivers::map_find(*counted, "rows");
    ASSERT_NE(rows, nullptr);
    EXPECT_EQ(*rows, Value(ValueList{Value(ValueList{i64{1}})}));
    // Declared but not granted, and not declared at all: refused.
    auto wiped = exec("wipe", {});
    ASSERT_FALSE(wiped);
    EXPECT_EQ(wiped.error().code, Status::AccessDenied) << wiped.error().to_string();
    auto dropped = exec("drop", {});
    ASSERT_FALSE(dropped);
    // Another process's grant is not this one's to look up.
    auto other = call(*node, "feed", drivers::topic_op::kProduce, ValueList{});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, Status::NotFound) << other.error().to_string();

    // Produced by the relay, consumed for the reader: the record arrives as a message.
    auto produced = call(*node, "events", drivers::topic_op::kProduce,
                         ValueList{Value(drivers::ByteString{'k'}),
                                   Value(drivers::ByteString{'h', 'e', 'l', 'l', 'o'})});
    ASSERT_TRUE(produced) << produced.error().to_string();
    // Six relay answers, then the reader's line (the sinks are written when they close).
    for (int i = 0; i < 2000 && node->stats(false).decisions < 7; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(node->stats(false).decisions, 7u);
    ASSERT_TRUE(node->stop());
    std::ifstream in(folder.dir() / "state" / "data" / "seen.jsonl", std::ios::binary);
    const std::string text(std::istreambuf_iterator<char>(in), {});
    EXPECT_NE(text.find("hello"), std::string::npos);

    // The refusals are audit records.
    const std::string audit = testing::audit_text(folder.dir() / "state");
    EXPECT_NE(audit.find("driver.denied"), std::string::npos);
    EXPECT_NE(audit.find("wipe"), std::string::npos);
}

}  // namespace
}  // namespace esta::app::run
