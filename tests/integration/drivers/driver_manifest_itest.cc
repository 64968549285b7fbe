// D-2 / D-4 / D-5: `estalogic driver sql|kv --manifest app.toml` declares the application's
// named statements and registered Redis scripts in the driver process, so a module's EXEC of
// a declared statement (EVAL of a registered script) runs there and anything else is refused
// there too; an invalid manifest stops the process at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "drivers/host/abi_codec.h"
#include "drivers/host/supervised_driver.h"
#include "drivers/kv_driver.h"
#include "drivers/sql_driver.h"
#include "services.h"

namespace esta::drivers {
namespace {

class DriverFromManifest : public ::testing::Test {
  protected:
    void SetUp() override {
        directory = std::filesystem::temp_directory_path() /
                    ("esta_driver_manifest_" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory / "data");
        std::ofstream(directory / "app.toml") << "[modules.m]\n"
                                                 "path = \"m.wasm\"\n"
                                                 "[processes.p]\n"
                                                 "module = \"m\"\n"
                                                 "[statements.plus]\n"
                                                 "sql = \"select $1 + 1\"\n"
                                                 "params = [\"int\"]\n"
                                                 "columns = [\"int\"]\n"
                                                 "[scripts.bump]\n"
                                                 "source = \"return redis.call('INCRBY', "
                                                 "KEYS[1], ARGV[1])\"\n"
                                                 "sha1 = "
                                                 "\"8cd00688c05c46bde4a2e60658ef20a2e5c0b248\"\n"
                                                 "keys = [\"counter:*\"]\n";
    }
    void TearDown() override {
        driver.reset();
        std::filesystem::remove_all(directory);
    }
    Result<void> start(const std::string& manifest) {
        return start_driver(
            DriverKind::Sql,
            {"driver", "sql", "--data", (directory / "data").string(), "--manifest", manifest});
    }
    Result<void> start_driver(DriverKind kind, std::vector<std::string> args) {
        host::DriverProcessConfig config;
        config.program = ESTA_ESTALOGIC_PATH;
        config.args = std::move(args);
        config.socket_path = (directory / "driver.sock").string();
        driver = std::make_unique<host::SupervisedDriver>(kind, config, codec, clock, sleeper);
        return driver->start();
    }
    Result<Value> exec(const std::string& statement, ValueList params) {
        CallContext context{scope, 1, clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "manifest-test"};
        return driver->call(sql_op::kExec, ValueList{statement, std::move(params)}, context);
    }

    std::filesystem::path directory;
    host::AbiValueCodec codec;
    // The driver process keeps time on the system clock; deadlines cross as instants.
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
    std::unique_ptr<host::SupervisedDriver> driver;
    Scope scope{"db", SqlScope{{"plus", "minus"}}};
};

TEST_F(DriverFromManifest, D4_TheDriverProcessRunsTheManifestsStatementsOnly) {
    auto started = start((directory / "app.toml").string());
    ASSERT_TRUE(started) << started.error().to_string();
    auto plus = exec("plus", ValueList{i64{41}});
    ASSERT_TRUE(plus) << plus.error().to_string();
    const Value* rows = map_find(*plus, "rows");
    ASSERT_NE(rows, nullptr);
    EXPECT_EQ(*rows, Value(ValueList{Value(ValueList{i64{42}})}));
    // Granted to the handle but never declared by the application: NOT_FOUND.
    auto minus = exec("minus", ValueList{i64{1}});
    ASSERT_FALSE(minus);
    EXPECT_EQ(minus.error().code, Status::NotFound);
    // Typed as declared.
    auto wrong = exec("plus", ValueList{Value("x")});
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Status::InvalidArgs);
}

TEST_F(DriverFromManifest, D2_AnInvalidManifestKeepsTheDriverProcessFromServing) {
    std::ofstream(directory / "bad.toml") << "[statements.plus]\nsql = 3\n";
    auto started = start((directory / "bad.toml").string());
    if (started) {
        auto refused = exec("plus", ValueList{i64{1}});
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, Status::Unavailable);
    } else {
        EXPECT_EQ(started.error().code, Status::Unavailable);
    }
}

TEST_F(DriverFromManifest, D5_TheKvDriverProcessRunsTheManifestsRegisteredScriptsOnly) {
    testing::RedisServer redis;
    ESTA_NEED_SERVICE(redis.start(), "redis-server");
    auto started = start_driver(DriverKind::KeyValue,
                                {"driver", "kv", "--redis-port", std::to_string(redis.port()),
                                 "--manifest", (directory / "app.toml").string()});
    ASSERT_TRUE(started) << started.error().to_string();
    Scope kv{"kv", KvScope{"app:", kAllKvFamilies, {"bump", "sneak"}}};
    CallContext context{kv, 1, clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module, "p"};
    auto bumped = driver->call(
        kv_op::kEval, ValueList{"bump", ValueList{"counter:1"}, ValueList{i64{4}}}, context);
    ASSERT_TRUE(bumped) << bumped.error().to_string();
    EXPECT_EQ(*bumped, Value(i64{4}));
    // Granted to the handle but not registered by the application: NOT_FOUND.
    auto sneak = driver->call(kv_op::kEval, ValueList{"sneak", ValueList{"counter:1"}, ValueList{}},
                              context);
    ASSERT_FALSE(sneak);
    EXPECT_EQ(sneak.error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::drivers
