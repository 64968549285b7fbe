// Driver calls under the Kernel runtime (D-1): a C guest's calls run on the driver's
// executor while the guest is parked; run_until_idle waits for them at idle and delivers
// the answers, so the run is the same every time; when the process ends, every driver it
// called is released (after its calls, on the executor).
#include <thread>

#include "drivers/embedded/memory_kv.h"
#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/kernel_bridge/test_drivers.h"
#include "drivers/kv_driver.h"
#include "kernel/runtime/kernel_runtime.h"

namespace esta::drivers::testing {
namespace {

// SET k, GET k, INCRBY n 2 on "kv"; exits with the GET reply's length times 100 plus the
// INCRBY's value (or the first failing status, negated).
constexpr const char* kCallerGuest = R"(#include "estalogic.h"
#include "estalogic_value.h"
static unsigned char req[256];
static unsigned char resp[256];
static esta_i32 call(esta_handle h, esta_i32 op, esta_writer* w) {
    esta_i32 n = esta_writer_finish(w);
    if (n < 0) return n;
    return esta_call(h, op, req, (esta_u32)n, resp, sizeof resp, 5000);
}
__attribute__((export_name("_start"))) esta_i32 start(void) {
    esta_handle h = esta_cap_lookup("kv", 2);
    if (h < 0) return h;
    esta_writer w;
    esta_writer_init(&w, req, sizeof req);
    esta_put_list(&w, 2); esta_put_text(&w, "k", 1); esta_put_bytes(&w, "abc", 3);
    esta_i32 r = call(h, 2, &w);
    if (r < 0) return r;
    esta_writer_init(&w, req, sizeof req);
    esta_put_list(&w, 1); esta_put_text(&w, "k", 1);
    esta_i32 got = call(h, 1, &w);
    if (got < 0) return got;
    esta_writer_init(&w, req, sizeof req);
    esta_put_list(&w, 2); esta_put_text(&w, "n", 1); esta_put_i64(&w, 2);
    r = call(h, 4, &w);
    if (r < 0) return r;
    return got * 100 + (esta_i32)resp[1];
}
)";

TEST(KernelDriverCalls, D1_ParkedCallsResumeUnderRunUntilIdleAndTheEndedProcessIsReleased) {
    std::string log;
    auto module = compile_guest("kernel_caller", kCallerGuest, log);
    if (!module) {
        if (log.rfind("skip: ", 0) == 0) GTEST_SKIP() << log;
        FAIL() << log;
    }
    protocol::ManualClock clock{1'000'000};
    KvDriver kv{std::make_unique<MemoryKv>(clock), {}, nullptr};
    ASSERT_TRUE(kv.start());
    ForwardingDriver recording{kv};
    DriverExecutor executor{16};
    kernel::testing::RecordingAudit audit;
    kernel::InMemoryDeadLetters dead_letters;
    kernel::KernelConfig config;
    config.threads = 1;
    auto kernel = std::make_unique<kernel::Kernel>(clock, audit, dead_letters, config);
    // The port's id is outside the kernel's allocator's range in this test.
    kernel::ObjectId port_id(0x7000'0000);
    KernelDriverBridge bridge{recording, Scope{"kv", KvScope{"g:", kAllKvFamilies, {}}},
                              port_id,   clock_time(clock),
                              clock,     &executor};
    auto port =
        kernel::DriverPort::create(port_id, kernel::ObjectType::RedisKeyspace, "kv", bridge);
    ASSERT_TRUE(port);
    kernel::ProcessSpec spec;
    spec.module = module;
    spec.grants.push_back({"kv", *port, kernel::Right::Read | kernel::Right::Write, 0});
    auto pid = kernel->spawn(spec);
    ASSERT_TRUE(pid) << pid.error().to_string();
    auto slices = kernel->run_until_idle();
    ASSERT_TRUE(slices) << slices.error().to_string();
    auto info = kernel->process(*pid);
    ASSERT_TRUE(info);
    ASSERT_EQ(info->state, kernel::ProcessState::Completed);
    ASSERT_TRUE(info->exit.has_value());
    // GET's reply is bytes "abc" (tag, u32 length, 3 bytes = 8); INCRBY's value is 2.
    EXPECT_EQ(info->exit->code, 8 * 100 + 2);
    EXPECT_EQ(recording.calls(), 3);
    // Each call parked the guest: three slices besides the first, one per delivered answer.
    EXPECT_EQ(*slices, 4u);
    // The release runs on the executor after the calls; wait for it there.
    kernel.reset();
    std::vector<u64> released;
    while ((released = recording.released()).empty())
        std::this_thread::yield();
    EXPECT_EQ(released, std::vector<u64>{bridge.binding(*pid)});
}

}  // namespace
}  // namespace esta::drivers::testing
