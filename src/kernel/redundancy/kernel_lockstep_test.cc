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
#include "kernel/observe_clock.h"
#include "kernel/persistence/journaled_answers.h"
#include "kernel/persistence/replay.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/redundancy/lockstep_test_guest.h"
#include "kernel/runtime/guest_test.h"
#include "kernel/test_kv_driver.h"
#include "observe/kernel_telemetry.h"
#include "observe/trace/id_source.h"
#include "observe/trace/sampler.h"
#include "protocol/memory_file_system.h"

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

// What the kernel journals (T-1) of each process: its deliveries and syscall answers, in
// order, as text.
class RecordingAnswers final : public KernelAnswerRecorder {
  public:
    void started(ProcessId, const protocol::ProcessStart&, Nanos) override {}
    void delivered(ProcessId pid, const Message& message) override {
        entries.push_back(std::to_string(pid.value()) + " delivered " +
                          std::to_string(message.type.value()) + " " +
                          std::to_string(message.payload.size()) + " handles " +
                          std::to_string(message.handle_count));
    }
    void answered(ProcessId pid, protocol::SyscallAnswer answer, Nanos) override {
        entries.push_back(std::to_string(pid.value()) + " " + answer.function + " " +
                          std::to_string(answer.result));
    }
    void ended(ProcessId, const protocol::ProcessEnd&, Nanos) override {}
    std::vector<std::string> entries;
};

// Every span the tracer exported, as "name < parent's name" ("-": a root, "?": a parent not
// exported here), sorted: what two kernels that did the same work export alike, whatever
// ids their spans were given.
class RecordingSpans final : public observe::SpanSink {
  public:
    void on_end(observe::SpanData&& span) override {
        std::lock_guard lock(m_mutex);
        m_spans.push_back(std::move(span));
    }
    std::vector<std::string> shapes() const {
        std::lock_guard lock(m_mutex);
        std::vector<std::string> out;
        for (const auto& span : m_spans) {
            std::string parent = span.parent_span_id.valid() ? "?" : "-";
            for (const auto& other : m_spans) {
                if (other.context.span_id == span.parent_span_id) parent = other.name;
            }
            out.push_back(span.name + " < " + parent);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    std::size_t count(std::string_view name) const {
        std::lock_guard lock(m_mutex);
        return static_cast<std::size_t>(std::count_if(
            m_spans.begin(), m_spans.end(), [&](const auto& span) { return span.name == name; }));
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<observe::SpanData> m_spans;
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

// What the handlers below start with: the message's amounts accrued into a persistent
// ledger, and a check over the whole ledger (so a flipped ledger bit changes it).
constexpr const char* kAccrualPrelude = R"(#include "estalogic.h"
#include "estalogic_value.h"
static esta_u32 amounts[256];
static esta_u32 ledger[2048];
static esta_u32 seen;
static esta_info info;
// The message's total (or recv's negative status); *check sums the ledger.
static esta_i64 accrue(esta_u32* check) {
    esta_i32 length = esta_recv(ESTA_RECV_POLL, 0, amounts, sizeof amounts, &info);
    if (length < 0) return length;
    esta_i32 n = length / 4;
    esta_u32 total = 0;
    for (esta_i32 i = 0; i < n; ++i) {
        total += amounts[i] * (esta_u32)(i + 1);
        ledger[(seen + (esta_u32)i) % 2048] ^= amounts[i] + total;
    }
    seen += (esta_u32)n;
    *check = 0;
    for (esta_i32 i = 0; i < 2048; ++i) *check = *check * 31u + ledger[i];
    return total;
}
)";

std::string accrual_guest(const char* handler) {
    return std::string(kAccrualPrelude) + handler;
}

// The accrual handler with a driver round: it stores (total, the ledger's check) under
// "acc" before it sends, and reports where its ledger lives (the record's pad), so a test
// can flip a ledger bit, which changes that request.
const std::string kDriverAccrualGuest = accrual_guest(R"(static unsigned char req[64];
static unsigned char resp[64];
struct record { esta_u32 total, check, seen, ledger_at; esta_i64 at; };
static esta_u32 put_u32(unsigned char* p, esta_u32 v) {
    for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
    return 4;
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    esta_u32 total = (esta_u32)accrued;
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
)");

// The accrual handler with a spawn: it spawns "child" from its module handle, granting it
// a WRITE handle derived from "sink" whose use budget depends on the whole ledger (so a
// flipped ledger bit changes the spawn request), then drops the new process's handle, and
// sends a record with the handle it was given.
const std::string kSpawnAccrualGuest = accrual_guest(R"(static esta_u8 grants[128];
struct record { esta_u32 total, check, seen, ledger_at; esta_i64 child, at; };
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    esta_u32 total = (esta_u32)accrued;
    esta_handle mod = esta_cap_lookup("mod", 3);
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_writer w;
    esta_writer_init(&w, grants, sizeof grants);
    esta_put_map(&w, 1);
    esta_put_key(&w, "up", 2);
    esta_put_map(&w, 3);
    esta_put_key(&w, "handle", 6);
    esta_put_i64(&w, sink);
    esta_put_key(&w, "rights", 6);
    esta_put_i64(&w, ESTA_RIGHT_WRITE);
    esta_put_key(&w, "max_uses", 8);
    esta_put_i64(&w, 1 + (esta_i64)(check % 997u));
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return -5;
    esta_i32 child = esta_spawn(mod, "_start", 6, grants, (esta_u32)len, ESTA_PRIORITY_NORMAL);
    if (child <= 0) return -6;
    if (esta_cap_drop(child) != 0) return -7;
    struct record r = {total, check, seen, (esta_u32)(unsigned long)ledger, child, esta_now()};
    if (esta_audit("accrual", 7, &r, sizeof r) < 0) return -2;
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    return 0;
}
)");

// A spawn first, then the accrual: a flip during the accrual comes after the spawn acted.
const std::string kSpawnFirstGuest = accrual_guest(R"(static esta_u8 grants[128];
struct record { esta_u32 total, check, seen, ledger_at; esta_i64 child, at; };
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_handle mod = esta_cap_lookup("mod", 3);
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_handle up = esta_cap_derive(sink, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE, 0, 0);
    if (up < 0) return -7;
    esta_writer w;
    esta_writer_init(&w, grants, sizeof grants);
    esta_put_map(&w, 1);
    esta_put_key(&w, "up", 2);
    esta_put_map(&w, 2);
    esta_put_key(&w, "handle", 6);
    esta_put_i64(&w, up);
    esta_put_key(&w, "rights", 6);
    esta_put_i64(&w, ESTA_RIGHT_WRITE);
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return -5;
    esta_i32 child = esta_spawn(mod, "_start", 6, grants, (esta_u32)len, ESTA_PRIORITY_NORMAL);
    if (child <= 0) return -6;
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    struct record r = {(esta_u32)accrued, check, seen, (esta_u32)(unsigned long)ledger, child,
                       esta_now()};
    if (esta_audit("accrual", 7, &r, sizeof r) < 0) return -2;
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    if (esta_cap_drop(child) != 0 || esta_cap_drop(up) != 0) return -8;
    return 0;
}
)");

// What the spawner starts: one message with its grant "up", then it ends.
constexpr const char* kSpawnedChild = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle up = esta_cap_lookup("up", 2);
    if (up < 0) esta_exit(80);
    esta_exit(esta_send(up, 0x30, "c", 1, 0, 0, 0) < 0 ? 81 : 0);
}
)";

// The accrual handler with capability changes: it derives from "sink" a handle whose use
// budget depends on the whole ledger, derives a second from that one, revokes what it
// derived from the first (the second), sends with the first and drops it.
const std::string kCapabilityAccrualGuest = accrual_guest(R"(static esta_u8 limits[64];
struct record { esta_u32 total, check, seen, ledger_at; esta_i32 once, inner, revoked, pad; };
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    esta_u32 total = (esta_u32)accrued;
    esta_writer w;
    esta_writer_init(&w, limits, sizeof limits);
    esta_put_map(&w, 1);
    esta_put_key(&w, "max_uses", 8);
    esta_put_i64(&w, 1 + (esta_i64)(check % 997u));
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return -5;
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_handle once =
        esta_cap_derive(sink, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE, limits, (esta_u32)len);
    if (once < 0) return -6;
    esta_handle inner = esta_cap_derive(once, ESTA_RIGHT_WRITE, 0, 0);
    if (inner < 0) return -7;
    esta_i32 revoked = esta_cap_revoke(once);
    struct record r = {total, check, seen, (esta_u32)(unsigned long)ledger,
                       once, inner, revoked, 0};
    if (esta_send(once, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    if (esta_cap_drop(once) != 0) return -8;
    if (esta_audit("accrual", 7, &r, sizeof r) < 0) return -2;
    return 0;
}
)");

// The driver accrual handler inside guest spans: "accrue" around all of it, "store" around
// the driver call; the record carries both ids.
const std::string kSpanAccrualGuest = accrual_guest(R"(static unsigned char req[64];
static unsigned char resp[64];
struct record { esta_u32 total, check, seen, ledger_at; esta_i64 outer, inner; };
static esta_u32 put_u32(unsigned char* p, esta_u32 v) {
    for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
    return 4;
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i64 outer = esta_span_begin("accrue", 6);
    if (outer <= 0) return -9;
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    esta_i64 inner = esta_span_begin("store", 5);
    if (inner <= 0) return -10;
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
    at += put_u32(req + at, (esta_u32)accrued);
    at += put_u32(req + at, check);
    esta_handle kv = esta_cap_lookup("kv", 2);
    if (esta_call(kv, 2, req, at, resp, sizeof resp, 1000) < 0) return -4;
    if (esta_span_end(inner, 0) != 0) return -11;
    struct record r = {(esta_u32)accrued, check, seen, (esta_u32)(unsigned long)ledger, outer,
                       inner};
    esta_handle sink = esta_cap_lookup("sink", 4);
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    if (esta_span_end(outer, 0) != 0) return -12;
    return 0;
}
)");

// The accrual handler sends twice with a one-use handle derived from "sink", then reports
// what the two sends answered (through "sink"), with the ledger's place for a flip.
const std::string kOneUseAccrualGuest = accrual_guest(R"(static esta_u8 limits[32];
struct record { esta_u32 total, check, seen, ledger_at; esta_i32 first, second; };
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_u32 check = 0;
    esta_i64 accrued = accrue(&check);
    if (accrued < 0) return (esta_i32)accrued;
    esta_writer w;
    esta_writer_init(&w, limits, sizeof limits);
    esta_put_map(&w, 1);
    esta_put_key(&w, "max_uses", 8);
    esta_put_i64(&w, 1);
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return -5;
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_handle once = esta_cap_derive(sink, ESTA_RIGHT_WRITE, limits, (esta_u32)len);
    if (once < 0) return -6;
    struct record r = {(esta_u32)accrued, check, seen, (esta_u32)(unsigned long)ledger, 0, 0};
    r.first = (esta_i32)esta_send(once, 0x32, "a", 1, 0, 0, 0);
    r.second = (esta_i32)esta_send(once, 0x32, "b", 1, 0, 0, 0);
    if (esta_send(sink, 0x31, &r, sizeof r, 0, 0, 0) < 0) return -3;
    if (esta_cap_drop(once) != 0) return -8;
    return 0;
}
)");

// An ordinary process that sends "worker" one accrual message carrying its handle "gift".
constexpr const char* kGiftSender = R"(#include "estalogic.h"
static esta_u32 amounts[16];
__attribute__((export_name("_start"))) void start(void) {
    esta_handle worker = esta_cap_lookup("worker", 6);
    esta_handle gift = esta_cap_lookup("gift", 4);
    if (worker < 0 || gift < 0) esta_exit(90);
    for (esta_u32 i = 0; i < 16; ++i) amounts[i] = 7u * i + 3u;
    esta_exit(esta_send(worker, 0x10, amounts, sizeof amounts, &gift, 1, 0) < 0 ? 91 : 0);
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
    RecordingAnswers answers;
    // Traced worlds (`traced`): the kernel's telemetry exports its spans here.
    RecordingSpans spans;
    ObserveClock time{clock};
    observe::SeededIdSource ids{7};
    observe::AlwaysOnSampler sampler;
    observe::Tracer tracer{time, ids, sampler, spans};
    std::unique_ptr<observe::KernelTelemetry> telemetry;
    std::unique_ptr<Kernel> kernel;
    Ref<Endpoint> outbox = make_ref<Endpoint>(ObjectId(900'001), "sink", ProcessId(900'000),
                                              MailboxConfig{.capacity = 4096});
    ProcessId pid;

    // `child`: a module granted as "mod" (EXECUTE), for a process that spawns.
    // `recorder`: where the kernel journals (T-1) instead of `answers`.
    // `traced`: with the kernel's telemetry as its observer, exporting spans.
    World(Module module, bool critical, KernelLockstepConfig config = {}, Module child = nullptr,
          KernelAnswerRecorder* recorder = nullptr, bool traced = false) {
        support.config = config;
        SyscallServices services;
        if (traced) {
            telemetry = std::make_unique<observe::KernelTelemetry>(
                observe::KernelTelemetryParts{&metrics, &time, &tracer, nullptr});
            services.observer = telemetry.get();
        }
        services.safety = &guard;
        services.lockstep = &support;
        services.answers = recorder != nullptr ? recorder : &answers;
        kernel =
            std::make_unique<Kernel>(clock, cap_audit, dead_letters,
                                     KernelConfig{.threads = 1, .fuel_per_milli = 1000}, services);
        if (!module) return;  // A kernel only.
        ProcessSpec spec = testing::spec_of(std::move(module));
        spec.critical = critical;
        spec.grants.push_back(GrantSpec{"sink", outbox, Right::Write | Right::Delegate});
        if (child) {
            spec.grants.push_back(
                GrantSpec{"mod", kernel->module_object("child", std::move(child)), Right::Execute});
        }
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

// A flip of ledger[100] in `replica`, before the handler sums the ledger into its request
// (`first` is message 1's record, which says where the ledger lives).
FaultPlan ledger_flip(u32 replica, const std::vector<u8>& first) {
    u32 ledger_at = 0;
    EXPECT_GE(first.size(), 16u);
    if (first.size() >= 16) std::memcpy(&ledger_at, first.data() + 12, 4);
    EXPECT_GT(ledger_at, 0u);
    return FaultPlan{.replica = replica,
                     .at_fuel = 20,
                     .target = wasm::FaultTarget::Memory,
                     .bit_seed = 8 * (u64{ledger_at} + 400) + 5};
}

// What reached the sink, split by who sent it: the handler's records (larger) and the
// spawned children's one-byte messages.
struct Sent {
    std::vector<std::vector<u8>> records;
    std::size_t from_children = 0;
};
Sent split(std::vector<std::vector<u8>> sent) {
    Sent result;
    for (auto& payload : sent) {
        if (payload.size() == 1) {
            ++result.from_children;
        } else {
            result.records.push_back(std::move(payload));
        }
    }
    return result;
}

// A spawn acts on the kernel at once and its answer (the new process's handle) is what the
// handler goes on with: a sync point. The child is started only once both replicas asked
// for it byte for byte, once for the two of them, and both are given the same handle. A
// ledger bit flipped in either replica changes the request (the child's use budget): that
// attempt starts nothing, and the retry starts the one child a fault-free twin starts.
TEST_F(KernelLockstep, K60_ASpawnFromACriticalProcessHappensOnceBothReplicasAgree) {
    ESTA_BUILD(module, "spawn_accrual", kSpawnAccrualGuest);
    ESTA_BUILD(child, "spawned_child", kSpawnedChild);
    for (bool checker_thread : {true, false}) {
        const KernelLockstepConfig config{.checker_thread = checker_thread};
        World world(module, true, config, child);
        World ordinary(module, false, config, child);
        for (u32 seed = 1; seed <= 3; ++seed) {
            const Sent expected = split(ordinary.handle(seed));
            ASSERT_EQ(expected.records.size(), 1u);
            ASSERT_EQ(expected.from_children, 1u);
            const Sent got = split(world.handle(seed));
            EXPECT_EQ(got.records, expected.records) << "message " << seed;
            EXPECT_EQ(got.from_children, 1u) << "message " << seed;  // One child, not two.
        }
        EXPECT_EQ(world.audit_log.records, ordinary.audit_log.records);
        EXPECT_EQ(world.cap_audit.count(CapEventKind::Delegated),
                  ordinary.cap_audit.count(CapEventKind::Delegated));
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 0u);
        EXPECT_EQ(world.kernel->process(world.pid)->state, ProcessState::Waiting);
    }
}

TEST_F(KernelLockstep, K60_ASpawnRequestTheReplicasDisagreeOnStartsNothingAndIsRetried) {
    ESTA_BUILD(module, "spawn_accrual", kSpawnAccrualGuest);
    ESTA_BUILD(child, "spawned_child", kSpawnedChild);
    for (bool checker_thread : {true, false}) {
        for (u32 replica = 0; replica < 2; ++replica) {
            const KernelLockstepConfig config{.checker_thread = checker_thread};
            const std::string where = "replica " + std::to_string(replica) +
                                      (checker_thread ? ", checker thread" : ", one thread");
            World world(module, true, config, child);
            World twin(module, true, config, child);
            const Sent first = split(world.handle(1));
            ASSERT_EQ(split(twin.handle(1)).records, first.records);
            ASSERT_EQ(first.records.size(), 1u);
            ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid,
                                                          ledger_flip(replica, first.records[0])));
            const Sent expected = split(twin.handle(2));
            const Sent got = split(world.handle(2));
            EXPECT_EQ(got.records, expected.records) << where;
            EXPECT_EQ(got.from_children, 1u) << where;  // The retry's child only.
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_quarantines, 0u) << where;
            // Each child's grant was derived once: the refused request derived nothing.
            EXPECT_EQ(world.cap_audit.count(CapEventKind::Delegated), 2u) << where;
            EXPECT_EQ(world.cap_audit.count(CapEventKind::Delegated),
                      twin.cap_audit.count(CapEventKind::Delegated))
                << where;
            EXPECT_EQ(world.audit_log.records, twin.audit_log.records) << where;
            // Restored from the agreed state, the replicas go on agreeing.
            EXPECT_EQ(split(world.handle(3)).records, split(twin.handle(3)).records) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
        }
    }
}

// A sync point that acted stays done: when the replicas part after it (a ledger bit flipped
// in the checker after the spawn), the retry is given the refused attempt's answers for
// the spawn and the derive before it instead of acting again, so message 2 starts one
// child and derives one capability, as a fault-free twin's does.
TEST_F(KernelLockstep, K60_ASyncPointThatActedBeforeAMismatchIsNotActedAgainOnTheRetry) {
    ESTA_BUILD(module, "spawn_first", kSpawnFirstGuest);
    ESTA_BUILD(child, "spawned_child", kSpawnedChild);
    for (bool checker_thread : {true, false}) {
        const KernelLockstepConfig config{.checker_thread = checker_thread};
        const std::string where = checker_thread ? "checker thread" : "one thread";
        World world(module, true, config, child);
        World twin(module, true, config, child);
        const Sent first = split(world.handle(1));
        ASSERT_EQ(split(twin.handle(1)).records, first.records);
        ASSERT_EQ(first.records.size(), 1u);
        ASSERT_EQ(first.from_children, 1u);
        // ledger[2000], long after the spawn and before the accrual reads it.
        FaultPlan fault = ledger_flip(1, first.records[0]);
        fault.at_fuel = 5'000;
        fault.bit_seed += 8 * 4 * 1900;
        ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, fault));
        const Sent expected = split(twin.handle(2));
        const Sent got = split(world.handle(2));
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
        EXPECT_EQ(got.records, expected.records) << where;
        EXPECT_EQ(got.from_children, 1u) << where;  // Not one per attempt.
        EXPECT_EQ(world.cap_audit.count(CapEventKind::Delegated),
                  twin.cap_audit.count(CapEventKind::Delegated))
            << where;
        EXPECT_EQ(world.answers.entries, twin.answers.entries) << where;
        EXPECT_EQ(split(world.handle(3)).records, split(twin.handle(3)).records) << where;
    }
}

// cap_derive, cap_revoke and cap_drop change the process's capabilities at once and answer
// with what the handler goes on with: sync points. Each change happens once both replicas
// asked for it byte for byte, once for the two; a ledger bit flipped in either replica
// changes the first derive's request (its use budget): that attempt changes nothing, and
// the retry makes exactly the changes a fault-free twin makes.
TEST_F(KernelLockstep, K60_ACapabilityChangeFromACriticalProcessIsHeldUntilBothReplicasAgree) {
    ESTA_BUILD(module, "capability_accrual", kCapabilityAccrualGuest);
    for (bool checker_thread : {true, false}) {
        const KernelLockstepConfig config{.checker_thread = checker_thread};
        World ordinary(module, false, config);
        for (u32 replica = 0; replica < 2; ++replica) {
            const std::string where = "replica " + std::to_string(replica) +
                                      (checker_thread ? ", checker thread" : ", one thread");
            World world(module, true, config);
            World twin(module, true, config);
            const auto first = world.handle(1);
            ASSERT_EQ(first, twin.handle(1)) << where;
            ASSERT_EQ(first.size(), 1u) << where;
            if (replica == 0) {
                EXPECT_EQ(first, ordinary.handle(1)) << where;
            }
            const std::size_t delegated = world.cap_audit.count(CapEventKind::Delegated);
            EXPECT_EQ(delegated, 2u) << where;
            EXPECT_EQ(world.cap_audit.count(CapEventKind::Revoked), 1u) << where;
            ASSERT_TRUE(
                world.kernel->plan_lockstep_fault(world.pid, ledger_flip(replica, first[0])));
            const auto expected = twin.handle(2);
            ASSERT_EQ(expected.size(), 1u) << where;
            EXPECT_EQ(world.handle(2), expected) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_quarantines, 0u) << where;
            // The refused attempt derived and revoked nothing.
            EXPECT_EQ(world.cap_audit.count(CapEventKind::Delegated), 2 * delegated) << where;
            EXPECT_EQ(world.cap_audit.count(CapEventKind::Revoked), 2u) << where;
            EXPECT_EQ(world.audit_log.records, twin.audit_log.records) << where;
            EXPECT_EQ(world.handle(3), twin.handle(3)) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
        }
    }
}

// T-1 with K-60: a critical process's delivery and syscall answers are journaled once its
// replicas agreed, so a message retried after a mismatch is on the record once, with the
// retry's answers (not the refused attempt's UNAVAILABLE), as a fault-free twin's is.
TEST_F(KernelLockstep, K60_ARetriedMessageIsJournaledOnce) {
    ESTA_BUILD(module, "driver_accrual", kDriverAccrualGuest);
    for (bool checker_thread : {true, false}) {
        for (u32 replica = 0; replica < 2; ++replica) {
            const KernelLockstepConfig config{.checker_thread = checker_thread};
            const std::string where = "replica " + std::to_string(replica) +
                                      (checker_thread ? ", checker thread" : ", one thread");
            World world(module, true, config);
            World twin(module, true, config);
            const auto first = world.handle(1);
            ASSERT_EQ(first, twin.handle(1));
            ASSERT_EQ(first.size(), 1u);
            ASSERT_TRUE(
                world.kernel->plan_lockstep_fault(world.pid, ledger_flip(replica, first[0])));
            EXPECT_EQ(world.handle(2), twin.handle(2)) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
            EXPECT_EQ(world.answers.entries, twin.answers.entries) << where;
            std::size_t deliveries = 0;
            for (const std::string& entry : world.answers.entries)
                deliveries += entry.find(" delivered ") != std::string::npos ? 1 : 0;
            EXPECT_EQ(deliveries, 2u) << where;
        }
    }
}

// The journal of a critical process whose message was retried replays exactly (T-1): the
// retry's delivery and answers are the message's only ones on the record.
TEST_F(KernelLockstep, K60_T1_AJournalWithARetriedMessageReplaysExactly) {
    ESTA_BUILD(module, "driver_accrual", kDriverAccrualGuest);
    for (u32 replica = 0; replica < 2; ++replica) {
        protocol::MemoryFileSystem fs;
        protocol::ManualClock journal_clock{1'000 * kNanosPerSecond};
        auto journal = protocol::Journal::open(fs, "/journal", journal_clock);
        ASSERT_TRUE(journal) << journal.error().to_string();
        JournaledAnswers recorder(**journal, journal_clock);
        World world(module, true, {}, nullptr, &recorder);
        const auto first = world.handle(1);
        ASSERT_EQ(first.size(), 1u);
        ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, ledger_flip(replica, first[0])));
        ASSERT_EQ(world.handle(2).size(), 1u);
        ASSERT_EQ(world.handle(3).size(), 1u);
        ASSERT_EQ(world.kernel->stats().lockstep_retries, 1u);
        EXPECT_EQ(recorder.failed_appends(), 0u);
        const std::vector<u8> bytes = m_compiler.bytes("driver_accrual");
        auto report = replay_process(**journal, world.pid, ByteSpan(bytes.data(), bytes.size()));
        ASSERT_TRUE(report) << report.error().to_string();
        EXPECT_TRUE(report->identical())
            << "replica " << replica << ": " << report->difference->what;
        EXPECT_EQ(report->inputs, 3u);
    }
}

// The accrual message an ordinary process sends `world`'s critical process, with a handle
// (to the sink) aboard; runs to idle.
void send_gift(World& world, Module sender) {
    ProcessSpec spec = testing::spec_of(std::move(sender));
    spec.grants.push_back(GrantSpec{"worker", world.kernel->endpoint(world.pid), Right::Write});
    spec.grants.push_back(GrantSpec{"gift", world.outbox, Right::Write | Right::Transfer});
    auto spawned = world.kernel->spawn(std::move(spec));
    ASSERT_TRUE(spawned) << spawned.error().to_string();
    ASSERT_TRUE(world.kernel->run_until_idle());
}

// A retried message is delivered again with the handles it carried (the first attempt's
// recv put them in the table; they go back aboard), and its delivery record says so.
TEST_F(KernelLockstep, K60_ARetriedMessageIsDeliveredAgainWithItsHandles) {
    ESTA_BUILD(module, "driver_accrual", kDriverAccrualGuest);
    ESTA_BUILD(sender, "gift_sender", kGiftSender);
    for (u32 replica = 0; replica < 2; ++replica) {
        World world(module, true);
        World twin(module, false);
        const auto first = world.handle(1);
        ASSERT_EQ(first, twin.handle(1));
        ASSERT_EQ(first.size(), 1u);
        ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, ledger_flip(replica, first[0])));
        send_gift(world, sender);
        send_gift(twin, sender);
        EXPECT_EQ(world.kernel->take(*world.outbox, 64).size(), 1u);
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u);
        const std::string pid = std::to_string(world.pid.value());
        std::vector<std::string> deliveries;
        for (const std::string& entry : world.answers.entries) {
            if (entry.rfind(pid + " delivered ", 0) == 0) deliveries.push_back(entry);
        }
        EXPECT_EQ(deliveries, (std::vector<std::string>{pid + " delivered 16 256 handles 0",
                                                        pid + " delivered 16 64 handles 1"}))
            << "replica " << replica;
    }
}

// The same journal (T-1) replays exactly: the retry's delivery, handles and all.
TEST_F(KernelLockstep, K60_T1_ARetriedMessageWithHandlesReplaysExactly) {
    ESTA_BUILD(module, "driver_accrual", kDriverAccrualGuest);
    ESTA_BUILD(sender, "gift_sender", kGiftSender);
    protocol::MemoryFileSystem fs;
    protocol::ManualClock journal_clock{1'000 * kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, "/journal", journal_clock);
    ASSERT_TRUE(journal) << journal.error().to_string();
    JournaledAnswers recorder(**journal, journal_clock);
    World world(module, true, {}, nullptr, &recorder);
    const auto first = world.handle(1);
    ASSERT_EQ(first.size(), 1u);
    ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, ledger_flip(1, first[0])));
    send_gift(world, sender);
    ASSERT_EQ(world.handle(3).size(), 2u);  // The gift's record, then this one's.
    ASSERT_EQ(world.kernel->stats().lockstep_retries, 1u);
    EXPECT_EQ(recorder.failed_appends(), 0u);
    const std::vector<u8> bytes = m_compiler.bytes("driver_accrual");
    auto report = replay_process(**journal, world.pid, ByteSpan(bytes.data(), bytes.size()));
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_TRUE(report->identical()) << report->difference->what;
    EXPECT_EQ(report->inputs, 3u);
}

// A critical process's guest spans (span_begin/span_end) work as an ordinary one's, and
// each is exported once, when its message is released: a retried message's refused
// attempt exports none (and no second consumer span); the retry gets the same ids.
TEST_F(KernelLockstep, K60_GuestSpansAreExportedOnceWhenTheMessageIsReleased) {
    ESTA_BUILD(module, "span_accrual", kSpanAccrualGuest);
    for (bool checker_thread : {true, false}) {
        for (u32 replica = 0; replica < 2; ++replica) {
            const std::string where = "replica " + std::to_string(replica) +
                                      (checker_thread ? ", checker thread" : ", one thread");
            const KernelLockstepConfig config{.checker_thread = checker_thread};
            World world(module, true, config, nullptr, nullptr, true);
            World twin(module, false, config, nullptr, nullptr, true);
            const auto first = world.handle(1);
            ASSERT_EQ(first, twin.handle(1)) << where;
            ASSERT_EQ(first.size(), 1u) << where;
            ASSERT_TRUE(
                world.kernel->plan_lockstep_fault(world.pid, ledger_flip(replica, first[0])));
            EXPECT_EQ(world.handle(2), twin.handle(2)) << where;
            EXPECT_EQ(world.handle(3), twin.handle(3)) << where;
            EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u) << where;
            EXPECT_EQ(world.spans.count("accrue"), 3u) << where;
            EXPECT_EQ(world.spans.count("store"), 3u) << where;
            EXPECT_EQ(world.spans.shapes(), twin.spans.shapes()) << where;
        }
    }
}

// K-13 under K-60: a held send spends its handle's use at release, but the check at the
// syscall counts the uses already held in the message, so a one-use handle's second send
// is refused there (USES_EXHAUSTED, which the guest sees), as for an ordinary process;
// a retry starts with nothing held.
TEST_F(KernelLockstep, K60_ASecondSendOnAOneUseHandleIsRefusedAtTheSyscall) {
    ESTA_BUILD(module, "one_use_accrual", kOneUseAccrualGuest);
    struct Report {
        u32 total, check, seen, ledger_at;
        i32 first, second;
    };
    for (bool checker_thread : {true, false}) {
        World world(module, true, {.checker_thread = checker_thread});
        World twin(module, false);
        for (u32 seed = 1; seed <= 3; ++seed) {
            const auto sent = world.handle(seed);
            const auto expected = twin.handle(seed);
            ASSERT_EQ(sent.size(), 2u);  // "a", then the report.
            ASSERT_EQ(expected.size(), 2u);
            EXPECT_EQ(sent[0], expected[0]);
            Report report{};
            Report ordinary{};
            ASSERT_EQ(sent[1].size(), sizeof report);
            std::memcpy(&report, sent[1].data(), sizeof report);
            std::memcpy(&ordinary, expected[1].data(), sizeof ordinary);
            // A held send answers 0, not the mailbox sequence (it is queued later).
            EXPECT_EQ(report.first, 0);
            EXPECT_GT(ordinary.first, 0);
            EXPECT_EQ(report.second, -static_cast<i32>(Status::UsesExhausted)) << seed;
            EXPECT_EQ(report.second, ordinary.second);
            EXPECT_EQ(report.check, ordinary.check);
            if (seed == 1) {
                const FaultPlan flip = ledger_flip(1, sent[1]);
                ASSERT_TRUE(world.kernel->plan_lockstep_fault(world.pid, flip));
            }
        }
        EXPECT_EQ(world.kernel->stats().lockstep_retries, 1u);
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
