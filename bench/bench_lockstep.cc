// K-60 lockstep cost: one message of the lockstep test guest (about 31 000 wasm
// instructions: accrue 64 amounts into a ledger, one driver request, an audit record and a
// message out) handled by two replicas with the effect comparison and the dirty-page
// digest, sequentially on one thread and with the second replica on its own pinned core;
// the baseline is the same message on a single replica (same host interface, the driver
// call and the delivery, no second replica, no comparison).
//
// The kernel path (BM_Kernel*): the same kind of handler under the Kernel's ABI, spawned
// `critical` (the process and its gate's checker replica, effects held and compared; the
// checker on its own thread, or after the leader on the same one) and spawned ordinary; one message
// in, run to idle on the caller's thread, the record taken from the sink endpoint.
#include <benchmark/benchmark.h>

#include "kernel/audit_log_object.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/redundancy/lockstep_test_guest.h"
#include "kernel/runtime/test_harness.h"

namespace esta::kernel {
namespace {

const std::vector<u8>* guest() {
    std::string why;
    const std::vector<u8>& bytes = testing::lockstep_guest_bytes(why, ESTA_SOURCE_PATH);
    return bytes.empty() ? nullptr : &bytes;
}

void run_lockstep(benchmark::State& state, bool threads) {
    const std::vector<u8>* bytes = guest();
    if (bytes == nullptr) return state.SkipWithError("clang-14 or wasm-ld-14 missing");
    observe::MetricsRegistry metrics;
    NullSafetySink sink;
    testing::LockstepWorld world;
    auto runner = LockstepRunner::create(*bytes, "bench", LockstepOptions{.threads = threads},
                                         world.services(), metrics, sink);
    if (!runner) return state.SkipWithError(runner.error().to_string().c_str());
    std::vector<u8> message = testing::lockstep_message(1);
    u64 sequence = 0;
    for (auto _ : state) {
        auto outcome = (*runner)->handle(++sequence, ByteSpan(message.data(), message.size()));
        if (!outcome || outcome->decision != LockstepDecision::Release)
            return state.SkipWithError("lockstep did not release");
        world.delivered.clear();
        world.audited.clear();
    }
    state.counters["pinned"] = (*runner)->pinned() ? 1 : 0;
    state.SetItemsProcessed(state.iterations());
}

void BM_LockstepTwoReplicasOneThread(benchmark::State& state) {
    run_lockstep(state, false);
}
void BM_LockstepTwoReplicasTwoCores(benchmark::State& state) {
    run_lockstep(state, true);
}

// Baseline: one replica, the same message, host interface and driver round.
void BM_LockstepBaselineSingleReplica(benchmark::State& state) {
    const std::vector<u8>* bytes = guest();
    if (bytes == nullptr) return state.SkipWithError("clang-14 or wasm-ld-14 missing");
    testing::LockstepWorld world;
    LockstepServices services = world.services();
    AnswerJournal journal;
    auto module = wasm::compile(ByteSpan(bytes->data(), bytes->size()));
    if (!module) return state.SkipWithError("compile");
    auto replica = Replica::create(0, *module, journal, services, 100'000'000);
    if (!replica) return state.SkipWithError("instantiate");
    std::vector<u8> message = testing::lockstep_message(1);
    u64 sequence = 0;
    for (auto _ : state) {
        journal.reset();
        (*replica)->begin(++sequence, ByteSpan(message.data(), message.size()), nullptr);
        ReplicaStop stop = (*replica)->run();
        while (stop.kind == ReplicaStop::Kind::Sync) {
            const ParkedEffect& request = *(*replica)->pending_request();
            auto reply = services.driver(request.target >> 16, request.target & 0xFFFF,
                                         ByteSpan(request.bytes.data(), request.bytes.size()));
            (*replica)->give_reply(reply ? std::optional(std::move(*reply)) : std::nullopt);
            stop = (*replica)->run();
        }
        for (const ParkedEffect& effect : (*replica)->outbox()) {
            ByteSpan payload(effect.bytes.data(), effect.bytes.size());
            if (effect.kind == EffectKind::MessageSent) services.deliver(effect.target, payload);
            if (effect.kind == EffectKind::AuditRecord) services.audit(payload);
        }
        world.delivered.clear();
        world.audited.clear();
    }
    state.SetItemsProcessed(state.iterations());
}

class CountingAuditLog final : public KernelAuditLog {
  public:
    Result<u64> append(ProcessId, std::string_view, std::span<const u8>) override {
        return ++count;
    }
    u64 count = 0;
};

void run_kernel(benchmark::State& state, bool critical, bool checker_thread = true) {
    static testing::GuestCompiler compiler;
    static const std::string prepared = compiler.prepare(ESTA_SOURCE_PATH);
    if (!prepared.empty()) return state.SkipWithError(prepared.c_str());
    auto module = compiler.build("kernel_accrual", testing::kKernelAccrualGuest);
    if (!module) return state.SkipWithError("clang-14 or wasm-ld-14 missing");
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    NullCapabilityAudit cap_audit;
    InMemoryDeadLetters dead_letters;
    observe::MetricsRegistry metrics;
    NullSafetySink sink;
    KernelLockstepSupport support{&metrics, &sink, {}};
    support.config.checker_thread = checker_thread;
    SyscallServices services;
    services.lockstep = &support;
    Kernel kernel(clock, cap_audit, dead_letters,
                  KernelConfig{.threads = 1, .fuel_per_milli = 1000}, services);
    CountingAuditLog audit_log;
    Ref<Endpoint> outbox = make_ref<Endpoint>(ObjectId(900'001), "sink", ProcessId(900'000),
                                              MailboxConfig{.capacity = 4096});
    ProcessSpec spec = testing::spec_of(module);
    spec.critical = critical;
    spec.grants.push_back(GrantSpec{"sink", outbox, Right::Write});
    spec.grants.push_back(GrantSpec{
        "audit", make_ref<AuditLogObject>(ObjectId(900'002), "audit", audit_log), Right::Write});
    auto pid = kernel.spawn(std::move(spec));
    if (!pid) return state.SkipWithError(pid.error().to_string().c_str());
    std::vector<u8> message = testing::lockstep_message(1);
    for (auto _ : state) {
        if (!kernel.send(*pid, MessageType(0x10), message) || !kernel.run_until_idle() ||
            kernel.take(*outbox, 4).size() != 1)
            return state.SkipWithError("the message did not come out");
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_KernelOrdinaryProcess(benchmark::State& state) {
    run_kernel(state, false);
}
void BM_KernelCriticalProcess(benchmark::State& state) {
    run_kernel(state, true);
}
void BM_KernelCriticalProcessOneThread(benchmark::State& state) {
    run_kernel(state, true, false);
}

BENCHMARK(BM_KernelOrdinaryProcess)->UseRealTime();
BENCHMARK(BM_KernelCriticalProcess)->UseRealTime();
BENCHMARK(BM_KernelCriticalProcessOneThread)->UseRealTime();
BENCHMARK(BM_LockstepBaselineSingleReplica)->UseRealTime();
BENCHMARK(BM_LockstepTwoReplicasOneThread)->UseRealTime();
BENCHMARK(BM_LockstepTwoReplicasTwoCores)->UseRealTime();

}  // namespace
}  // namespace esta::kernel
