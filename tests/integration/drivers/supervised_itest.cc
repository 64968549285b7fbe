// D-2: the driver process supervisor. `estalogic driver kv` runs as a child; killing it
// makes calls UNAVAILABLE (retryable) until the backoff on the injected clock has passed,
// and the next call starts a new child. (Call deadlines are on the same manual clock, so
// each call's socket timeouts are its whole budget of real time.) Through the kernel, a guest sees
// the same: only the retryable status while the driver process is down.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/host/abi_codec.h"
#include "drivers/host/supervised_driver.h"
#include "drivers/kernel_bridge/guest_harness.h"

namespace esta::drivers {
namespace {

class Supervised : public ::testing::Test {
  protected:
    void SetUp() override {
        directory = std::filesystem::temp_directory_path() /
                    ("esta_supervised_" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory);
        host::DriverProcessConfig config;
        config.program = ESTA_ESTALOGIC_PATH;
        config.args = {"driver", "kv"};
        config.socket_path = (directory / "kv.sock").string();
        driver = std::make_unique<host::SupervisedDriver>(DriverKind::KeyValue, config, codec,
                                                          clock, sleeper);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
    }
    void TearDown() override {
        driver.reset();
        std::filesystem::remove_all(directory);
    }
    Result<Value> call(u32 op, Value request) {
        CallContext context{scope, 1, clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "supervised-test"};
        return driver->call(op, request, context);
    }
    void kill_child() {
        pid_t child = driver->child();
        ASSERT_GT(child, 0);
        ASSERT_EQ(::kill(child, SIGKILL), 0);
    }

    std::filesystem::path directory;
    host::AbiValueCodec codec;
    protocol::ManualClock clock{1'000'000};
    ThreadSleeper sleeper;
    std::unique_ptr<host::SupervisedDriver> driver;
    Scope scope{"kv", KvScope{"p:", kAllKvFamilies, {}}};
};

TEST_F(Supervised, D2_KilledDriverProcessIsRestartedAfterTheBackoff) {
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{1}}));
    pid_t first = driver->child();
    kill_child();
    auto lost = call(kv_op::kGet, ValueList{"n"});
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::Unavailable);
    // Within the backoff nothing is started, and the answer stays retryable.
    clock.advance(99 * kNanosPerMilli);
    auto waiting = call(kv_op::kGet, ValueList{"n"});
    ASSERT_FALSE(waiting);
    EXPECT_EQ(waiting.error().code, Status::Unavailable);
    EXPECT_EQ(driver->child(), -1);
    EXPECT_EQ(driver->health().state, HealthState::Unhealthy);
    clock.advance(1 * kNanosPerMilli);
    auto again = call(kv_op::kIncrBy, ValueList{"n", i64{1}});
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(*again, Value(i64{1}));  // A new process: the embedded store starts empty.
    EXPECT_EQ(driver->restarts(), 1u);
    EXPECT_NE(driver->child(), first);
}

TEST_F(Supervised, D1_AStalledDriverProcessTimesOutIsKilledAndRestarted) {
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{1}}));
    pid_t stalled = driver->child();
    ASSERT_EQ(::kill(stalled, SIGSTOP), 0);  // Alive but never answering.
    CallContext context{scope, 1, clock.now_ns() + 200 * kNanosPerMilli, Caller::Module,
                        "supervised-test"};
    auto late = driver->call(kv_op::kGet, ValueList{"n"}, context);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Status::Timeout);
    EXPECT_EQ(driver->child(), -1);  // Killed and reaped.
    clock.advance(100 * kNanosPerMilli);
    auto again = call(kv_op::kIncrBy, ValueList{"n", i64{1}});
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_NE(driver->child(), stalled);
    EXPECT_EQ(driver->restarts(), 1u);
}

TEST_F(Supervised, D2_ADriverProcessThatCannotStartIsUnavailable) {
    host::DriverProcessConfig config;
    config.program = ESTA_ESTALOGIC_PATH;
    config.args = {"driver", "no-such-kind"};
    config.socket_path = (directory / "bad.sock").string();
    host::SupervisedDriver bad(DriverKind::KeyValue, config, codec, clock, sleeper);
    auto started = bad.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Status::Unavailable);
    EXPECT_EQ(bad.child(), -1);
}

TEST_F(Supervised, D2_AGuestSeesOnlyRetryableErrorsWhileTheDriverProcessIsDown) {
    std::shared_ptr<const wasm::CompiledModule> relay;
    ESTA_NEED_RELAY(relay);
    testing::GuestHarness harness(relay);
    harness.grant("kv", *driver, scope, kernel::Right::Read | kernel::Right::Write, clock);
    ASSERT_TRUE(harness.call("kv", kv_op::kSet, ValueList{"k", bytes_value("v")}));
    kill_child();
    auto down = harness.call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().code, Status::Unavailable);
    clock.advance(100 * kNanosPerMilli);
    ASSERT_TRUE(harness.call("kv", kv_op::kSet, ValueList{"k", bytes_value("w")}));
    auto got = harness.call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(*got, bytes_value("w"));
}

}  // namespace
}  // namespace esta::drivers
