// The cost of real-time bookkeeping on a hot path (REQUIREMENTS K-50, K-51): charging a
// latency-budget component, finishing a budgeted operation (histogram + overrun check),
// adding a jitter sample, and a full jitter update (add + statistics + spec check + gauges),
// each against pushing the same sample into a plain std::vector in the same run.
#include <benchmark/benchmark.h>

#include <vector>

#include "kernel/guardrails/safety_sink.h"
#include "kernel/realtime/jitter.h"
#include "kernel/realtime/latency_budget.h"
#include "observe/metrics.h"

namespace {

using esta::kernel::Nanos;

// Deterministic sample stream: a few hundred ns of spread around 20 µs.
Nanos sample(esta::u64 i) {
    return 20'000 + static_cast<Nanos>((i * 2654435761u) % 512);
}

void BM_Baseline_VectorPush(benchmark::State& state) {
    std::vector<Nanos> samples;
    samples.reserve(1 << 20);
    esta::u64 i = 0;
    for (auto _ : state) {
        if (samples.size() == samples.capacity()) samples.clear();
        samples.push_back(sample(i++));
        benchmark::DoNotOptimize(samples.data());
    }
}
BENCHMARK(BM_Baseline_VectorPush);

void BM_LatencyBudget_Charge(benchmark::State& state) {
    esta::kernel::BudgetSpec spec = esta::kernel::message_passing_budget();
    esta::kernel::LatencyBudget budget(spec);
    esta::u64 i = 0;
    for (auto _ : state) {
        auto overrun = budget.charge(esta::kernel::BudgetComponent::Transmission, sample(i++));
        benchmark::DoNotOptimize(overrun);
        if ((i & 63) == 0) budget = esta::kernel::LatencyBudget(spec);
    }
}
BENCHMARK(BM_LatencyBudget_Charge);

void BM_LatencyBudget_RecordOperation(benchmark::State& state) {
    esta::observe::MetricsRegistry metrics;
    esta::kernel::NullSafetySink sink;
    esta::kernel::LatencyAccounting accounting(esta::kernel::message_passing_budget(), metrics,
                                               sink);
    esta::u64 i = 0;
    for (auto _ : state) {
        esta::kernel::LatencyBudget budget = accounting.start();
        (void)budget.charge(esta::kernel::BudgetComponent::Transmission, sample(i++));
        benchmark::DoNotOptimize(accounting.finish(budget, 0));
    }
}
BENCHMARK(BM_LatencyBudget_RecordOperation);

void BM_Jitter_Add(benchmark::State& state) {
    esta::kernel::JitterTracker tracker(esta::kernel::message_passing_jitter());
    esta::u64 i = 0;
    for (auto _ : state) {
        tracker.add(sample(i++));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_Jitter_Add);

void BM_Jitter_Update(benchmark::State& state) {
    esta::observe::MetricsRegistry metrics;
    esta::kernel::NullSafetySink sink;
    esta::kernel::JitterMonitor monitor(esta::kernel::message_passing_jitter(), metrics, sink);
    esta::u64 i = 0;
    for (auto _ : state) {
        auto verdict = monitor.record(sample(i), static_cast<Nanos>(i));
        ++i;
        benchmark::DoNotOptimize(verdict);
    }
}
BENCHMARK(BM_Jitter_Update);

}  // namespace
