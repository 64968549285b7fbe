// The kernel runtime (REQUIREMENTS K-2, K-7, K-16, K-50): message passing between two wasm
// processes on one scheduler thread and across two, a capability check on the syscall path,
// spawning a small module, a syscall round trip from a guest, revoking a 10 000-node tree in
// bounded steps, and the interpreter's fuel per millisecond (the slice calibration in
// kernel/runtime/kernel_config.h). Each has a baseline in the same run. Guests are C
// against sdk/c/estalogic.h, compiled with clang-14 when the benchmark starts.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "encoding_exporter.h"
#include "kernel/observe_clock.h"
#include "kernel/observer_bridge.h"
#include "kernel/persistence/journaled_answers.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/runtime/test_harness.h"
#include "observe/kernel_telemetry.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/id_source.h"
#include "observe/trace/sampler.h"

namespace {

using namespace esta;
using namespace esta::kernel;
using testing::Module;
using testing::spec_of;
namespace guest = testing::guest;

// Waits for the host's "go" (0x12), then one round trip with pong, again and again.
constexpr const char* kDrivenPing = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (;;) {
        if (esta_recv(ESTA_RECV_FOREVER, 0x12, buf, sizeof buf, &info) < 0) esta_exit(1);
        esta_send(peer, 0x10, "ping", 4, 0, 0, 0);
        if (esta_recv(ESTA_RECV_FOREVER, 0x11, buf, sizeof buf, &info) != 4) esta_exit(2);
    }
}
)";

// 100 000 `now` syscalls, or the same loop with a volatile add instead (the baseline).
constexpr const char* kSyscalls = R"(#include "estalogic.h"
volatile esta_i64 sink;
__attribute__((export_name("_start"))) void start(void) {
    for (int i = 0; i < 100000; ++i) sink += USE_SYSCALL ? esta_now() : i;
    esta_exit(0);
}
)";

constexpr int kFreeRounds = 20'000;

// Guests are built once per run (-O2, as a deployment would), into a scratch directory.
Module compile_guest(const std::string& name, const std::string& code) {
    static testing::GuestCompiler compiler("-O2 -fno-builtin");
    static const bool ready = compiler.prepare(ESTA_SOURCE_PATH).empty();
    return ready ? compiler.build(name, code) : nullptr;
}

struct Harness {
    explicit Harness(KernelConfig config) : kernel(clock, audit, dead_letters, config) {}
    protocol::SystemClock clock;
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    Kernel kernel;
};

// The same kernel recording every process's inputs and syscall answers (T-1) on a real
// journal in a scratch directory, under `policy`.
struct JournaledHarness {
    JournaledHarness(KernelConfig config, protocol::FsyncPolicy policy)
        : directory(std::filesystem::temp_directory_path() /
                    ("esta-bench-t1-" + std::to_string(::getpid()))),
          journal(open(directory, policy)),
          recorder(*journal, clock),
          kernel(clock, audit, dead_letters, config, SyscallServices{.answers = &recorder}) {}
    ~JournaledHarness() {
        kernel.shutdown();
        std::filesystem::remove_all(directory);
    }
    std::unique_ptr<protocol::Journal> open(const std::filesystem::path& path,
                                            protocol::FsyncPolicy policy) {
        std::filesystem::remove_all(path);
        protocol::JournalOptions options;
        options.fsync = policy;
        return std::move(*protocol::Journal::open(files, path.string(), clock, options));
    }
    protocol::SystemClock clock;
    protocol::PosixFileSystem files;
    std::filesystem::path directory;
    std::unique_ptr<protocol::Journal> journal;
    JournaledAnswers recorder;
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    Kernel kernel;
};

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    std::size_t index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1));
    return samples[index];
}

// ---- fuel calibration ---------------------------------------------------------------

void BM_Baseline_NativeCountingLoop(benchmark::State& state) {
    volatile unsigned counter = 0;
    for (auto _ : state) {
        for (int i = 0; i < 1'000'000; ++i)
            counter = counter + 1;
    }
    state.SetItemsProcessed(state.iterations() * 1'000'000);
}
BENCHMARK(BM_Baseline_NativeCountingLoop)->Unit(benchmark::kMillisecond);

// One slice of 10 M fuel of the counting loop per iteration: items/s is fuel per second.
void BM_FuelPerMillisecond(benchmark::State& state) {
    Module looper = compile_guest("looper", guest::kLooper);
    if (!looper) return state.SkipWithError("clang-14/wasm-ld missing");
    Harness h(KernelConfig{.threads = 1});
    ProcessSpec spec = spec_of(looper);
    spec.slice_fuel = 10'000'000;
    (void)h.kernel.spawn(spec);
    for (auto _ : state)
        benchmark::DoNotOptimize(h.kernel.run_until_idle(1));
    state.SetItemsProcessed(state.iterations() * 10'000'000);
}
BENCHMARK(BM_FuelPerMillisecond)->Unit(benchmark::kMillisecond);

// ---- message passing ----------------------------------------------------------------

// Host-driven round trips on `kernel` (ping and pong spawned, ping waiting for "go"), one
// per iteration; `after` runs inside the timing (a journal commit). Latency percentiles.
template <class After>
void round_trips(benchmark::State& state, Kernel& kernel, ProcessId ping_pid, After after) {
    (void)kernel.run_until_idle();
    std::vector<double> samples;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        (void)kernel.send(ping_pid, MessageType(0x12), {});
        benchmark::DoNotOptimize(kernel.run_until_idle());
        after();
        samples.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                .count());
    }
    state.counters["p50_us"] = percentile(samples, 0.50);
    state.counters["p99_us"] = percentile(samples, 0.99);
    state.SetItemsProcessed(state.iterations() * 2);  // Messages between the guests.
}

// One host-driven round trip per iteration on one thread: latency percentiles.
void BM_PingPong_OneThread_RoundTrip(benchmark::State& state) {
    Module ping = compile_guest("driven_ping", kDrivenPing);
    Module pong = compile_guest("pong", guest::pong(0));
    if (!ping || !pong) return state.SkipWithError("clang-14/wasm-ld missing");
    Harness h(KernelConfig{.threads = 1});
    round_trips(state, h.kernel, testing::spawn_pair(h.kernel, ping, pong).first, [] {});
}
BENCHMARK(BM_PingPong_OneThread_RoundTrip);

// The same round trip with the T-1 journal on (the baseline is the one above): each round
// trip journals two deliveries and every syscall answer; `interval` fsyncs each 100 ms,
// `batch` commits (one fsync) after each round trip.
void BM_PingPong_OneThread_Journaled(benchmark::State& state) {
    Module ping = compile_guest("driven_ping", kDrivenPing);
    Module pong = compile_guest("pong", guest::pong(0));
    if (!ping || !pong) return state.SkipWithError("clang-14/wasm-ld missing");
    const auto policy = static_cast<protocol::FsyncPolicy>(state.range(0));
    JournaledHarness h(KernelConfig{.threads = 1}, policy);
    round_trips(state, h.kernel, testing::spawn_pair(h.kernel, ping, pong).first, [&] {
        if (policy == protocol::FsyncPolicy::Batch) (void)h.journal->commit();
    });
    state.SetLabel(std::string(protocol::fsync_policy_name(policy)));
}
BENCHMARK(BM_PingPong_OneThread_Journaled)
    ->Arg(static_cast<int>(protocol::FsyncPolicy::Interval))
    ->Arg(static_cast<int>(protocol::FsyncPolicy::Batch));

// The same host-driven round trip under an observed kernel (O-4, O-5): range(0) -1 = no
// observer (the baseline), -2 = metrics only, else tracing as well with
// ParentBased(TraceIdRatioBased(range(0) / 10 000)); the host's send starts each trace.
void BM_PingPong_Observed(benchmark::State& state) {
    Module ping = compile_guest("driven_ping", kDrivenPing);
    Module pong = compile_guest("pong", guest::pong(0));
    if (!ping || !pong) return state.SkipWithError("clang-14/wasm-ld missing");
    const i64 mode = state.range(0);
    protocol::SystemClock clock;
    ObserveClock time(clock);
    observe::MetricsRegistry metrics;
    bench::EncodingExporter exporter;
    observe::BatchSpanProcessor processor(exporter, metrics);
    observe::SeededIdSource ids(11);
    observe::ParentBasedSampler sampler(std::make_unique<observe::TraceIdRatioBasedSampler>(
        mode >= 0 ? static_cast<f64>(mode) / 10'000.0 : 0.0));
    observe::Tracer tracer(time, ids, sampler, processor);
    observe::KernelTelemetry telemetry({&metrics, &time, mode >= 0 ? &tracer : nullptr, nullptr});
    testing::RecordingAudit recorded;
    ObservedCapabilityAudit observed(telemetry, &recorded);
    SyscallServices services;
    if (mode != -1) services.observer = &telemetry;
    InMemoryDeadLetters dead_letters;
    CapabilityAudit& audit = mode != -1 ? static_cast<CapabilityAudit&>(observed) : recorded;
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 1}, services);
    ProcessId ping_pid = testing::spawn_pair(kernel, ping, pong).first;
    (void)kernel.run_until_idle();
    for (auto _ : state) {
        (void)kernel.send(ping_pid, MessageType(0x12), {});
        benchmark::DoNotOptimize(kernel.run_until_idle());
    }
    processor.flush();
    const auto stats = processor.stats();
    state.counters["spans_exported"] = static_cast<double>(stats.exported);
    state.counters["spans_dropped"] = static_cast<double>(stats.dropped_queue_full);
    state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_PingPong_Observed)->Arg(-1)->Arg(-2)->Arg(0)->Arg(100)->Arg(10'000);

// kFreeRounds round trips as fast as they go, on `threads` scheduler threads.
void BM_PingPong_Free(benchmark::State& state) {
    Module ping = compile_guest("free_ping", guest::ping(kFreeRounds));
    Module pong = compile_guest("pong", guest::pong(0));
    if (!ping || !pong) return state.SkipWithError("clang-14/wasm-ld missing");
    u32 threads = static_cast<u32>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        auto h = std::make_unique<Harness>(KernelConfig{.threads = threads});
        testing::spawn_pair(h->kernel, ping, pong);
        state.ResumeTiming();
        if (threads == 1) {
            benchmark::DoNotOptimize(h->kernel.run_until_idle());
        } else {
            (void)h->kernel.start();
            h->kernel.wait_idle(60 * kNanosPerSecond);
        }
        state.PauseTiming();
        h.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * kFreeRounds * 2);
    state.counters["round_trip_us"] = benchmark::Counter(
        static_cast<double>(state.iterations() * kFreeRounds),
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_PingPong_Free)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- the syscall path ---------------------------------------------------------------

void BM_Baseline_VectorIndex(benchmark::State& state) {
    std::vector<u32> slots(64, 7);
    u32 i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(slots[i++ & 63]);
    }
}
BENCHMARK(BM_Baseline_VectorIndex);

// HandleTable::get<Endpoint> with WRITE: the check every send runs (K-14's order).
void BM_CapabilityCheck(benchmark::State& state) {
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    auto endpoint = make_ref<Endpoint>(ids.next(), "e", ProcessId(2), MailboxConfig{});
    HandleTable table(tree, ProcessId(1), HandleTableConfig{});
    HandleValue value = *table.insert(tree.grant(endpoint, Right::Write, {}, kKernelProcess, 0));
    CheckContext context{ProcessId(1), 0};
    for (auto _ : state) {
        auto checked = table.get<Endpoint>(value, Right::Write, context);
        benchmark::DoNotOptimize(checked);
    }
}
BENCHMARK(BM_CapabilityCheck);

// 100 000 `now` calls from a guest against the same loop without the call.
void BM_SyscallRoundTrip(benchmark::State& state) {
    bool use_syscall = state.range(0) != 0;
    std::string code =
        std::string("#define USE_SYSCALL ") + (use_syscall ? "1" : "0") + "\n" + kSyscalls;
    Module module = compile_guest(use_syscall ? "now_loop" : "add_loop", code);
    if (!module) return state.SkipWithError("clang-14/wasm-ld missing");
    for (auto _ : state) {
        state.PauseTiming();
        auto h = std::make_unique<Harness>(KernelConfig{.threads = 1});
        ProcessSpec spec = spec_of(module);
        spec.slice_fuel = u64{1} << 40;
        (void)h->kernel.spawn(spec);
        state.ResumeTiming();
        benchmark::DoNotOptimize(h->kernel.run_until_idle());
        state.PauseTiming();
        h.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_SyscallRoundTrip)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// ---- scheduling ---------------------------------------------------------------------

class NoImports final : public ImportProvider {
  public:
    void define_imports(wasm::Store&, Process&, wasm::Linker&) override {}
};

// One pick + finish among 64 ready processes: Realtime ones with a queued deadline each
// (EDF, K-53) against Normal ones (priority and FIFO only), in the same run.
void BM_SchedulerPick(benchmark::State& state) {
    bool edf = state.range(0) != 0;
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    NoImports imports;
    Scheduler scheduler;
    Module module = testing::minimal_module();
    for (u32 i = 0; i < 64; ++i) {
        SpawnRequest request;
        request.module = module;
        request.priority = edf ? Priority::Realtime : Priority::Normal;
        auto process = Process::spawn(std::move(request), ProcessId(i + 1), ids, tree, imports);
        if (!process) return state.SkipWithError(process.error().to_string().c_str());
        Message message;
        message.type = MessageType(0x40);
        if (edf) message.deadline = static_cast<Nanos>((i * 7919) % 64) * kNanosPerMilli;
        (void)(*process)->mailbox().send(std::move(message));
        (void)scheduler.add(*process, 0);
    }
    for (auto _ : state) {
        Ref<Process> picked = scheduler.pick(0);
        auto finished = scheduler.finish(picked->pid(), SliceResult{ProcessState::Ready, 0}, 0);
        benchmark::DoNotOptimize(finished);
    }
}
BENCHMARK(BM_SchedulerPick)->Arg(0)->Arg(1);

// ---- spawn --------------------------------------------------------------------------

void BM_Spawn_SmallModule(benchmark::State& state) {
    Module module = testing::minimal_module();
    auto h = std::make_unique<Harness>(KernelConfig{.threads = 1});
    u64 spawned = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(h->kernel.spawn(spec_of(module)));
        if (++spawned % 1024 == 0) {
            state.PauseTiming();
            (void)h->kernel.run_until_idle();  // Let them finish; keep the table small.
            state.ResumeTiming();
        }
    }
}
BENCHMARK(BM_Spawn_SmallModule)->Unit(benchmark::kMicrosecond);

// ---- revocation ---------------------------------------------------------------------

// A 10 000-node tree (root, 100 children, 99 grandchildren each) revoked in steps of 256.
void BM_Revoke_TenThousandNodes(benchmark::State& state) {
    double worst_step_us = 0;
    u64 steps = 0;
    for (auto _ : state) {
        state.PauseTiming();
        testing::RecordingAudit audit;
        audit.events.reserve(1 << 15);
        CapTree tree(audit);
        ObjectIdAllocator ids;
        auto endpoint = make_ref<Endpoint>(ids.next(), "e", ProcessId(2), MailboxConfig{});
        Rights all = Right::Write | Right::Delegate | Right::Revoke;
        Handle root = tree.grant(endpoint, all, {}, ProcessId(1), 0);
        std::vector<Handle> nodes;
        nodes.reserve(10'000);  // `child` below must not move.
        CheckContext context{ProcessId(1), 0};
        for (int i = 0; i < 100; ++i) {
            auto derived = tree.derive(root, all, {}, context);
            if (!derived) return state.SkipWithError("derive failed");
            nodes.push_back(std::move(*derived));
            Handle& child = nodes.back();
            for (int j = 0; j < 99; ++j) {
                auto grandchild = tree.derive(child, all, {}, context);
                if (!grandchild) return state.SkipWithError("derive failed");
                nodes.push_back(std::move(*grandchild));
            }
        }
        state.ResumeTiming();
        RevokeProgress progress =
            tree.revoke(root.node_ref(), RevokeScope::Descendants, ProcessId(1), 0, 256);
        ++steps;
        while (progress.state != RevokeState::Done) {
            auto start = std::chrono::steady_clock::now();
            progress = tree.resume_revoke(root.node_ref(), 0, 256);
            worst_step_us = std::max(worst_step_us, std::chrono::duration<double, std::micro>(
                                                        std::chrono::steady_clock::now() - start)
                                                        .count());
            ++steps;
        }
        state.PauseTiming();
        nodes.clear();
        state.ResumeTiming();
    }
    state.counters["steps_per_revoke"] =
        static_cast<double>(steps) / static_cast<double>(state.iterations());
    state.counters["worst_step_us"] = worst_step_us;
}
BENCHMARK(BM_Revoke_TenThousandNodes)->Unit(benchmark::kMillisecond);

}  // namespace
