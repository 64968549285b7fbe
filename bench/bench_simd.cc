// Every SIMD operator's portable path (lane loops over the scalar functors) against its host
// path (SSE2, plus SSE4.1 when compiled for it) in the same run, on the same seeded inputs
// (REQUIREMENTS T-5: both give identical bits; this measures what the host path buys).
// Benchmarks are named "<path>/<instruction>", e.g. "host/f32x4.min"; operators without a
// host path have only a portable entry.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "wasm/ops_simd_list.h"

namespace {

using namespace esta;
using namespace esta::wasm;
namespace simd = esta::wasm::ops::simd;

constexpr std::size_t kValues = 1024;

// Random bits with a sprinkling of NaNs, zeros and small floats, from a fixed seed.
const std::vector<V128>& inputs() {
    static const std::vector<V128> values = [] {
        std::mt19937_64 generator(42);
        std::vector<V128> result(kValues);
        for (V128& value : result) {
            value = V128::from_halves(generator(), generator());
            if (generator() % 4 == 0) {
                for (unsigned i = 0; i < 4; ++i) {
                    value.set_lane<f32>(
                        i, static_cast<f32>(static_cast<int>(generator() % 2001) - 1000) / 7.0f);
                }
            }
            if (generator() % 16 == 0) value.set_lane<u32>(generator() % 4, 0x7FC00001u);
        }
        return result;
    }();
    return values;
}

template <class T>
u64 fold(const T& result) {
    if constexpr (std::same_as<T, V128>) {
        return result.low() ^ result.high();
    } else if constexpr (std::is_floating_point_v<T>) {
        return std::bit_cast<std::conditional_t<sizeof(T) == 4, u32, u64>>(result);
    } else {
        return result;
    }
}

// Runs `call(a, b)` over neighbouring inputs, so each iteration is one operator application.
template <class Call>
void run(benchmark::State& state, Call call) {
    const std::vector<V128>& values = inputs();
    for (auto _ : state) {
        u64 sum = 0;
        for (std::size_t i = 0; i + 1 < kValues; ++i)
            sum += fold(call(values[i], values[i + 1]));
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()) * (kValues - 1));
}

// A call with inputs of the operator's shape, through `path` (portable or dispatched).
template <class Op, bool kHost>
auto make_call() {
    const auto invoke = [](const auto&... args) {
        if constexpr (kHost) {
            return Op{}(args...);
        } else {
            return Op::portable(args...);
        }
    };
    return [invoke](const V128& a, const V128& b) {
        if constexpr (requires(V128 v, simd::Shuffle::Lanes lanes) { Op::portable(v, v, lanes); }) {
            simd::Shuffle::Lanes lanes;
            for (unsigned i = 0; i < 16; ++i)
                lanes[i] = static_cast<u8>(b.bytes[i] & 31);
            return invoke(a, b, lanes);
        } else if constexpr (requires { typename Op::LaneOperand; }) {
            return invoke(a, b.lane<typename Op::LaneOperand>(0),
                          static_cast<unsigned>(b.bytes[15]));
        } else if constexpr (!std::same_as<typename Op::Operand, V128>) {
            return invoke(a.lane<typename Op::Operand>(0));
        } else if constexpr (requires(V128 v) { Op::portable(v, v, v); }) {
            return invoke(a, b, V128::from_halves(b.high(), a.low()));
        } else if constexpr (requires(V128 v) { Op::portable(v, v); }) {
            return invoke(a, b);
        } else if constexpr (requires(V128 v, u32 count) { Op::portable(v, count); }) {
            return invoke(a, static_cast<u32>(b.bytes[0]));
        } else {
            return invoke(a);
        }
    };
}

const bool kRegistered = [] {
    simd::for_each_simd_operator([]<class Op>() {
        const std::string name(Op::name);
        benchmark::RegisterBenchmark(("portable/" + name).c_str(), [](benchmark::State& state) {
            run(state, make_call<Op, false>());
        });
        if constexpr (
            requires(V128 v) { Op::host(v); } || requires(V128 v) { Op::host(v, v); } ||
            requires(V128 v) { Op::host(v, v, v); } ||
            requires(V128 v, u32 c) { Op::host(v, c); } ||
            requires(V128 v, simd::Shuffle::Lanes l) { Op::host(v, v, l); }) {
            if (simd::kHostPath) {
                benchmark::RegisterBenchmark(("host/" + name).c_str(), [](benchmark::State& state) {
                    run(state, make_call<Op, true>());
                });
            }
        }
    });
    return true;
}();

}  // namespace
