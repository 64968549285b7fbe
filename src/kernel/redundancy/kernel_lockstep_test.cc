// K-60 under the Kernel: a process spawned `critical` runs as two replicas (the process and
// its gate's checker); what it sends and audits leaves only when both agree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "kernel/abi_value.h"
#include "kernel/audit_log_object.h"
#include "kernel/driver_port.h"
#include "kernel/guardrails/kernel_guard.h"
#include "kernel/guardrails/test_sink.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/redundancy/lockstep_test_guest.h"
#include "kernel/runtime/guest_test.h"
#include "kernel/test_kv_driver.h"

namespace esta::kernel {
namespace {

using testing::Module;

class RecordingAuditLog final : public KernelAuditLog {
  public:
    Result<u64> append(ProcessId, std::string_view kind, std::span<const u8> record) override {
        records.emplace_back(std::string(kind), std::vector<u8>(record.begin(), record.end()));
        return records.size();
    }
    std::vector<std::pair<std::string, std::vector<u8>>> records;
};

// Every request that reached the driver, in order (then the key-value map answers it).
class RecordingDriver final : public KernelDriver {
  public:
    Result<Rights> op_rights(i32 op) const override { return kv.op_rights(op); }
    Result<abi::AbiValue> call(ProcessId caller, i32 op, const abi::AbiValue& request,
                               Nanos deadline) override {
        requests.push_back(abi::encode_value(request));
        return kv.call(caller, op, request, deadline);
    }
    testing::KeyValueDriver kv;
    std::vector<std::vector<u8>> requests;
};

// The accrual handler with a driver round: it stores (total, the ledger's check) under
// "acc" before it sends, and reports where its ledger lives (the record's pad), so a test
// can flip a ledger bit, which changes that request.
constexpr const char* kDriverAccrualGuest = R"(#include "estalogic.h"
static esta_u32 amounts[256];
static esta_u32 ledger[2048];
static esta_u32 seen;
static esta_info info;
static unsigned char req[64];
static unsigned char resp[64];
struct record { esta_u32 total, check, seen, ledger_at; esta_i64 at; };
static esta_u32 put_u32(unsigned char* p, esta_u32 v) {
    for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
    return 4;
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 length = esta_recv(ESTA_RECV_POLL, 0, amounts, sizeof amounts, &info);
    if (length < 0) return length;
    esta_i32 n = length / 4;
    esta_u32 total = 0;
    for (esta_i32 i = 0; i < n; ++i) {
        total += amounts[i] * (esta_u32)(i + 1);
        ledger[(seen + (esta_u32)i) % 2048] ^= amounts[i] + total;
    }
    seen += (esta_u32)n;
    esta_u32 check = 0;
    for (esta_i32 i = 0; i < 2048; ++i) check = check * 31u + ledger[i];
    esta_u32 at = 0;
    req[at++] = ESTA_VALUE_LIST;
    at += put_u32(req + at, 2);
    req[at++] = ESTA_VALUE_TEXT;
    at += put_u32(req + at, 3);
    req[at++] = 'a';
    req[at++] = 'c';
    req[at++] = 'c';
    req[at++] = ESTA_VALUE_BYTES;
    at += put_u32(req + at, 8);
    at += put_u32(req + at, total);
    at += put_u32(req + at, check);
    esta_handle kv = esta_cap_lookup("kv", 2);
    if (esta_call(kv, 2, req, at, resp, sizeof resp, 1000) < 0) return -4;
    struct record r = {total, check, seen, (esta_u32)(unsigned long)ledger, esta_now()};
    if (esta_audit("accrual", 7, &r, sizeof r) < 0) return -2;
    esta_handle sink = esta_cap_lookup("sink", 4);
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    return 0;
}
)";

// One kernel with one critical (or ordinary) accrual process wired to a sink endpoint, an
// audit log and a key-value driver.
struct World {
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit cap_audit;
    InMemoryDeadLetters dead_letters;
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    KernelGuard guard{{}, clock, metrics, sink};
    KernelLockstepSupport support{&metrics, &sink, {}};
    RecordingAuditLog audit_log;
    RecordingDriver driver;
    std::unique_ptr<Kernel> kernel;
    Ref<Endpoint> outbox = make_ref<Endpoint>(ObjectId(900'001), "sink", ProcessId(900'000),
                                              MailboxConfig{.capacity = 4096});
    ProcessId pid;

    World(Module module, bool critical, KernelLockstepConfig config = {}) {
        support.config = config;
        SyscallServices services;
        services.safety = &guard;
        services.lockstep = &support;
        kernel =
            std::make_unique<Kernel>(clock, cap_audit, dead_letters,
                                     KernelConfig{.threads = 1, .fuel_per_milli = 1000}, services);
        if (!module) return;  // A kernel only.
        ProcessSpec spec = testing::spec_of(std::move(module));
        spec.critical = critical;
        spec.grants.push_back(GrantSpec{"sink", outbox, Right::Write});
        spec.grants.push_back(
            GrantSpec{"audit", make_ref<AuditLogObject>(ObjectId(900'002), "audit", audit_log),
                      Right::Write});
        auto port = DriverPort::create(ObjectId(900'003), ObjectType::RedisKeyspace, "kv", driver);
        EXPECT_TRUE(port);
        if (port) spec.grants.push_back(GrantSpec{"kv", *port, Right::Write});
        auto spawned = kernel->spawn(std::move(spec));
        EXPECT_TRUE(spawned) << spawned.error().to_string();
        if (spawned) pid = *spawned;
    }

    // Sends one message, runs to idle, returns what reached the sink.
    std::vector<std::vector<u8>> handle(u32 seed) {
        EXPECT_TRUE(kernel->send(pid, MessageType(0x10), testing::lockstep_message(seed)));
        EXPECT_TRUE(kernel->run_until_idle());
        std::vector<std::vector<u8>> sent;
        for (Message& message : kernel->take(*outbox, 64))
            sent.push_back(std::move(message.payload));

        return sent;
    }
};

class KernelLockstep : public testing::GuestTest {};

TEST_F(KernelLockstep, K60_CriticalProcessReleasesWhatAnOrdinaryOneSends) {
    ESTA_BUILD(module, "accrual", testing::kKernelAccrualGuest);
    World ordinary(module, false);
    World critical(module, true);  // The checker on a thread of its own.
    World one_thread(module, true, KernelLockstepConfig{.checker_thread = false});
    for (u32 seed = 1; seed <= 5; ++seed) {
        auto expected = ordinary.handle(seed);
        ASSERT_EQ(expected.size(), 1u);
        EXPECT_EQ(critical.handle(seed), expected) << "message " << seed;
        EXPECT_EQ(one_thread.handle(seed), expected) << "message " << seed;
    }
    EXPECT_EQ(critical.audit_log.records, ordinary.audit_log.records);
    EXPECT_EQ(one_thread.audit_log.records, ordinary.audit_log.records);
    EXPECT_EQ(critical.kernel->stats().lockstep_retries, 0u);
    EXPECT_EQ(critical.sink.count("lockstep.divergence"), 0u);
    EXPECT_NE(critical.metrics.render_prometheus().find(
                  "esta_kernel_lockstep_comparisons_total{process=\"process.1\"} 5"),
              std::string::npos);
}

TEST_F(KernelLockstep, K60_CriticalSpawnNeedsAReactiveModuleAndSupport) {
    ESTA_BUILD(looper, "looper", testing::guest::kLooper);
    World world(nullptr, false);  // No process; its kernel has lockstep support.
    ProcessSpec spec = testing::spec_of(looper);
    spec.critical = true;
    auto refused = world.kernel->spawn(spec);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::InvalidArgs);
    ESTA_BUILD(module, "accrual", testing::kKernelAccrualGuest);
    Kernel bare(world.clock, world.cap_audit, world.dead_letters, KernelConfig{.threads = 1});
    ProcessSpec critical = testing::spec_of(module);
    critical.critical = true;
    auto unsupported = bare.spawn(critical);
    ASSERT_FALSE(unsupported);
    EXPECT_EQ(unsupported.error().code, Status::NotSupported);
}

// A bit flipped in either replica: the divergent attempt leaves nothing, the retry on
// replicas restored from the last agreed state releases exactly what a clean run does.
TEST_F(KernelLockstep, K60_FlippedBitNeverEscapesAndTheRetrySucceeds) {
    ESTA_BUILD(module, "accrual", testing::kKernelAccrualGuest);
    for (u32 replica = 0; replica < 2; ++replica) {
        World world(module, true);
        World reference(module, true);
        for (u32 seed = 1; seed <= 2; ++seed)
            ASSERT_EQ(world.handle(seed), reference.handle(seed));
        // A bit of the ledger (in the page after the amounts) flips in one replica.
        ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid,
                                                      FaultPlan{.replica = replica,
                                                                .at_fuel = 5'000,
                                                                .target = wasm::FaultTarget::Memory,
                                                                .bit_seed = 8 * 4096 + 3}));
        const auto expected = reference.handle(3);
        ASSERT_EQ(expected.size(), 1u);
        EXPECT_EQ(world.handle(3), expected) << "replica " << replica;
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u);
        EXPECT_EQ(world.sink.count("lockstep.divergence"), 1u);
        EXPECT_EQ(world.audit_log.records, reference.audit_log.records);
        EXPECT_EQ(world.kernel->process(world.pid)->state, ProcessState::Waiting);
        // Restored from the agreed state, the replicas go on agreeing.
        EXPECT_EQ(world.handle(4), reference.handle(4));
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u);
    }
}

// A driver request cannot be held (the handler needs its answer), so it is a sync point:
// it reaches the driver only once both replicas made it, byte for byte. A ledger bit
// flipped in either replica changes the request: that attempt's request reaches nothing,
// and the retry's is the only one the driver sees, the same as a fault-free twin's.
TEST_F(KernelLockstep, K60_DriverRequestIsHeldUntilBothReplicasAgree) {
    ESTA_BUILD(module, "driver_accrual", kDriverAccrualGuest);
    for (bool checker_thread : {true, false}) {
        for (u32 replica = 0; replica < 2; ++replica) {
            const KernelLockstepConfig config{.checker_thread = checker_thread};
            World world(module, true, config);
            World twin(module, true, config);
            const auto first = world.handle(1);
            ASSERT_EQ(first, twin.handle(1));
            ASSERT_EQ(first.size(), 1u);
            u32 ledger_at = 0;
            std::memcpy(&ledger_at, first[0].data() + 12, 4);
            ASSERT_GT(ledger_at, 0u);
            // A bit of ledger[100], before the replica sums the ledger into its request.
            const FaultPlan fault{.replica = replica,
                                  .at_fuel = 20,
                                  .target = wasm::FaultTarget::Memory,
                                  .bit_seed = 8 * (u64{ledger_at} + 400) + 5};
            ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, fault));
            const auto expected = twin.handle(2);
            ASSERT_EQ(expected.size(), 1u);
            const std::string where = "replica " + std::to_string(replica) +
                                      (checker_thread ? ", checker thread" : ", one thread");
            EXPECT_EQ(world.handle(2), expected) << where;
            EXPECT_EQ(world.driver.requests, twin.driver.requests) << where;
            EXPECT_EQ(world.driver.requests.size(), 2u) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_quarantines, 0u) << where;
            EXPECT_EQ(world.audit_log.records, twin.audit_log.records) << where;
            EXPECT_EQ(world.driver.kv.values, twin.driver.kv.values) << where;
            // Restored from the agreed state, the replicas go on agreeing.
            EXPECT_EQ(world.handle(3), twin.handle(3)) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
        }
    }
}

TEST_F(KernelLockstep, K60_SecondMismatchQuarantinesWithAnAlarm) {
    ESTA_BUILD(module, "accrual", testing::kKernelAccrualGuest);
    World world(module, true);
    ASSERT_EQ(world.handle(1).size(), 1u);
    // A stuck fault: the retry diverges too.
    ASSERT_TRUE(world.kernel->plan_lockstep_fault(
        world.pid, FaultPlan{.replica = 0, .bit_seed = 8 * 4096 + 9, .every_attempt = true}));
    EXPECT_TRUE(world.handle(2).empty());  // Nothing of message 2 escaped.
    EXPECT_EQ(world.audit_log.records.size(), 1u);
    EXPECT_EQ(world.kernel->stats().lockstep_quarantines, 1u);
    EXPECT_EQ(world.kernel->process(world.pid)->state, ProcessState::Completed);
    EXPECT_EQ(world.dead_letters.records().size(), 1u);  // The message is kept, not lost.
    ASSERT_EQ(world.sink.count("lockstep.quarantine"), 1u);
    for (const auto& entry : world.sink.entries) {
        if (entry.event == "lockstep.quarantine") {
            EXPECT_EQ(entry.severity, SafetySeverity::Alarm);
        }
    }
    auto region = world.guard.region_of(world.pid);
    ASSERT_TRUE(region);
    EXPECT_EQ(*world.guard.state(*region), RegionState::Quarantined);
    EXPECT_NE(world.metrics.render_prometheus().find(
                  "esta_kernel_lockstep_divergences_total{process=\"process.1\",decision="
                  "\"quarantine\"} 1"),
              std::string::npos);
}

// The code both replicas share is re-verified every N messages: a flip in it is a
// common-mode fault (both replicas run the same corrupt code) that no comparison can be
// trusted to see; the check stops the process before a second message is released on it.
TEST_F(KernelLockstep, K60_SharedCodeIsReverifiedEveryNMessages) {
    ESTA_BUILD(shared, "accrual", testing::kKernelAccrualGuest);
    // A private compilation: the flip must not reach the other tests' module.
    std::vector<u8> bytes = m_compiler.bytes("accrual");
    auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
    ASSERT_TRUE(module);
    World world(*module, true,
                KernelLockstepConfig{.code_check_interval = 2, .message_fuel = 1'000'000});
    ASSERT_EQ(world.handle(1).size(), 1u);
    ASSERT_TRUE(world.kernel->plan_lockstep_fault(
        world.pid, FaultPlan{.replica = 1,
                             .at_fuel = 100,
                             .target = wasm::FaultTarget::LoweredCode,
                             .bit_seed = 7}));
    // Found by the comparison (then by the check that follows any mismatch) or, if the
    // flip changed no effect, by the periodic check after message 2.
    world.handle(2);
    EXPECT_EQ(world.kernel->stats().lockstep_quarantines, 1u);
    EXPECT_EQ(world.kernel->process(world.pid)->state, ProcessState::Completed);
    bool code_alarm = false;
    for (const auto& entry : world.sink.entries)
        code_alarm |= entry.event == "lockstep.quarantine" && entry.detail == "code_checksum";
    EXPECT_TRUE(code_alarm);
}

// The fault campaign against the kernel path: message after message of one critical
// process, each with one bit flipped at a seeded random point of a random replica (the
// leader's memory as it takes the message; the checker's memory, value stack or frame at a
// random instruction). What leaves must equal a fault-free twin's output every time. Code
// flips are not in it: the code is shared, so a flip stays and quarantines (the test above).
// ESTA_LOCKSTEP_KERNEL_RUNS sets the count (default 100; 1000 under the label slow).
TEST_F(KernelLockstep, K60_KernelFaultCampaignReleasesOnlyAgreedEffects) {
    ESTA_BUILD(module, "accrual", testing::kKernelAccrualGuest);
    const char* text = std::getenv("ESTA_LOCKSTEP_KERNEL_RUNS");
    const u32 runs =
        text != nullptr && std::atoi(text) > 0 ? static_cast<u32>(std::atoi(text)) : 100;
    World world(module, true);
    World twin(module, true);
    std::mt19937_64 random(0x6b3c0061);
    constexpr wasm::FaultTarget kTargets[] = {
        wasm::FaultTarget::Memory, wasm::FaultTarget::ValueStack, wasm::FaultTarget::Frame};
    u32 escaped = 0;
    for (u32 run = 0; run < runs; ++run) {
        const FaultPlan fault{.replica = static_cast<u32>(random() % 2),
                              .at_fuel = random() % 40'000,
                              .target = kTargets[random() % 3],
                              .bit_seed = random()};
        ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, fault));
        if (world.handle(run) != twin.handle(run)) ++escaped;
    }
    const KernelStats stats = world.kernel->stats();
    std::printf(
        "K-60 kernel fault campaign: %u messages, %llu detected and retried, %llu masked, "
        "%u escaped\n",
        runs, static_cast<unsigned long long>(stats.lockstep_retries),
        static_cast<unsigned long long>(runs - stats.lockstep_retries), escaped);
    EXPECT_EQ(escaped, 0u);
    EXPECT_EQ(stats.lockstep_quarantines, 0u);  // Transient flips: every retry agrees.
    EXPECT_GT(stats.lockstep_retries, 0u);
    EXPECT_EQ(world.audit_log.records, twin.audit_log.records);
}

}  // namespace
}  // namespace esta::kernel
