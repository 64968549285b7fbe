// D-5 and D-2 against a private redis-server: registered scripts (EVALSHA, reload on
// NOSCRIPT, a source that does not match its SHA-1), and the circuit breaker when the
// server is killed mid-run and comes back.
#include <hiredis/hiredis.h>

#include <gtest/gtest.h>

#include "drivers/guarded_driver.h"
#include "drivers/redis/redis_kv.h"
#include "services.h"

namespace esta::drivers {
namespace {

constexpr const char* kBumpSource = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

// Asks the server for a script's SHA-1 the way an application build step would.
std::string script_sha(int port, const std::string& source) {
    RedisContextHandle context(redisConnect("127.0.0.1", port));
    auto* reply =
        static_cast<redisReply*>(redisCommand(context.get(), "SCRIPT LOAD %s", source.c_str()));
    std::string sha = reply != nullptr && reply->type == REDIS_REPLY_STRING ? reply->str : "";
    freeReplyObject(reply);
    return sha;
}

void flush_scripts(int port) {
    RedisContextHandle context(redisConnect("127.0.0.1", port));
    freeReplyObject(redisCommand(context.get(), "SCRIPT FLUSH"));
}

class RedisDriverTest : public ::testing::Test {
  protected:
    void SetUp() override { ESTA_NEED_SERVICE(server.start(), "redis-server"); }

    std::unique_ptr<GuardedDriver> make(std::vector<KvScript> scripts) {
        RedisConfig config;
        config.port = server.port();
        config.connect_timeout = 200 * kNanosPerMilli;
        config.read_timeout = 500 * kNanosPerMilli;
        auto kv = std::make_unique<KvDriver>(std::make_unique<RedisKv>(config, clock),
                                             std::move(scripts), nullptr);
        GuardOptions options = default_guard_options(DriverKind::KeyValue);
        options.circuit = CircuitOptions{3, 1'000 * kNanosPerMilli};
        return std::make_unique<GuardedDriver>(std::move(kv), clock, sleeper, options);
    }
    Result<Value> call(GuardedDriver& driver, u32 op, Value request) {
        CallContext context{scope, 1, clock.now_ns() + 60'000 * kNanosPerMilli, Caller::Module,
                            "redis-test"};
        return driver.call(op, request, context);
    }

    testing::RedisServer server;
    protocol::ManualClock clock{1'000'000'000};
    ManualSleeper sleeper{clock};
    Scope scope{"kv", KvScope{"app:", kAllKvFamilies, {"bump"}}};
};

TEST_F(RedisDriverTest, D5_RegisteredScriptRunsAndSurvivesAScriptFlush) {
    std::string sha = script_sha(server.port(), kBumpSource);
    ASSERT_EQ(sha.size(), 40u);
    flush_scripts(server.port());
    auto driver = make({{"bump", sha, kBumpSource, {"counter:*"}}});
    ASSERT_TRUE(driver->start());
    auto first =
        call(*driver, kv_op::kEval, ValueList{"bump", ValueList{"counter:1"}, ValueList{i64{2}}});
    ASSERT_TRUE(first) << first.error().to_string();
    EXPECT_EQ(*first, Value(i64{2}));
    // The server forgets its scripts (as after a restart): NOSCRIPT, load, run once more.
    flush_scripts(server.port());
    auto second =
        call(*driver, kv_op::kEval, ValueList{"bump", ValueList{"counter:1"}, ValueList{i64{3}}});
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_EQ(*second, Value(i64{5}));
    // The key lives under the handle's prefix.
    EXPECT_EQ(*call(*driver, kv_op::kGet, ValueList{"counter:1"}), bytes_value("5"));
}

TEST_F(RedisDriverTest, D5_ScriptWhoseSourceDoesNotMatchItsShaIsRefusedAtStart) {
    auto driver = make({{"bump", std::string(40, '0'), kBumpSource, {"counter:*"}}});
    auto started = driver->start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Status::Invalid);
}

TEST_F(RedisDriverTest, D2_KilledServerOpensTheCircuitAndRecoveryClosesIt) {
    auto driver = make({});
    ASSERT_TRUE(driver->start());
    ASSERT_TRUE(call(*driver, kv_op::kSet, ValueList{"k", bytes_value("v")}));

    server.kill();
    // Calls fail with UNAVAILABLE until three consecutive failures open the circuit.
    Result<Value> reply = Value();
    for (int i = 0; i < 3 && driver->circuit().state() != CircuitState::Open; ++i) {
        reply = call(*driver, kv_op::kGet, ValueList{"k"});
        ASSERT_FALSE(reply);
        EXPECT_EQ(reply.error().code, Status::Unavailable) << reply.error().to_string();
        clock.advance(1'500 * kNanosPerMilli);  // Let the store try to reconnect.
    }
    EXPECT_EQ(driver->circuit().state(), CircuitState::Open);
    EXPECT_EQ(driver->health().state, HealthState::Unhealthy);

    // While open, calls fail fast without touching the network.
    auto start = std::chrono::steady_clock::now();
    auto fast = call(*driver, kv_op::kGet, ValueList{"k"});
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(fast);
    EXPECT_EQ(fast.error().code, Status::Unavailable);
    EXPECT_LT(elapsed, std::chrono::milliseconds(50));

    // The server returns (empty: it keeps nothing); after the cool-down the probe
    // reconnects and closes the circuit.
    ASSERT_TRUE(server.start());
    clock.advance(2'000 * kNanosPerMilli);
    auto probe = call(*driver, kv_op::kSet, ValueList{"k", bytes_value("again")});
    ASSERT_TRUE(probe) << probe.error().to_string();
    EXPECT_EQ(driver->circuit().state(), CircuitState::Closed);
    EXPECT_EQ(*call(*driver, kv_op::kGet, ValueList{"k"}), bytes_value("again"));
}

}  // namespace
}  // namespace esta::drivers
