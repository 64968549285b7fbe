// LEB128 decoding through the checked ByteReader, against a minimal unchecked decoder as
// the baseline in the same run: the price of never trusting input.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "base/bytes.h"

namespace {

std::vector<esta::u8> encoded_values(std::size_t count) {
    std::mt19937 generator(42);  // Fixed seed: the same input every run.
    std::vector<esta::u8> bytes;
    for (std::size_t i = 0; i < count; ++i) {
        esta::u32 value = generator() >> (generator() % 32);
        do {
            esta::u8 byte = value & 0x7F;
            value >>= 7;
            if (value != 0) byte |= 0x80;
            bytes.push_back(byte);
        } while (value != 0);
    }
    return bytes;
}

constexpr std::size_t kValues = 4096;

void BM_Leb128Checked(benchmark::State& state) {
    auto bytes = encoded_values(kValues);
    for (auto _ : state) {
        esta::ByteReader reader{esta::ByteSpan(bytes)};
        esta::u64 sum = 0;
        while (!reader.at_end())
            sum += *reader.read_leb_u32();
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_Leb128Checked);

void BM_Leb128UncheckedBaseline(benchmark::State& state) {
    auto bytes = encoded_values(kValues);
    for (auto _ : state) {
        const esta::u8* p = bytes.data();
        const esta::u8* end = p + bytes.size();
        esta::u64 sum = 0;
        while (p < end) {
            esta::u32 value = 0;
            unsigned shift = 0;
            esta::u8 byte;
            do {
                byte = *p++;
                value |= esta::u32(byte & 0x7F) << shift;
                shift += 7;
            } while (byte & 0x80);
            sum += value;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_Leb128UncheckedBaseline);

}  // namespace
