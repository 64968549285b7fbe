// Primary/standby replication (K-61): how fast a primary's journal reaches an applied,
// acknowledged state on its standby over a real Unix socket, against the same records
// executed and chained on the primary alone (the baseline: everything but replication).
// "lag" is the time from a batch's append to its acknowledgement: the standby's lag
// under a saturating load.
#include <sys/socket.h>

#include <benchmark/benchmark.h>

#include <chrono>

#include "replication/primary.h"
#include "replication/standby.h"
#include "replication/test_machine.h"

namespace {

using namespace esta;
using namespace esta::replication;

ReplicationConfig bench_config(bool synchronous) {
    ReplicationConfig config;
    config.batch_interval = 0;
    config.synchronous = synchronous;
    config.checkpoint_every = 0;  // Measure shipping, not snapshots.
    return config;
}

void BM_PrimaryAlone(benchmark::State& state) {
    protocol::SystemClock clock;
    MemoryWitness witness;
    testing::SumMachine machine;
    Primary primary(1, *witness.acquire(1), bench_config(false), clock, machine, witness);
    u64 batch = static_cast<u64>(state.range(0));
    for (auto _ : state) {
        for (u64 i = 0; i < batch; ++i)
            benchmark::DoNotOptimize(primary.append(testing::input(i)));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_PrimaryAlone)->Arg(100);

void BM_ReplicatedOverUnixSocket(benchmark::State& state) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        state.SkipWithError("socketpair");
        return;
    }
    protocol::SystemClock clock;
    MemoryWitness witness;
    testing::SumMachine primary_machine;
    testing::SumMachine standby_machine;
    ReplicationConfig config = bench_config(true);
    Primary primary(1, *witness.acquire(1), config, clock, primary_machine, witness);
    Standby standby(2, config, clock, standby_machine, witness);
    primary.attach(std::make_unique<SocketLink>(fds[0]));
    (void)standby.attach(std::make_unique<SocketLink>(fds[1]));
    (void)primary.poll();
    u64 batch = static_cast<u64>(state.range(0));
    double lag_ns = 0;
    for (auto _ : state) {
        auto start = std::chrono::steady_clock::now();
        u64 last = 0;
        for (u64 i = 0; i < batch; ++i)
            last = *primary.append(testing::input(i));
        while (!primary.accepted(last)) {
            (void)primary.poll();
            (void)standby.poll();
        }
        lag_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
                      .count();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
    state.counters["lag_us"] = lag_ns / 1000.0 / static_cast<double>(state.iterations());
    state.counters["divergences"] = static_cast<double>(standby.stats().divergences);
}
BENCHMARK(BM_ReplicatedOverUnixSocket)->Arg(1)->Arg(100);

}  // namespace
