// The runtime on real scheduler threads. Nothing here depends on timing to pass: each test
// waits (with a generous bound) for an outcome that must eventually happen.
#include <gtest/gtest.h>

#include "kernel/runtime/guest_test.h"

namespace esta::kernel {
namespace {

using testing::exit_of;
using testing::Module;
using testing::spec_of;
namespace guest = testing::guest;

constexpr Nanos kPatience = 60 * kNanosPerSecond;

class KernelThreads : public testing::GuestTest {
  protected:
    protocol::SystemClock clock;
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
};

TEST_F(KernelThreads, K2_PingPongAcrossTwoSchedulerThreads) {
    ESTA_BUILD(ping, "ping", guest::ping(2000));
    ESTA_BUILD(pong, "pong", guest::pong(2000));
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 2});
    auto pair = testing::spawn_pair(kernel, ping, pong);
    ProcessId ping_pid = pair.first;
    ProcessId pong_pid = pair.second;
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
    ESTA_BUILD(caller, "caller", guest::caller(1000, "i + 1"));
    ESTA_BUILD(server, "incrementer", guest::arithmetic_server("v + 1"));
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 2});
    ProcessId server_pid = *kernel.spawn(spec_of(server));
    std::vector<ProcessId> callers;
    for (int i = 0; i < 3; ++i) {
        callers.push_back(testing::spawn_client(kernel, caller, server_pid));
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
    ESTA_BUILD(spinner, "spinner", guest::kFragile);
    KernelConfig config{.threads = 1, .watchdog_limit = 20 * kNanosPerMilli};
    config.watchdog_period = 2 * kNanosPerMilli;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessSpec child = spec_of(spinner);
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
    ESTA_BUILD(looper, "looper", guest::kLooper);
    KernelConfig config{.threads = 2, .shutdown_grace = 10 * kNanosPerMilli};
    Kernel kernel(clock, audit, dead_letters, config);
    std::vector<ProcessId> pids;
    for (int i = 0; i < 4; ++i)
        pids.push_back(*kernel.spawn(spec_of(looper, Priority::Low)));
    ASSERT_TRUE(kernel.start());
    kernel.shutdown();  // Slices end at the fuel mark; the threads then stop.
    for (ProcessId pid : pids)
        EXPECT_EQ(exit_of(kernel, pid), "killed");
    kernel.shutdown();  // Idempotent.
}

}  // namespace
}  // namespace esta::kernel
