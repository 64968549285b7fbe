// Asynchronous driver calls (D-1, ABI.md "Driver calls") through a C guest: while the
// driver works on an executor the caller is parked and holds no scheduler thread; the
// kernel delivers the answer and the guest's retried `call` returns it. The in-flight bound
// is LIMIT; a process that ends is released on the executor after its calls.
#include <thread>

#include "drivers/embedded/memory_kv.h"
#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/kernel_bridge/test_drivers.h"
#include "drivers/kv_driver.h"

namespace esta::drivers::testing {
namespace {

class AsyncCall : public ::testing::Test {
  protected:
    void SetUp() override {
        std::shared_ptr<const wasm::CompiledModule> relay;
        ESTA_NEED_RELAY(relay);
        harness = std::make_unique<GuestHarness>(relay);
        using kernel::Right;
        harness->grant("kv", gated, Scope{"kv", KvScope{"a:", kAllKvFamilies, {}}},
                       Right::Read | Right::Write, clock, &executor);
    }
    void TearDown() override { gated.open(); }

    protocol::ManualClock clock{1'000'000};
    KvDriver kv{std::make_unique<MemoryKv>(clock), {}, nullptr};
    GatedDriver gated{kv};
    DriverExecutor executor{4};
    std::unique_ptr<GuestHarness> harness;
};

TEST_F(AsyncCall, D1_AParkedCallerHoldsNoThreadAndResumesWithTheReply) {
    ASSERT_TRUE(kv.start());
    ASSERT_TRUE(harness->post(
        0x30,
        GuestHarness::call_message("kv", kv_op::kSet, ValueList{"k", bytes_value("v8")}, 5'000)));
    // The relay runs, calls, and parks: the scheduler has nothing else to run, and is free
    // while the driver holds the request.
    ASSERT_TRUE(harness->step());
    EXPECT_EQ(harness->relay().state(), kernel::ProcessState::Blocked);
    gated.await_waiting(1);
    EXPECT_FALSE(harness->step());
    EXPECT_EQ(harness->syscalls().driver_calls_in_flight(), 1u);
    EXPECT_EQ(executor.in_flight(), 1u);
    // Answered but not yet delivered: a spurious wake still finds the caller waiting.
    gated.open();
    ASSERT_EQ(harness->syscalls().deliver_driver_replies(true), 1u);
    EXPECT_EQ(harness->relay().state(), kernel::ProcessState::Ready);
    while (harness->step()) {
    }
    auto answer = harness->answer();
    ASSERT_TRUE(answer) << answer.error().to_string();
    auto reply = GuestHarness::decode_answer(*answer);
    ASSERT_TRUE(reply) << reply.error().to_string();
    EXPECT_TRUE(reply->is_null());
    // And the write happened under the handle's prefix.
    gated.open();
    auto read = harness->call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(*read, Value(bytes_value("v8")));
}

TEST_F(AsyncCall, D1_AFullExecutorIsLimitForTheGuest) {
    ASSERT_TRUE(kv.start());
    // Fill the executor's bound from outside the guest: four calls wait at the gate.
    KernelDriverBridge side{gated,
                            Scope{"kv", KvScope{"a:", kAllKvFamilies, {}}},
                            kernel::ObjectId(900),
                            clock_time(clock),
                            clock,
                            &executor};
    std::atomic<int> answered{0};
    for (int i = 0; i < 4; ++i) {
        side.start(kernel::ProcessId(50), kv_op::kGet, Value(ValueList{"x"}),
                   clock.now_ns() + protocol::kNanosPerSecond,
                   [&](kernel::DriverAnswer) { ++answered; });
    }
    gated.await_waiting(1);
    auto refused = harness->call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Limit);
    gated.open();
    while (answered.load() < 4)
        std::this_thread::yield();
    auto served = harness->call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_FALSE(served);
    EXPECT_EQ(served.error().code, Status::NotFound);
    side.release(kernel::ProcessId(50));  // Runs after the four on the executor.
    while (answered.load() < 4 || gated.released().empty())
        std::this_thread::yield();
    ASSERT_EQ(gated.released().size(), 1u);
    EXPECT_EQ(gated.released().front(), side.binding(kernel::ProcessId(50)));
}

}  // namespace
}  // namespace esta::drivers::testing
