// The numeric operators against the plain host operation in the same run: the price of
// canonical NaNs, hand-rounded conversions and trap checks (REQUIREMENTS T-5, E-6).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "wasm/ops_numeric.h"

namespace {

using namespace esta;
namespace ops = esta::wasm::ops;

constexpr std::size_t kValues = 4096;

// Finite values of mixed magnitude and sign with an occasional NaN, from a fixed seed.
template <class T>
std::vector<T> inputs() {
    std::mt19937_64 generator(42);
    std::vector<T> values(kValues);
    for (T& value : values) {
        if constexpr (std::is_floating_point_v<T>) {
            value = static_cast<T>(static_cast<i64>(generator() >> 20) - (i64{1} << 43)) /
                    static_cast<T>(generator() % 4096 + 1);
            if (generator() % 64 == 0) value = std::numeric_limits<T>::quiet_NaN();
        } else {
            value = static_cast<T>(generator() >> (generator() % 64));
        }
    }
    return values;
}

// Applies `operation` to every input and its neighbour, summing the result bits.
template <class T, class Operation>
void run_binary(benchmark::State& state, Operation operation) {
    const std::vector<T> values = inputs<T>();
    for (auto _ : state) {
        u64 sum = 0;
        for (std::size_t i = 0; i + 1 < kValues; ++i) {
            const auto result = operation(values[i], values[i + 1]);
            if constexpr (std::is_floating_point_v<decltype(result)>) {
                sum += std::bit_cast<std::conditional_t<sizeof(result) == 4, u32, u64>>(result);
            } else {
                sum += result;
            }
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * (kValues - 1));
}

template <class T, class Operation>
void run_unary(benchmark::State& state, Operation operation) {
    run_binary<T>(state, [&](T a, T) { return operation(a); });
}

void BM_F64AddCanonical(benchmark::State& state) {
    run_binary<f64>(state, [](f64 a, f64 b) { return ops::Add<f64>{}(a, b); });
}
void BM_F64AddHost(benchmark::State& state) {
    run_binary<f64>(state, [](f64 a, f64 b) { return a + b; });
}
BENCHMARK(BM_F64AddCanonical);
BENCHMARK(BM_F64AddHost);

void BM_F64MinWasm(benchmark::State& state) {
    run_binary<f64>(state, [](f64 a, f64 b) { return ops::Min<f64>{}(a, b); });
}
void BM_F64MinHost(benchmark::State& state) {
    run_binary<f64>(state, [](f64 a, f64 b) { return std::fmin(a, b); });
}
BENCHMARK(BM_F64MinWasm);
BENCHMARK(BM_F64MinHost);

void BM_F64NearestByHand(benchmark::State& state) {
    run_unary<f64>(state, [](f64 a) { return ops::Nearest<f64>{}(a); });
}
void BM_F64NearestHost(benchmark::State& state) {
    run_unary<f64>(state, [](f64 a) { return std::nearbyint(a); });
}
BENCHMARK(BM_F64NearestByHand);
BENCHMARK(BM_F64NearestHost);

void BM_ConvertU64ToF32ByHand(benchmark::State& state) {
    run_unary<u64>(state, [](u64 a) { return ops::ConvertU<f32, u64>{}(a); });
}
void BM_ConvertU64ToF32Host(benchmark::State& state) {
    run_unary<u64>(state, [](u64 a) { return static_cast<f32>(a); });
}
BENCHMARK(BM_ConvertU64ToF32ByHand);
BENCHMARK(BM_ConvertU64ToF32Host);

void BM_TruncF64ToI32Checked(benchmark::State& state) {
    run_unary<f64>(state, [](f64 a) {
        const auto result = ops::TruncS<u32, f64>{}(a);
        return result.ok() ? result.value : 0u;
    });
}
// Unchecked baseline: only meaningful (and only defined) for in-range inputs, hence the clamp.
void BM_TruncF64ToI32Host(benchmark::State& state) {
    run_unary<f64>(state, [](f64 a) {
        return a > -2147483648.0 && a < 2147483647.0 ? static_cast<u32>(static_cast<i32>(a)) : 0u;
    });
}
BENCHMARK(BM_TruncF64ToI32Checked);
BENCHMARK(BM_TruncF64ToI32Host);

void BM_I64DivSChecked(benchmark::State& state) {
    run_binary<u64>(state, [](u64 a, u64 b) {
        const auto result = ops::DivS<u64>{}(a, b | 1);
        return result.ok() ? result.value : 0u;
    });
}
void BM_I64DivSHost(benchmark::State& state) {
    run_binary<u64>(state, [](u64 a, u64 b) {
        // A fair baseline still has to skip the one quotient C++ leaves undefined.
        const i64 divisor = static_cast<i64>(b | 1);
        if (a == 0x8000000000000000u && divisor == -1) return u64{0};
        return static_cast<u64>(static_cast<i64>(a) / divisor);
    });
}
BENCHMARK(BM_I64DivSChecked);
BENCHMARK(BM_I64DivSHost);

}  // namespace
