#include "kernel/runtime/kernel_runtime.h"

#include <gtest/gtest.h>

#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using Module = std::shared_ptr<const wasm::CompiledModule>;

constexpr const char* kExitsWithThree = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) { esta_exit(3); }
)";

constexpr const char* kLooper = R"(#include "estalogic.h"
volatile unsigned counter;
__attribute__((export_name("_start"))) void start(void) { for (;;) counter++; }
)";

constexpr const char* kWaiter = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
    esta_exit(0);
}
)";

constexpr const char* kPing = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    if (peer < 0) esta_exit(90);
    for (int i = 0; i < 200; ++i) {
        if (esta_send(peer, 0x10, "ping", 4, 0, 0, 0) < 0) esta_exit(91);
        if (esta_recv(ESTA_RECV_FOREVER, 0x11, buf, sizeof buf, &info) != 4) esta_exit(92);
    }
    esta_exit(0);
}
)";

constexpr const char* kPong = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (int i = 0; i < 200; ++i) {
        if (esta_recv(ESTA_RECV_FOREVER, 0x10, buf, sizeof buf, &info) != 4) esta_exit(93);
        if (esta_send(peer, 0x11, "pong", 4, 0, 0, 0) < 0) esta_exit(94);
    }
    esta_exit(0);
}
)";

// Reactive: answers each request (a little-endian u32) with twice its value.
constexpr const char* kDoubler = R"(#include "estalogic.h"
static unsigned char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) != 4) return -1;
    esta_u32 v = buf[0] | (buf[1] << 8) | (buf[2] << 16) | ((esta_u32)buf[3] << 24);
    v *= 2;
    unsigned char out[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                            (unsigned char)(v >> 24)};
    return esta_reply(0x21, out, 4, 0, 0) == 0 ? 0 : -2;
}
)";

constexpr const char* kCaller = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    if (server < 0) esta_exit(90);
    for (esta_u32 i = 1; i <= 50; ++i) {
        esta_u32 out = 0;
        esta_i32 n = esta_call(server, 0x20, &i, 4, &out, 4, ESTA_RECV_FOREVER);
        if (n != 4) esta_exit(91);
        if (out != 2 * i) esta_exit(92);
    }
    esta_exit(0);
}
)";

// Calls once with a 5 ms timeout and exits with the call's status (negated).
constexpr const char* kTimedCaller = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    esta_u32 in = 1, out = 0;
    esta_i32 n = esta_call(server, 0x20, &in, 4, &out, 4, 5);
    esta_exit(n < 0 ? -n : 100 + n);
}
)";

constexpr const char* kSilentServer = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    for (;;) esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
}
)";

constexpr const char* kForgetfulServer = R"(#include "estalogic.h"
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) { return 0; }
)";

constexpr const char* kReplyWithoutRequest = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_i32 r = esta_reply(0x21, "x", 1, 0, 0);
    esta_exit(r == -ESTA_NOT_FOUND ? 0 : 1);
}
)";

// Reactive: 'X' traps (unreachable, 4001), 'S' spins until stopped, 'Q' exits with 5.
constexpr const char* kFragile = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
volatile unsigned counter;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'X') __builtin_trap();
    if (buf[0] == 'S') for (;;) counter++;
    if (buf[0] == 'Q') esta_exit(5);
    return 0;
}
)";

constexpr const char* kTellsTheTime = R"(#include "estalogic.h"
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_exit((esta_i32)(esta_now() / 1000000000));
}
)";

constexpr const char* kShutdownAware = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    for (;;) {
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
        if (n < 0) esta_exit(n == -ESTA_SHUTTING_DOWN ? 8 : 9);
        if (info.type == 0xFFFF) esta_exit(7);
    }
}
)";

class KernelRuntime : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why = m_compiler.prepare();
        if (!why.empty()) GTEST_SKIP() << why;
    }
    Module build(const std::string& name, const char* code) {
        Module module = m_compiler.build(name, code);
        if (!module) {
            if (m_compiler.toolchain_missing()) {
                m_skipped = true;
            } else {
                ADD_FAILURE() << m_compiler.log();
            }
        }
        return module;
    }
    static ProcessSpec spec(Module module, Priority priority = Priority::Normal) {
        ProcessSpec spec;
        spec.module = std::move(module);
        spec.priority = priority;
        return spec;
    }
    std::string exit_of(Kernel& kernel, ProcessId pid) {
        auto info = kernel.process(pid);
        if (!info || !info->exit) return "none";
        return info->exit->to_string();
    }

    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    KernelConfig config{.threads = 1, .fuel_per_milli = 1000};
    testing::GuestCompiler m_compiler;
    bool m_skipped = false;
};

#define ESTA_BUILD(var, name, code)                  \
    Module var = build(name, code);                  \
    if (m_skipped) GTEST_SKIP() << m_compiler.log(); \
    ASSERT_TRUE(var)

TEST_F(KernelRuntime, K1_SpawnRunsAProcessToItsExit) {
    ESTA_BUILD(module, "exit3", kExitsWithThree);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pid = kernel.spawn(spec(module));
    ASSERT_TRUE(pid.has_value()) << pid.error().to_string();
    EXPECT_EQ(kernel.process(*pid)->state, ProcessState::Ready);
    EXPECT_EQ(*kernel.run_until_idle(), 1u);
    EXPECT_EQ(exit_of(kernel, *pid), "code(3)");
    EXPECT_FALSE(kernel.process(ProcessId(99)).has_value());
}

TEST_F(KernelRuntime, K2_SlicesAreThePrioritysTimeInCalibratedFuel) {
    EXPECT_EQ(slice_fuel(Priority::Idle, 1000), 100'000u);
    EXPECT_EQ(slice_fuel(Priority::Low, 1000), 50'000u);
    EXPECT_EQ(slice_fuel(Priority::Normal, 1000), 25'000u);
    EXPECT_EQ(slice_fuel(Priority::High, 1000), 15'000u);
    EXPECT_EQ(slice_fuel(Priority::Realtime, 1000), 10'000u);
    EXPECT_GT(slice_fuel(Priority::System, 1000), u64{1} << 60);  // Runs to completion.

    ESTA_BUILD(looper, "looper", kLooper);
    config.fuel_per_milli = 1000;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId high = *kernel.spawn(spec(looper, Priority::High));
    EXPECT_EQ(*kernel.run_until_idle(4), 4u);
    EXPECT_EQ(kernel.process(high)->fuel_used, 4 * 15'000u);  // Exactly four slices.
    EXPECT_EQ(kernel.stats().context_switches, 4u);
}

TEST_F(KernelRuntime, K7_FairnessAndCountsUnderSaturation) {
    ESTA_BUILD(looper, "looper", kLooper);
    ESTA_BUILD(waiter, "waiter", kWaiter);
    config.fuel_per_milli = 100;
    config.threads = 2;
    Kernel kernel(clock, audit, dead_letters, config);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel.spawn(spec(looper)));
    ProcessId waiting = *kernel.spawn(spec(waiter));
    EXPECT_EQ(*kernel.run_until_idle(61), 61u);
    KernelStats stats = kernel.stats();
    EXPECT_EQ(stats.ready, 3u);
    EXPECT_EQ(stats.waiting, 1u);
    EXPECT_EQ(stats.blocked, 0u);
    EXPECT_EQ(stats.running, 0u);
    EXPECT_EQ(stats.context_switches, 61u);
    // Three always-runnable Normal processes over two schedulers (pids 1 and 3 on one,
    // pid 2 beside the waiter on the other): pid 2 gets 30 slices, pids 1 and 3 15 each,
    // so the least share against the equal one is 15 / (60 / 3) = 0.75.
    ASSERT_TRUE(stats.fairness[static_cast<u32>(Priority::Normal)].has_value());
    EXPECT_NEAR(*stats.fairness[static_cast<u32>(Priority::Normal)], 0.75, 1e-3);
    EXPECT_FALSE(stats.fairness[static_cast<u32>(Priority::Low)].has_value());
    EXPECT_EQ(kernel.process(waiting)->state, ProcessState::Waiting);
}

TEST_F(KernelRuntime, K7_OneSchedulerSharesALevelEqually) {
    ESTA_BUILD(looper, "looper", kLooper);
    config.fuel_per_milli = 100;
    Kernel kernel(clock, audit, dead_letters, config);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel.spawn(spec(looper)));
    EXPECT_EQ(*kernel.run_until_idle(30), 30u);
    clock.advance(kNanosPerSecond);
    KernelStats stats = kernel.stats();
    EXPECT_NEAR(*stats.fairness[static_cast<u32>(Priority::Normal)], 1.0, 1e-3);
    EXPECT_DOUBLE_EQ(stats.context_switches_per_second, 30.0);
}

TEST_F(KernelRuntime, K3_PingPongAcrossTwoSchedulersDeterministically) {
    ESTA_BUILD(ping, "ping", kPing);
    ESTA_BUILD(pong, "pong", kPong);
    config.threads = 2;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pong_pid = *kernel.spawn(spec(pong));
    ProcessSpec ping_spec = spec(ping);
    ping_spec.grants.push_back(GrantSpec{"peer", kernel.endpoint(pong_pid), Right::Write, 1});
    ProcessId ping_pid = *kernel.spawn(std::move(ping_spec));
    ASSERT_TRUE(kernel.grant(pong_pid, GrantSpec{"peer", kernel.endpoint(ping_pid), Right::Write}));
    EXPECT_NE(kernel.scheduler_of(ping_pid), kernel.scheduler_of(pong_pid));
    auto slices = kernel.run_until_idle();
    ASSERT_TRUE(slices.has_value());
    EXPECT_EQ(exit_of(kernel, ping_pid), "normal");
    EXPECT_EQ(exit_of(kernel, pong_pid), "normal");
    EXPECT_GE(*slices, 400u);
}

TEST_F(KernelRuntime, K3_CallParksTheCallerUntilTheReply) {
    ESTA_BUILD(doubler, "doubler", kDoubler);
    ESTA_BUILD(caller, "caller", kCaller);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec(doubler));
    ProcessSpec client_spec = spec(caller);
    client_spec.grants.push_back(GrantSpec{"server", kernel.endpoint(server), Right::Write});
    ProcessId client = *kernel.spawn(std::move(client_spec));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), "normal");
    EXPECT_EQ(kernel.process(server)->state, ProcessState::Waiting);  // Reactive: lives on.
    EXPECT_EQ(kernel.process(server)->failed_messages, 0u);
}

TEST_F(KernelRuntime, K3_CallTimesOutOnTheKernelClockWithoutAReply) {
    ESTA_BUILD(silent, "silent", kSilentServer);
    ESTA_BUILD(caller, "timed", kTimedCaller);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec(silent));
    ProcessSpec client_spec = spec(caller);
    client_spec.grants.push_back(GrantSpec{"server", kernel.endpoint(server), Right::Write});
    ProcessId client = *kernel.spawn(std::move(client_spec));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(client)->state, ProcessState::Waiting);  // No thread held.
    clock.advance(4 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(client)->state, ProcessState::Waiting);
    clock.advance(1 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client),
              "code(" + std::to_string(static_cast<int>(Status::Timeout)) + ")");
}

TEST_F(KernelRuntime, K3_AHandlerThatEndsWithoutReplyingFailsTheCall) {
    ESTA_BUILD(forgetful, "forgetful", kForgetfulServer);
    ESTA_BUILD(caller, "timed", kTimedCaller);
    ESTA_BUILD(lonely, "lonely", kReplyWithoutRequest);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec(forgetful));
    ProcessSpec client_spec = spec(caller);
    client_spec.grants.push_back(GrantSpec{"server", kernel.endpoint(server), Right::Write});
    ProcessId client = *kernel.spawn(std::move(client_spec));
    ProcessId replier = *kernel.spawn(spec(lonely));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client),
              "code(" + std::to_string(static_cast<int>(Status::NotFound)) + ")");
    EXPECT_EQ(exit_of(kernel, replier), "normal");  // reply with nothing to answer.
}

TEST_F(KernelRuntime, T2_NowIsTheTimeOfTheMessageBeingHandled) {
    ESTA_BUILD(teller, "teller", kTellsTheTime);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = *kernel.spawn(spec(teller));
    clock.set(7 * kNanosPerSecond);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {}));
    clock.set(9 * kNanosPerSecond);  // Handled later: `now` is still the message's time.
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, pid), "code(7)");
}

TEST_F(KernelRuntime, K31_PoisonMessageIsDeadLetteredAndTheNextIsHandled) {
    ESTA_BUILD(fragile, "fragile", kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids = kernel.supervise(RestartStrategy::OneForOne, {{"fragile", spec(fragile)}});
    ASSERT_TRUE(pids.has_value()) << pids.error().to_string();
    ProcessId pid = pids->at(0);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'Q'}));
    ASSERT_TRUE(kernel.run_until_idle());
    // The first restart is immediate (K-31); the poison message went to the sink.
    EXPECT_EQ(exit_of(kernel, pid), "code(5)");
    EXPECT_EQ(kernel.process(pid)->restarts, 1u);
    ASSERT_EQ(dead_letters.records().size(), 1u);
    EXPECT_EQ(dead_letters.records()[0].trap, wasm::TrapKind::Unreachable);
    EXPECT_EQ(dead_letters.records()[0].payload, std::vector<u8>{'X'});
    auto crashes = kernel.crash_reports();
    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].exit, "crashed(trap 4001)");
    EXPECT_EQ(crashes[0].trap, wasm::TrapKind::Unreachable);
    EXPECT_NE(crashes[0].trap_offset, 0u);  // The location of the trap.
    EXPECT_EQ(crashes[0].disposition, MessageDisposition::DeadLettered);
    EXPECT_EQ(crashes[0].level, EscalationLevel::RestartWithState);
    EXPECT_EQ(kernel.stats().dead_lettered, 1u);
}

TEST_F(KernelRuntime, K31_LaterRestartsWaitOnTheKernelClock) {
    ESTA_BUILD(fragile, "fragile", kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"f", spec(fragile)}})->at(0);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'Q'}));
    ASSERT_TRUE(kernel.run_until_idle());
    // Crash 1 -> immediate restart; crash 2 -> restart 2 waits 1000 ms.
    EXPECT_EQ(kernel.process(pid)->restarts, 1u);
    EXPECT_EQ(kernel.process(pid)->state, ProcessState::Completed);
    clock.advance(999 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->restarts, 1u);
    clock.advance(1 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->restarts, 2u);
    EXPECT_EQ(exit_of(kernel, pid), "code(5)");  // Queued messages survived the restarts.
    EXPECT_EQ(dead_letters.records().size(), 2u);
}

TEST_F(KernelRuntime, K32_OneForAllRestartsTheSiblingsToo) {
    ESTA_BUILD(fragile, "fragile", kFragile);
    ESTA_BUILD(waiter, "waiter", kWaiter);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids =
        *kernel.supervise(RestartStrategy::OneForAll, {{"a", spec(fragile)}, {"b", spec(waiter)}});
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.send(pids[0], MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pids[0])->restarts, 1u);
    EXPECT_EQ(kernel.process(pids[1])->restarts, 1u);
    EXPECT_EQ(kernel.process(pids[1])->state, ProcessState::Waiting);  // A new incarnation.
}

TEST_F(KernelRuntime, K1_ShutdownTellsEveryProcessAndKillsTheRest) {
    ESTA_BUILD(aware, "aware", kShutdownAware);
    ESTA_BUILD(looper, "looper", kLooper);
    config.fuel_per_milli = 100;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId listener = *kernel.spawn(spec(aware));
    ProcessId spinner = *kernel.spawn(spec(looper, Priority::Idle));
    ASSERT_TRUE(kernel.run_until_idle(10));
    kernel.shutdown();
    EXPECT_EQ(exit_of(kernel, listener), "code(7)");  // Saw SystemShutdown (0xFFFF).
    EXPECT_EQ(exit_of(kernel, spinner), "killed");
}

TEST(Watchdog, K43_RaisesTheInterruptOfASliceOverTheLimitOnce) {
    Watchdog watchdog(2, 500 * kNanosPerMilli);
    watchdog.begin(1, 0);
    EXPECT_EQ(watchdog.check(500 * kNanosPerMilli), 0u);  // At the limit is within it.
    EXPECT_FALSE(watchdog.interrupt_flag(1)->load());
    EXPECT_EQ(watchdog.check(501 * kNanosPerMilli), 1u);
    EXPECT_TRUE(watchdog.interrupt_flag(1)->load());
    EXPECT_FALSE(watchdog.interrupt_flag(0)->load());
    EXPECT_EQ(watchdog.check(900 * kNanosPerMilli), 0u);  // Counted once.
    watchdog.end(1);
    EXPECT_FALSE(watchdog.interrupt_flag(1)->load());  // Never leaks into the next slice.
    EXPECT_EQ(watchdog.check(2000 * kNanosPerMilli), 0u);
    EXPECT_EQ(watchdog.fired(), 1u);
}

TEST(FairnessMeter, K7_LeastShareAgainstTheEqualShare) {
    FairnessMeter meter(10 * kNanosPerSecond);
    meter.roll(0);
    meter.record(ProcessId(1), Priority::Normal, 100, ProcessState::Ready);
    meter.record(ProcessId(2), Priority::Normal, 300, ProcessState::Ready);
    meter.record(ProcessId(3), Priority::Normal, 5, ProcessState::Waiting);  // Not counted.
    meter.record(ProcessId(4), Priority::Low, 50, ProcessState::Ready);      // Alone.
    EXPECT_DOUBLE_EQ(*meter.current()[static_cast<u32>(Priority::Normal)], 0.5);
    EXPECT_FALSE(meter.current()[static_cast<u32>(Priority::Low)].has_value());
    meter.roll(9 * kNanosPerSecond);  // Not elapsed yet.
    EXPECT_FALSE(meter.last()[static_cast<u32>(Priority::Normal)].has_value());
    meter.roll(10 * kNanosPerSecond);
    EXPECT_DOUBLE_EQ(*meter.last()[static_cast<u32>(Priority::Normal)], 0.5);
    EXPECT_FALSE(meter.current()[static_cast<u32>(Priority::Normal)].has_value());
}

}  // namespace
}  // namespace esta::kernel
