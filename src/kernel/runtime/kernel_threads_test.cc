// The runtime on real scheduler threads. Nothing here depends on timing to pass: each test
// waits (with a generous bound) for an outcome that must eventually happen.
#include <gtest/gtest.h>

#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using Module = std::shared_ptr<const wasm::CompiledModule>;

constexpr Nanos kPatience = 60 * kNanosPerSecond;

constexpr const char* kPing = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (int i = 0; i < 2000; ++i) {
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
    for (int i = 0; i < 2000; ++i) {
        if (esta_recv(ESTA_RECV_FOREVER, 0x10, buf, sizeof buf, &info) != 4) esta_exit(93);
        if (esta_send(peer, 0x11, "pong", 4, 0, 0, 0) < 0) esta_exit(94);
    }
    esta_exit(0);
}
)";

constexpr const char* kCaller = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    for (esta_u32 i = 1; i <= 1000; ++i) {
        esta_u32 out = 0;
        if (esta_call(server, 0x20, &i, 4, &out, 4, ESTA_RECV_FOREVER) != 4) esta_exit(91);
        if (out != i + 1) esta_exit(92);
    }
    esta_exit(0);
}
)";

constexpr const char* kIncrementer = R"(#include "estalogic.h"
static unsigned char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) != 4) return -1;
    esta_u32 v = buf[0] | (buf[1] << 8) | (buf[2] << 16) | ((esta_u32)buf[3] << 24);
    v += 1;
    return esta_reply(0x21, &v, 4, 0, 0) == 0 ? 0 : -2;
}
)";

// Reactive: 'S' spins until the watchdog stops it; 'Q' exits with 5.
constexpr const char* kSpinner = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
volatile unsigned counter;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'S') for (;;) counter++;
    if (buf[0] == 'Q') esta_exit(5);
    return 0;
}
)";

constexpr const char* kLooper = R"(#include "estalogic.h"
volatile unsigned counter;
__attribute__((export_name("_start"))) void start(void) { for (;;) counter++; }
)";

class KernelThreads : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why = m_compiler.prepare();
        if (!why.empty()) GTEST_SKIP() << why;
    }
    Module build(const std::string& name, const char* code) {
        Module module = m_compiler.build(name, code);
        if (!module && !m_compiler.toolchain_missing()) ADD_FAILURE() << m_compiler.log();
        return module;
    }
    static ProcessSpec spec(Module module, Priority priority = Priority::Normal) {
        ProcessSpec spec;
        spec.module = std::move(module);
        spec.priority = priority;
        return spec;
    }
    static std::string exit_of(Kernel& kernel, ProcessId pid) {
        auto info = kernel.process(pid);
        return info && info->exit ? info->exit->to_string() : "none";
    }

    protocol::SystemClock clock;
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    testing::GuestCompiler m_compiler;
};

TEST_F(KernelThreads, K2_PingPongAcrossTwoSchedulerThreads) {
    Module ping = build("ping", kPing);
    Module pong = build("pong", kPong);
    if (!ping || !pong) GTEST_SKIP() << m_compiler.log();
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 2});
    ProcessId pong_pid = *kernel.spawn(spec(pong));
    ProcessSpec ping_spec = spec(ping);
    ping_spec.grants.push_back(GrantSpec{"peer", kernel.endpoint(pong_pid), Right::Write});
    ProcessId ping_pid = *kernel.spawn(std::move(ping_spec));
    ASSERT_TRUE(kernel.grant(pong_pid, GrantSpec{"peer", kernel.endpoint(ping_pid), Right::Write}));
    ASSERT_NE(kernel.scheduler_of(ping_pid), kernel.scheduler_of(pong_pid));
    ASSERT_TRUE(kernel.start());
    EXPECT_FALSE(kernel.run_until_idle().has_value());  // Not while the threads run.
    ASSERT_TRUE(kernel.wait_idle(kPatience));
    EXPECT_EQ(exit_of(kernel, ping_pid), "normal");
    EXPECT_EQ(exit_of(kernel, pong_pid), "normal");
    EXPECT_GE(kernel.stats().context_switches, 2u);  // How many depends on the interleaving.
    kernel.shutdown();
}

TEST_F(KernelThreads, K3_CallsAcrossThreadsNeverLoseAWakeUp) {
    Module caller = build("caller", kCaller);
    Module server = build("incrementer", kIncrementer);
    if (!caller || !server) GTEST_SKIP() << m_compiler.log();
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 2});
    ProcessId server_pid = *kernel.spawn(spec(server));
    std::vector<ProcessId> callers;
    for (int i = 0; i < 3; ++i) {
        ProcessSpec client = spec(caller);
        client.grants.push_back(GrantSpec{"server", kernel.endpoint(server_pid), Right::Write});
        callers.push_back(*kernel.spawn(std::move(client)));
    }
    ASSERT_TRUE(kernel.start());
    ASSERT_TRUE(kernel.wait_idle(kPatience));
    for (ProcessId pid : callers)
        EXPECT_EQ(exit_of(kernel, pid), "normal");
    EXPECT_EQ(kernel.process(server_pid)->state, ProcessState::Waiting);
    kernel.shutdown();
    EXPECT_EQ(exit_of(kernel, server_pid), "killed");  // Reactive: ended by the shutdown.
}

TEST_F(KernelThreads, T4_WatchdogStopsALongSliceAndTheMessageIsRetriedOnce) {
    Module spinner = build("spinner", kSpinner);
    if (!spinner) GTEST_SKIP() << m_compiler.log();
    KernelConfig config{.threads = 1, .watchdog_limit = 20 * kNanosPerMilli};
    config.watchdog_period = 2 * kNanosPerMilli;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessSpec child = spec(spinner);
    child.slice_fuel = u64{1} << 60;  // Only the watchdog can stop the spin.
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"spinner", child}})->at(0);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'S'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'Q'}));
    ASSERT_TRUE(kernel.start());
    // 'S' traps 3001, is delivered once more (first in line), traps again and goes to the
    // dead-letter sink; then 'Q' ends the process. The second restart waits 1 s (K-31).
    ASSERT_TRUE(kernel.wait_idle(kPatience));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (exit_of(kernel, pid) != "code(5)" && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(exit_of(kernel, pid), "code(5)");
    kernel.shutdown();
    auto crashes = kernel.crash_reports();
    ASSERT_EQ(crashes.size(), 2u);
    EXPECT_EQ(crashes[0].trap, wasm::TrapKind::Timeout);
    EXPECT_EQ(crashes[0].disposition, MessageDisposition::Retry);
    EXPECT_EQ(crashes[1].trap, wasm::TrapKind::Timeout);
    EXPECT_EQ(crashes[1].disposition, MessageDisposition::DeadLettered);
    EXPECT_EQ(crashes[0].message_seq, crashes[1].message_seq);  // The same message.
    KernelStats stats = kernel.stats();
    EXPECT_EQ(stats.retried_messages, 1u);
    EXPECT_EQ(stats.watchdog_interrupts, 2u);
    ASSERT_EQ(dead_letters.records().size(), 1u);
    EXPECT_EQ(dead_letters.records()[0].attempts, 2u);
}

TEST_F(KernelThreads, K1_ShutdownJoinsThreadsWithGuestsStillSpinning) {
    Module looper = build("looper", kLooper);
    if (!looper) GTEST_SKIP() << m_compiler.log();
    KernelConfig config{.threads = 2, .shutdown_grace = 10 * kNanosPerMilli};
    Kernel kernel(clock, audit, dead_letters, config);
    std::vector<ProcessId> pids;
    for (int i = 0; i < 4; ++i)
        pids.push_back(*kernel.spawn(spec(looper, Priority::Low)));
    ASSERT_TRUE(kernel.start());
    kernel.shutdown();  // Slices end at the fuel mark; the threads then stop.
    for (ProcessId pid : pids)
        EXPECT_EQ(exit_of(kernel, pid), "killed");
    kernel.shutdown();  // Idempotent.
}

}  // namespace
}  // namespace esta::kernel
