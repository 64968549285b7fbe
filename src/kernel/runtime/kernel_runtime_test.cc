#include "kernel/runtime/kernel_runtime.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "kernel/guardrails/test_sink.h"
#include "kernel/runtime/guest_test.h"

namespace esta::kernel {
namespace {

using testing::exit_of;
using testing::exit_with;
using testing::Module;
using testing::spec_of;
namespace guest = testing::guest;

constexpr const char* kExitsWithThree = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) { esta_exit(3); }
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

using KernelRuntime = testing::KernelGuestTest;

TEST_F(KernelRuntime, K1_SpawnRunsAProcessToItsExit) {
    ESTA_BUILD(module, "exit3", kExitsWithThree);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pid = kernel.spawn(spec_of(module));
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

    ESTA_BUILD(looper, "looper", guest::kLooper);
    config.fuel_per_milli = 1000;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId high = *kernel.spawn(spec_of(looper, Priority::High));
    // Each slice has exactly 15 000 fuel, a leftover included: no slice runs more, and
    // what one leaves (less than the next instruction's cost) is spent in the next one.
    u64 used = 0;
    for (int slice = 0; slice < 4; ++slice) {
        EXPECT_EQ(*kernel.run_until_idle(1), 1u);
        u64 now_used = kernel.process(high)->fuel_used;
        EXPECT_LE(now_used - used, 15'000u);
        EXPECT_GE(now_used - used, 15'000u - 8);
        used = now_used;
    }
    EXPECT_LE(used, 4 * 15'000u);
    EXPECT_GE(used, 4 * 15'000u - 8);
    EXPECT_EQ(kernel.stats().context_switches, 4u);
}

TEST_F(KernelRuntime, K7_FairnessAndCountsUnderSaturation) {
    ESTA_BUILD(looper, "looper", guest::kLooper);
    ESTA_BUILD(waiter, "waiter", guest::kWaiter);
    config.fuel_per_milli = 100;
    config.threads = 2;
    Kernel kernel(clock, audit, dead_letters, config);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel.spawn(spec_of(looper)));
    ProcessId waiting = *kernel.spawn(spec_of(waiter));
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
    ESTA_BUILD(looper, "looper", guest::kLooper);
    config.fuel_per_milli = 100;
    Kernel kernel(clock, audit, dead_letters, config);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel.spawn(spec_of(looper)));
    EXPECT_EQ(*kernel.run_until_idle(30), 30u);
    clock.advance(kNanosPerSecond);
    KernelStats stats = kernel.stats();
    EXPECT_NEAR(*stats.fairness[static_cast<u32>(Priority::Normal)], 1.0, 1e-3);
    EXPECT_DOUBLE_EQ(stats.context_switches_per_second, 30.0);
}

TEST_F(KernelRuntime, K3_PingPongAcrossTwoSchedulersDeterministically) {
    ESTA_BUILD(ping, "ping", guest::ping(200));
    ESTA_BUILD(pong, "pong", guest::pong(200));
    config.threads = 2;
    Kernel kernel(clock, audit, dead_letters, config);
    auto pair = testing::spawn_pair(kernel, ping, pong);
    ProcessId ping_pid = pair.first;
    ProcessId pong_pid = pair.second;
    EXPECT_NE(kernel.scheduler_of(ping_pid), kernel.scheduler_of(pong_pid));
    auto slices = kernel.run_until_idle();
    ASSERT_TRUE(slices.has_value());
    EXPECT_EQ(exit_of(kernel, ping_pid), "normal");
    EXPECT_EQ(exit_of(kernel, pong_pid), "normal");
    EXPECT_GE(*slices, 400u);
}

TEST_F(KernelRuntime, K3_CallParksTheCallerUntilTheReply) {
    ESTA_BUILD(doubler, "doubler", guest::arithmetic_server("v * 2"));
    ESTA_BUILD(caller, "caller", guest::caller(50, "2 * i"));
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec_of(doubler));
    ProcessId client = testing::spawn_client(kernel, caller, server);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), "normal");
    EXPECT_EQ(kernel.process(server)->state, ProcessState::Waiting);  // Reactive: lives on.
    EXPECT_EQ(kernel.process(server)->failed_messages, 0u);
}

TEST_F(KernelRuntime, K3_CallTimesOutOnTheKernelClockWithoutAReply) {
    ESTA_BUILD(silent, "silent", kSilentServer);
    ESTA_BUILD(caller, "timed", kTimedCaller);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec_of(silent));
    ProcessId client = testing::spawn_client(kernel, caller, server);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(client)->state, ProcessState::Waiting);  // No thread held.
    clock.advance(4 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(client)->state, ProcessState::Waiting);
    clock.advance(1 * kNanosPerMilli);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), exit_with(Status::Timeout));
}

TEST_F(KernelRuntime, K3_AHandlerThatEndsWithoutReplyingFailsTheCall) {
    ESTA_BUILD(forgetful, "forgetful", kForgetfulServer);
    ESTA_BUILD(caller, "timed", kTimedCaller);
    ESTA_BUILD(lonely, "lonely", kReplyWithoutRequest);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec_of(forgetful));
    ProcessId client = testing::spawn_client(kernel, caller, server);
    ProcessId replier = *kernel.spawn(spec_of(lonely));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), exit_with(Status::NotFound));
    EXPECT_EQ(exit_of(kernel, replier), "normal");  // reply with nothing to answer.
}

TEST_F(KernelRuntime, T2_NowIsTheTimeOfTheMessageBeingHandled) {
    ESTA_BUILD(teller, "teller", kTellsTheTime);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = *kernel.spawn(spec_of(teller));
    clock.set(7 * kNanosPerSecond);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {}));
    clock.set(9 * kNanosPerSecond);  // Handled later: `now` is still the message's time.
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, pid), "code(7)");
}

TEST_F(KernelRuntime, K31_PoisonMessageIsDeadLetteredAndTheNextIsHandled) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids = kernel.supervise(RestartStrategy::OneForOne, {{"fragile", spec_of(fragile)}});
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
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"f", spec_of(fragile)}})->at(0);
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
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    ESTA_BUILD(waiter, "waiter", guest::kWaiter);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids = *kernel.supervise(RestartStrategy::OneForAll,
                                  {{"a", spec_of(fragile)}, {"b", spec_of(waiter)}});
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.send(pids[0], MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pids[0])->restarts, 1u);
    EXPECT_EQ(kernel.process(pids[1])->restarts, 1u);
    EXPECT_EQ(kernel.process(pids[1])->state, ProcessState::Waiting);  // A new incarnation.
}

// Sends a poison message to `pid`, runs until it crashed, then lets the kernel clock
// reach the restart and runs the new incarnation. Returns the crash's report.
CrashReport crash_once(Kernel& kernel, protocol::ManualClock& clock, ProcessId pid) {
    std::size_t before = kernel.crash_reports().size();
    EXPECT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    EXPECT_TRUE(kernel.run_until_idle());
    std::vector<CrashReport> crashes = kernel.crash_reports();
    EXPECT_EQ(crashes.size(), before + 1);
    CrashReport report = crashes.back();
    if (report.restart_at && *report.restart_at > clock.now_ns()) clock.set(*report.restart_at);
    EXPECT_TRUE(kernel.run_until_idle());
    return report;
}

class RecordingNode final : public SystemEscalation {
  public:
    void restart_system(ProcessId failed, Nanos now) override { calls.emplace_back(failed, now); }
    std::vector<std::pair<ProcessId, Nanos>> calls;
};

TEST_F(KernelRuntime, K30_TheLadderClimbsToL5AndTellsTheNode) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    testing::RecordingSink safety;
    RecordingNode node;
    config.safety = &safety;
    config.system = &node;
    Kernel kernel(clock, audit, dead_letters, config);
    u32 reloads_a = 0;
    u32 reloads_b = 0;
    ProcessSpec a = spec_of(fragile);
    a.reload = [&reloads_a, fragile]() -> Result<Module> {
        ++reloads_a;
        return fragile;
    };
    ProcessSpec b = spec_of(fragile);
    b.reload = [&reloads_b, fragile]() -> Result<Module> {
        ++reloads_b;
        return fragile;
    };
    auto pids = *kernel.supervise(RestartStrategy::OneForOne, {{"a", a}, {"b", b}});
    ASSERT_TRUE(kernel.run_until_idle());

    using L = EscalationLevel;
    const std::vector<L> expected = {L::RestartWithState, L::RestartWithState, L::RestartClean,
                                     L::RestartClean,     L::RestartClean,     L::ReloadModule,
                                     L::ReloadModule,     L::ReloadModule,     L::RestartSupervisor,
                                     L::RestartSystem};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        Nanos at = clock.now_ns();
        CrashReport report = crash_once(kernel, clock, pids[0]);
        EXPECT_EQ(report.level, expected[i]) << "failure " << i + 1;
        // K-31 per level: the first restart at a level is immediate.
        if (i == 2 || i == 5 || i == 8) {
            EXPECT_EQ(report.restart_at, at) << "failure " << i + 1;
        }
    }
    EXPECT_EQ(reloads_a, 5u);  // Three L3 restarts, then L4 and L5.
    EXPECT_EQ(reloads_b, 2u);  // The sibling: with the supervisor (L4) and the system (L5).
    EXPECT_EQ(kernel.process(pids[1])->restarts, 2u);
    ASSERT_EQ(node.calls.size(), 1u);
    EXPECT_EQ(node.calls[0].first, pids[0]);
    EXPECT_EQ(kernel.stats().system_restarts, 1u);
    EXPECT_EQ(safety.count("supervision.system_restart"), 1u);
    // The system restarted: its supervisors start over at L1.
    EXPECT_EQ(crash_once(kernel, clock, pids[0]).level, L::RestartWithState);
}

TEST_F(KernelRuntime, K30_AnL2RestartIsCleanAnL1RestartKeepsTheQueue) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"f", spec_of(fragile)}})->at(0);
    // L1: the message queued behind the poison one is handled by the new incarnation.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'k'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->restarts, 1u);
    EXPECT_GT(kernel.process(pid)->fuel_used, 0u);
    EXPECT_EQ(dead_letters.records().size(), 1u);  // Only the poison one.
    crash_once(kernel, clock, pid);
    // The third failure within 60 s is answered at L2: what is queued is not delivered.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'b'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.crash_reports().back().level, EscalationLevel::RestartClean);
    ASSERT_EQ(dead_letters.records().size(), 5u);
    EXPECT_EQ(dead_letters.records()[3].payload, std::vector<u8>{'a'});
    EXPECT_EQ(dead_letters.records()[4].payload, std::vector<u8>{'b'});
    EXPECT_EQ(dead_letters.records()[4].trap, wasm::TrapKind::None);  // Never handled.
    EXPECT_EQ(kernel.process(pid)->state, ProcessState::Waiting);
    EXPECT_EQ(kernel.process(pid)->fuel_used, 0u);
}

TEST_F(KernelRuntime, K30_AChildStableForTheWindowStartsOver) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    config.stable_after = 10 * kNanosPerSecond;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"f", spec_of(fragile)}})->at(0);
    crash_once(kernel, clock, pid);
    crash_once(kernel, clock, pid);  // Restart 2 waited 1 s.
    // Not yet stable: the next crash would be restart 3 (2 s) and the third in 60 s (L2).
    clock.advance(10 * kNanosPerSecond - 1);
    ASSERT_TRUE(kernel.run_until_idle());
    clock.advance(1);
    ASSERT_TRUE(kernel.run_until_idle());  // Stable now: escalation and backoff start over.
    Nanos at = clock.now_ns();
    CrashReport report = crash_once(kernel, clock, pid);
    EXPECT_EQ(report.level, EscalationLevel::RestartWithState);
    EXPECT_EQ(report.restart_at, at);  // Immediate again.
}

TEST_F(KernelRuntime, K30_AFailureBeforeStableKeepsTheHistory) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    config.stable_after = 10 * kNanosPerSecond;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"f", spec_of(fragile)}})->at(0);
    crash_once(kernel, clock, pid);
    crash_once(kernel, clock, pid);
    clock.advance(10 * kNanosPerSecond - 2);
    Nanos at = clock.now_ns();
    CrashReport report = crash_once(kernel, clock, pid);
    EXPECT_EQ(report.level, EscalationLevel::RestartClean);
    EXPECT_EQ(report.restart_at, at);  // First at L2: immediate.
    Nanos second_at = clock.now_ns();
    report = crash_once(kernel, clock, pid);
    EXPECT_EQ(report.level, EscalationLevel::RestartClean);
    EXPECT_EQ(report.restart_at, second_at + kNanosPerSecond);  // Second at L2: 1000 ms.
}

TEST_F(KernelRuntime, K1_ShutdownTellsEveryProcessAndKillsTheRest) {
    ESTA_BUILD(aware, "aware", kShutdownAware);
    ESTA_BUILD(looper, "looper", guest::kLooper);
    config.fuel_per_milli = 100;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId listener = *kernel.spawn(spec_of(aware));
    ProcessId spinner = *kernel.spawn(spec_of(looper, Priority::Idle));
    ASSERT_TRUE(kernel.run_until_idle(10));
    kernel.shutdown();
    EXPECT_EQ(exit_of(kernel, listener), "code(7)");  // Saw SystemShutdown (0xFFFF).
    EXPECT_EQ(exit_of(kernel, spinner), "killed");
}

SendOptions due(Nanos deadline, MissPolicy policy = MissPolicy::DeliverLate) {
    SendOptions options;
    options.deadline = deadline;
    options.on_miss = policy;
    return options;
}

TEST_F(KernelRuntime, K53_RealtimeHandlersRunEarliestDeadlineFirst) {
    ESTA_BUILD(handler, "handler", kForgetfulServer);
    Kernel kernel(clock, audit, dead_letters, config);
    Nanos now = clock.now_ns();
    std::vector<ProcessId> pids;
    for (int i = 0; i < 3; ++i)
        pids.push_back(*kernel.spawn(spec_of(handler, Priority::Realtime)));
    EXPECT_EQ(*kernel.run_until_idle(), 3u);  // Each waits for its first message.
    ASSERT_TRUE(kernel.send(pids[0], MessageType(0x40), {}, due(now + 300)));
    ASSERT_TRUE(kernel.send(pids[1], MessageType(0x40), {}, due(now + 100)));
    ASSERT_TRUE(kernel.send(pids[2], MessageType(0x40), {}, due(now + 200)));
    std::vector<ProcessId> order;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(*kernel.run_until_idle(1), 1u);
        for (ProcessId pid : pids) {
            if (kernel.process(pid)->fuel_used > 0 &&
                std::find(order.begin(), order.end(), pid) == order.end())
                order.push_back(pid);
        }
    }
    EXPECT_EQ(order, (std::vector<ProcessId>{pids[1], pids[2], pids[0]}));
    EXPECT_EQ(kernel.stats().deadline_misses, 0u);
}

TEST_F(KernelRuntime, K53_AMissedDeadlineIsCountedReportedAndHandledByPolicy) {
    ESTA_BUILD(handler, "handler", kForgetfulServer);
    testing::RecordingSink safety;
    config.safety = &safety;
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId late = *kernel.spawn(spec_of(handler, Priority::Realtime));
    ProcessId dropped = *kernel.spawn(spec_of(handler, Priority::Realtime));
    ProcessId escalated = *kernel.spawn(spec_of(handler, Priority::Realtime));
    ProcessId on_time = *kernel.spawn(spec_of(handler, Priority::Realtime));
    EXPECT_EQ(*kernel.run_until_idle(), 4u);
    Nanos deadline = clock.now_ns() + kNanosPerMilli;
    ASSERT_TRUE(kernel.send(late, MessageType(0x40), {1}, due(deadline)));
    ASSERT_TRUE(kernel.send(dropped, MessageType(0x41), {2}, due(deadline, MissPolicy::Drop)));
    ASSERT_TRUE(
        kernel.send(escalated, MessageType(0x42), {3}, due(deadline, MissPolicy::Escalate)));
    ASSERT_TRUE(kernel.send(on_time, MessageType(0x43), {4}, due(deadline + 1)));
    clock.advance(kNanosPerMilli + 1);     // One past `deadline`; exactly at the other's.
    ASSERT_TRUE(kernel.run_until_idle());  // The two woken for dropped messages find none.

    EXPECT_GT(kernel.process(late)->fuel_used, 0u);     // Delivered, late.
    EXPECT_GT(kernel.process(on_time)->fuel_used, 0u);  // Exactly at: on time.
    EXPECT_EQ(kernel.process(dropped)->fuel_used, 0u);
    EXPECT_EQ(kernel.process(escalated)->fuel_used, 0u);
    KernelStats stats = kernel.stats();
    EXPECT_EQ(stats.deadline_misses, 3u);
    EXPECT_EQ(stats.deadline_misses_by_policy[static_cast<u32>(MissPolicy::DeliverLate)], 1u);
    EXPECT_EQ(stats.deadline_misses_by_policy[static_cast<u32>(MissPolicy::Drop)], 1u);
    EXPECT_EQ(stats.deadline_misses_by_policy[static_cast<u32>(MissPolicy::Escalate)], 1u);
    EXPECT_EQ(stats.dead_lettered, 2u);
    ASSERT_EQ(dead_letters.records().size(), 2u);
    EXPECT_EQ(dead_letters.records()[0].process, dropped);
    EXPECT_EQ(dead_letters.records()[0].deadline, deadline);
    EXPECT_EQ(dead_letters.records()[0].payload, std::vector<u8>{2});
    EXPECT_EQ(dead_letters.records()[1].process, escalated);
    ASSERT_EQ(safety.count("deadline.missed"), 3u);
    std::size_t alarms = 0;
    for (const auto& entry : safety.entries) {
        EXPECT_EQ(entry.limit, deadline);
        EXPECT_EQ(entry.at, clock.now_ns());
        alarms += entry.severity == SafetySeverity::Alarm ? 1 : 0;
    }
    EXPECT_EQ(alarms, 1u);  // The escalated one.
}

TEST_F(KernelRuntime, K53_ADeadlinePassingWhileAnotherRunsIsStillCaught) {
    // The receiver is busy behind a Realtime looper: the sweep before each slice finds
    // the miss on the kernel clock although the message is never taken.
    ESTA_BUILD(looper, "looper", guest::kLooper);
    ESTA_BUILD(handler, "handler", kForgetfulServer);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId busy = *kernel.spawn(spec_of(looper, Priority::Realtime));
    ProcessId starved = *kernel.spawn(spec_of(handler, Priority::Normal));
    ASSERT_TRUE(kernel.send(starved, MessageType(0x40), {},
                            due(clock.now_ns() + 5 * kNanosPerMilli, MissPolicy::Drop)));
    for (int slice = 0; slice < 10; ++slice) {
        ASSERT_EQ(*kernel.run_until_idle(1), 1u);
        clock.advance(kNanosPerMilli);
    }
    EXPECT_EQ(kernel.process(starved)->fuel_used, 0u);
    EXPECT_GT(kernel.process(busy)->fuel_used, 0u);
    EXPECT_EQ(kernel.stats().deadline_misses, 1u);
    EXPECT_EQ(dead_letters.records().size(), 1u);
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
