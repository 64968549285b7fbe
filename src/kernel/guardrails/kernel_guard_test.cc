// The guardrails and the real-time accounting on the kernel's real paths: real guests run
// by the Kernel runtime on an injected clock, with KernelGuard given as its safety hooks.
#include "kernel/guardrails/kernel_guard.h"

#include <gtest/gtest.h>

#include "kernel/audit_log_object.h"
#include "kernel/guardrails/test_sink.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using Module = std::shared_ptr<const wasm::CompiledModule>;
constexpr Nanos kMs = kNanosPerMilli;

// Reactive: 'X' traps (4001), 'L' works for several slices, 'Q' exits with 5, else returns.
constexpr const char* kWorker = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
volatile unsigned counter;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'X') __builtin_trap();
    if (buf[0] == 'L') for (unsigned i = 0; i < 400000; ++i) counter++;
    if (buf[0] == 'Q') esta_exit(5);
    return 0;
}
)";

// Sends one message of 1 MiB + 1 bytes to "peer", then one of exactly 1 MiB.
constexpr const char* kBigSender = R"(#include "estalogic.h"
static char big[1048577];
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    esta_i64 over = esta_send(peer, 0x10, big, sizeof big, 0, 0, 0);
    esta_i64 equal = esta_send(peer, 0x10, big, sizeof big - 1, 0, 0, 0);
    esta_exit(over == -ESTA_PAYLOAD_TOO_LARGE && equal >= 0 ? 0 : 1);
}
)";

constexpr const char* kAuditor = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_exit(esta_audit("decision", 8, "{}", 2) >= 0 ? 0 : 1);
}
)";

// Every reading moves the time on by `step` (a slow host, deterministically).
class SteppingClock final : public protocol::Clock {
  public:
    SteppingClock(Nanos start, Nanos step) : m_now(start), m_step(step) {}
    Nanos now_ns() const override { return m_now += m_step; }

  private:
    mutable Nanos m_now;
    Nanos m_step;
};

class CountingAuditLog final : public KernelAuditLog {
  public:
    Result<u64> append(ProcessId, std::string_view, std::span<const u8>) override {
        return ++m_count;
    }

  private:
    u64 m_count = 0;
};

class KernelGuardTest : public ::testing::Test {
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
    static ProcessSpec spec(Module module) {
        ProcessSpec spec;
        spec.module = std::move(module);
        return spec;
    }
    SyscallServices services(SafetyHooks& hooks) {
        SyscallServices services;
        services.safety = &hooks;
        return services;
    }
    u64 violations(std::string_view limit) {
        return metrics
            .counter(observe::make_metric_spec(observe::MetricType::Counter,
                                               "kernel.limit_violations", "", {"limit", "action"}),
                     {limit, "fail_immediately"})
            .value();
    }

    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    KernelConfig config{.threads = 1, .fuel_per_milli = 1000};
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    testing::GuestCompiler m_compiler;
    bool m_skipped = false;
};

#define ESTA_BUILD(var, name, code)                  \
    Module var = build(name, code);                  \
    if (m_skipped) GTEST_SKIP() << m_compiler.log(); \
    ASSERT_TRUE(var)

TEST_F(KernelGuardTest, K40_FiveCrashesIn60sQuarantineTheModuleAndHoldItsRestarts) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    auto pids = kernel.supervise(RestartStrategy::OneForOne,
                                 {{"fragile", spec(worker)}, {"steady", spec(worker)}});
    ASSERT_TRUE(pids.has_value()) << pids.error().to_string();
    ProcessId fragile = pids->at(0);
    RegionId region = *guard.region_of(fragile);
    RegionId steady = *guard.region_of(pids->at(1));
    EXPECT_EQ(guard.find("fragile"), region);
    ASSERT_TRUE(kernel.run_until_idle());

    for (u32 crash = 1; crash <= 5; ++crash) {
        ASSERT_TRUE(kernel.send(fragile, MessageType(0x30), {'X'}));
        ASSERT_TRUE(kernel.run_until_idle());
        EXPECT_EQ(*guard.state(region),
                  crash < 5 ? RegionState::Degraded : RegionState::Quarantined);
        clock.advance(9 * kNanosPerSecond);  // Past each backoff (1, 2, 4, 8 s).
        ASSERT_TRUE(kernel.run_until_idle());
    }
    // Quarantined: the fifth crash's restart is held however long we wait in the window.
    EXPECT_EQ(kernel.process(fragile)->restarts, 4u);
    EXPECT_EQ(kernel.process(fragile)->state, ProcessState::Completed);
    clock.advance(60 * kNanosPerSecond);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(fragile)->restarts, 4u);
    // The fault stayed in its region: the kernel and the sibling are healthy.
    EXPECT_EQ(*guard.state(guard.kernel_region()), RegionState::Healthy);
    EXPECT_EQ(*guard.state(steady), RegionState::Healthy);
    EXPECT_EQ(sink.count("region.quarantined"), 1u);

    // Recovery within 300 s lets the restart go, and the new instance serves. (The restart
    // is at escalation level L3, which starts clean: a message queued before it would be
    // dead-lettered, so this one is sent after.)
    ASSERT_TRUE(guard.recover(region));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(fragile)->restarts, 5u);
    ASSERT_TRUE(kernel.send(fragile, MessageType(0x30), {'Q'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(fragile)->exit->to_string(), "code(5)");
}

TEST_F(KernelGuardTest, K40_ANamedSpawnsInstancesShareTheRegionOfItsName) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessSpec named = spec(worker);
    named.name = "rules";
    ProcessId first = *kernel.spawn(named);
    ProcessId second = *kernel.spawn(named);
    ProcessId anonymous = *kernel.spawn(spec(worker));
    ASSERT_TRUE(guard.find("rules"));
    EXPECT_EQ(guard.region_of(first), guard.find("rules"));
    EXPECT_EQ(guard.region_of(second), guard.find("rules"));
    EXPECT_EQ(guard.region_of(anonymous),
              guard.find("process." + std::to_string(anonymous.value())));
    ASSERT_TRUE(guard.add_driver("kv"));
    ASSERT_TRUE(guard.request_quarantine(*guard.find("driver.kv")));
    guard.serve();
    std::vector<std::string> listed;
    for (const auto& region : guard.regions())
        listed.push_back(region.name + "=" + std::string(region_state_name(region.state)));
    EXPECT_EQ(listed,
              (std::vector<std::string>{"kernel=healthy", "rules=healthy",
                                        "process." + std::to_string(anonymous.value()) + "=healthy",
                                        "driver.kv=quarantined"}));
}

TEST_F(KernelGuardTest, K40_AQuarantinePastTheRecoveryWindowEscalatesToTheKernel) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"m", spec(worker)}})->at(0);
    RegionId region = *guard.region_of(pid);
    ASSERT_TRUE(guard.request_quarantine(region));
    guard.serve();
    EXPECT_EQ(*guard.state(region), RegionState::Quarantined);
    clock.advance(301 * kNanosPerSecond);
    guard.serve();
    EXPECT_EQ(*guard.state(region), RegionState::Escalated);
    EXPECT_EQ(*guard.state(guard.kernel_region()), RegionState::Degraded);
    auto late = guard.recover(region);
    ASSERT_FALSE(late);  // The parent decides now.
}

TEST_F(KernelGuardTest, K41_ADriversGatewayPushesBackAt1000AndServesByPriority) {
    KernelGuardConfig config;
    config.serve_per_call = 1;
    KernelGuard guard(config, clock, metrics, sink);
    RegionId kafka = *guard.add_driver("kafka");
    for (u32 i = 0; i < 1000; ++i)
        ASSERT_TRUE(guard.driver_fault(kafka, FaultKind::DriverError, i));
    auto refused = guard.driver_fault(kafka, FaultKind::DriverError, 1000);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Limit);
    EXPECT_EQ(refused.error().detail.actual, 1000u);
    EXPECT_EQ(refused.error().detail.limit, 1000u);
    EXPECT_EQ(sink.count("gateway.backpressure"), 1u);
    // Still paused (hysteresis): a quarantine request waits until the backlog drains.
    EXPECT_FALSE(guard.request_quarantine(kafka));
    for (u32 i = 0; i < 250; ++i)
        guard.serve();
    EXPECT_EQ(guard.pending(kafka), 750u);
    ASSERT_TRUE(guard.request_quarantine(kafka));
    // One event per serving: the quarantine request goes before the 750 older faults.
    guard.serve();
    EXPECT_EQ(*guard.state(kafka), RegionState::Quarantined);
    EXPECT_EQ(guard.pending(kafka), 750u);
    EXPECT_EQ(*guard.state(guard.kernel_region()), RegionState::Healthy);
}

TEST_F(KernelGuardTest, K42_PayloadOverOneMiBIsRefusedWithTheRealNumbers) {
    ESTA_BUILD(sender, "big_sender", kBigSender);
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId receiver = *kernel.spawn(spec(worker));

    // The kernel's own input: 1 048 577 bytes refused, exactly 1 MiB passes.
    auto over = kernel.send(receiver, MessageType(0x10), std::vector<u8>((1u << 20) + 1));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Status::PayloadTooLarge);
    EXPECT_EQ(over.error().detail.actual, 1'048'577u);
    EXPECT_EQ(over.error().detail.limit, 1'048'576u);
    EXPECT_TRUE(kernel.send(receiver, MessageType(0x10), std::vector<u8>(1u << 20)));

    // A guest's send: refused fail-fast, reported, a fault of the sender's region.
    ProcessSpec sending = spec(sender);
    sending.grants.push_back(GrantSpec{"peer", kernel.endpoint(receiver), Right::Write, 0});
    ProcessId pid = *kernel.spawn(std::move(sending));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->exit->to_string(), "normal");
    EXPECT_EQ(violations("payload"), 2u);
    ASSERT_EQ(sink.count("payload"), 2u);
    for (const auto& entry : sink.entries) {
        if (entry.event != "payload") continue;
        EXPECT_EQ(entry.actual, 1'048'577);
        EXPECT_EQ(entry.limit, 1'048'576);
    }
    EXPECT_EQ(*guard.state(*guard.region_of(pid)), RegionState::Degraded);
    EXPECT_EQ(*guard.state(*guard.region_of(receiver)), RegionState::Healthy);
}

TEST_F(KernelGuardTest, K42_AFullMailboxIsRefusedWithDepthAndCapacity) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessSpec small = spec(worker);
    small.mailbox = MailboxConfig{.capacity = 2};
    ProcessId pid = *kernel.spawn(std::move(small));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'b'}));
    auto full = kernel.send(pid, MessageType(0x30), {'c'});
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, Status::MailboxFull);
    EXPECT_EQ(violations("mailbox"), 1u);
}

// The operation limit counts the handler's instructions (fuel), so the clock standing still
// does not hide a runaway handler ...
TEST_F(KernelGuardTest, K43_AHandlerRunningOver100msOfFuelIsATimeoutFault) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuardConfig guard_config;
    guard_config.temporal.fuel_per_milli = config.fuel_per_milli;  // 100 000 instructions.
    KernelGuard guard(guard_config, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = *kernel.spawn(spec(worker));
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));  // A few hundred instructions.
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(violations("operation"), 0u);

    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'L'}));  // Millions of instructions.
    ASSERT_TRUE(kernel.run_until_idle());                     // The clock never moves.
    EXPECT_EQ(violations("operation"), 1u);
    ASSERT_EQ(sink.count("operation"), 1u);
    for (const auto& entry : sink.entries) {
        if (entry.event != "operation") continue;
        EXPECT_GT(entry.actual, 100'000);
        EXPECT_EQ(entry.limit, 100'000);
        EXPECT_EQ(entry.subject, "process.1");
    }
    EXPECT_EQ(*guard.state(*guard.region_of(pid)), RegionState::Degraded);
}

// ... and a handler the host held up (a loaded machine: the kernel's clock moves 500 ms
// while it runs) is not a fault: the same instructions decide the same on every run.
TEST_F(KernelGuardTest, K43_AHandlerSlowedByTheHostIsNoFault) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);  // 120 M instructions at 1.2 M per ms.
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = *kernel.spawn(spec(worker));
    for (int i = 0; i < 6; ++i) {
        ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'L'}));
        ASSERT_TRUE(kernel.run_until_idle(1));  // Took it; still working after one slice.
        clock.advance(500 * kMs);
        ASSERT_TRUE(kernel.run_until_idle());
    }
    EXPECT_EQ(violations("operation"), 0u);
    EXPECT_EQ(sink.count("operation"), 0u);
    EXPECT_EQ(*guard.state(*guard.region_of(pid)), RegionState::Healthy);
}

TEST_F(KernelGuardTest, K43_AMessageDeliveredOver1000msAfterItWasSentIsCountedNotAFault) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = *kernel.spawn(spec(worker));
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    clock.advance(1000 * kMs);
    ASSERT_TRUE(kernel.run_until_idle());
    auto late = [&] {
        return metrics
            .counter(observe::make_metric_spec(observe::MetricType::Counter,
                                               "kernel.limit_violations", "", {"limit", "action"}),
                     {"delivery", "warn_and_continue"})
            .value();
    };
    EXPECT_EQ(late(), 0u);
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    clock.advance(1500 * kMs);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(late(), 1u);
    ASSERT_EQ(sink.count("delivery"), 1u);
    for (const auto& entry : sink.entries) {
        if (entry.event == "delivery") {
            EXPECT_EQ(entry.actual, 1500 * kMs);
            EXPECT_EQ(entry.severity, SafetySeverity::Warning);
        }
    }
    EXPECT_EQ(*guard.state(*guard.region_of(pid)), RegionState::Healthy);
}

u64 overruns(observe::MetricsRegistry& metrics, std::string_view operation,
             std::string_view component) {
    return metrics
        .counter(observe::make_metric_spec(observe::MetricType::Counter,
                                           "kernel.latency_budget_overruns", "",
                                           {"operation", "component"}),
                 {operation, component})
        .value();
}

TEST_F(KernelGuardTest, K50_ADeliveryAndARuleDecisionAreAccountedPerComponent) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuardConfig guard_config;
    guard_config.decision_regions.insert("rules");
    KernelGuard guard(guard_config, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"rules", spec(worker)}})->at(0);
    ASSERT_TRUE(kernel.run_until_idle());
    // Queued 3 ms before its handler took it: scheduling (0.2 ms) and the total (2 ms) over.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    clock.advance(3 * kMs);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(overruns(metrics, "message_passing", "scheduling"), 1u);
    EXPECT_EQ(overruns(metrics, "message_passing", "total"), 1u);
    // A decision that took 12 ms: processing (5 ms) and the total (10 ms) over.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'L'}));
    ASSERT_TRUE(kernel.run_until_idle(1));
    clock.advance(12 * kMs);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(overruns(metrics, "accrual_calculation", "processing"), 1u);
    EXPECT_EQ(overruns(metrics, "accrual_calculation", "total"), 1u);
    EXPECT_EQ(overruns(metrics, "message_passing", "total"), 1u);  // Taken at once.
}

TEST_F(KernelGuardTest, K50_ASpawnAndAnAuditWriteOnASlowHostOverrunTheirBudgets) {
    ESTA_BUILD(auditor, "auditor", kAuditor);
    SteppingClock slow(0, 30 * kMs);  // Every clock reading costs 30 ms.
    KernelGuard guard({}, slow, metrics, sink);
    Kernel kernel(slow, audit, dead_letters, config, services(guard));
    CountingAuditLog log;
    ProcessSpec auditing = spec(auditor);
    auditing.grants.push_back(GrantSpec{
        "audit", make_ref<AuditLogObject>(ObjectId(9000), "audit", log), Right::Write, 0});
    ProcessId pid = *kernel.spawn(std::move(auditing));
    // Instantiation took at least one reading (30 ms > processing's 20 ms).
    EXPECT_EQ(overruns(metrics, "process_spawn", "processing"), 1u);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->exit->to_string(), "normal");
    // The append took one reading: 30 ms against disk I/O's 3 ms and the total's 5 ms.
    EXPECT_EQ(overruns(metrics, "audit_write", "disk_io"), 1u);
    EXPECT_EQ(overruns(metrics, "audit_write", "total"), 1u);
}

TEST_F(KernelGuardTest, K51_DeliveryJitterOverTheWindowIsTrackedAndJudged) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = *kernel.spawn(spec(worker));
    ASSERT_TRUE(kernel.run_until_idle());
    // 100 deliveries 10..109 µs late: p99 - p50 = 49 µs, peak-to-peak 99 µs, within spec.
    for (u32 i = 0; i < 100; ++i) {
        ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
        clock.advance((10 + i) * protocol::kNanosPerMicro);
        ASSERT_TRUE(kernel.run_until_idle());
    }
    auto stats = guard.with_realtime(
        [](const KernelRealtime& realtime) { return realtime.message_jitter().stats(); });
    EXPECT_EQ(stats.count, 100u);
    EXPECT_EQ(stats.min, 10 * protocol::kNanosPerMicro);
    EXPECT_EQ(stats.max, 109 * protocol::kNanosPerMicro);
    EXPECT_EQ(stats.p50, 59 * protocol::kNanosPerMicro);
    EXPECT_EQ(stats.p99, 108 * protocol::kNanosPerMicro);
    EXPECT_EQ(sink.count("jitter.out_of_spec"), 0u);
    // One delivery 900 µs late: peak-to-peak 890 µs > 500 µs is a violation, reported once.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'a'}));
    clock.advance(900 * protocol::kNanosPerMicro);
    ASSERT_TRUE(kernel.run_until_idle());
    stats = guard.with_realtime(
        [](const KernelRealtime& realtime) { return realtime.message_jitter().stats(); });
    EXPECT_EQ(stats.peak_to_peak, 889 * protocol::kNanosPerMicro);
    EXPECT_GE(stats.outliers, 1u);
    EXPECT_EQ(sink.count("jitter.out_of_spec"), 1u);
}

TEST_F(KernelGuardTest, K52_TrapRecoveriesAreTimedOnRealRestarts) {
    ESTA_BUILD(worker, "worker", kWorker);
    KernelGuard guard({}, clock, metrics, sink);
    Kernel kernel(clock, audit, dead_letters, config, services(guard));
    ProcessId pid = kernel.supervise(RestartStrategy::OneForOne, {{"w", spec(worker)}})->at(0);
    ASSERT_TRUE(kernel.run_until_idle());
    // Crash 1: the restart is immediate, recovery 0 ms.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.run_until_idle());
    // Crash 2: K-31's backoff holds the restart 1000 ms, past the trap RTO's 500 ms limit.
    ASSERT_TRUE(kernel.send(pid, MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.run_until_idle());
    clock.advance(1000 * kMs);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pid)->restarts, 2u);
    auto trap = guard.with_realtime([](const KernelRealtime& realtime) {
        return realtime.rto().percentiles(RecoveryKind::Trap);
    });
    EXPECT_EQ(trap.count, 2u);
    EXPECT_EQ(trap.worst, 1000 * kMs);
    auto restart = guard.with_realtime([](const KernelRealtime& realtime) {
        return realtime.rto().percentiles(RecoveryKind::Restart);
    });
    EXPECT_EQ(restart.count, 2u);
    EXPECT_GE(sink.count("rto.hard_limit"), 1u);  // The trap recovery, 1000 > 500 ms.
}

}  // namespace
}  // namespace esta::kernel
