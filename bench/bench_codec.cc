// Envelope encode/decode throughput against a plain memcpy of the same number of bytes in
// the same run (the floor any codec pays), and CRC32C portable vs SSE4.2.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "protocol/codec.h"
#include "protocol/crc32c.h"

namespace {

using esta::u8;
using namespace esta::protocol;

Envelope envelope_with_payload(std::size_t payload_bytes) {
    Envelope envelope;
    envelope.id = MessageId{0x0192000070010000ull, 0x8000000000000042ull};
    envelope.timestamp = HlcTimestamp{1'700'000'000'000'000'000, 1, 7};
    envelope.kind = MessageKind::Event;
    envelope.type = "accrual.hours_worked";
    envelope.idempotency_key = "employee-17/2026-11-27";
    envelope.trace.trace_id_high = 1;
    envelope.sender = SenderIdentity{99, "service:payroll", {}};
    envelope.tenant = "acme";
    envelope.headers = {{"content-type", "application/octet-stream"}};
    envelope.payload.format = PayloadFormat::Binary;
    envelope.payload.bytes.resize(payload_bytes);
    for (std::size_t i = 0; i < payload_bytes; ++i)
        envelope.payload.bytes[i] = u8(i * 31);
    return envelope;
}

void BM_EncodeEnvelope(benchmark::State& state) {
    const Envelope envelope = envelope_with_payload(static_cast<std::size_t>(state.range(0)));
    std::vector<u8> out;
    for (auto _ : state) {
        out.clear();
        encode_envelope(envelope, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeEnvelope)->Arg(64)->Arg(4096)->Arg(65536)->Arg(1 << 20);

void BM_DecodeEnvelope(benchmark::State& state) {
    const std::vector<u8> bytes =
        encode_envelope(envelope_with_payload(static_cast<std::size_t>(state.range(0))));
    for (auto _ : state) {
        auto decoded = decode_envelope(esta::ByteSpan(bytes));
        benchmark::DoNotOptimize(decoded);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_DecodeEnvelope)->Arg(64)->Arg(4096)->Arg(65536)->Arg(1 << 20);

// The baseline: copying the encoded frame's bytes into a buffer, nothing checked.
void BM_MemcpyBaseline(benchmark::State& state) {
    const std::vector<u8> source =
        encode_envelope(envelope_with_payload(static_cast<std::size_t>(state.range(0))));
    std::vector<u8> target(source.size());
    for (auto _ : state) {
        std::memcpy(target.data(), source.data(), source.size());
        benchmark::DoNotOptimize(target.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(source.size()));
}
BENCHMARK(BM_MemcpyBaseline)->Arg(64)->Arg(4096)->Arg(65536)->Arg(1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
    const std::vector<u8> data(static_cast<std::size_t>(state.range(0)), 0x5A);
    for (auto _ : state)
        benchmark::DoNotOptimize(crc32c_portable(esta::ByteSpan(data)));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cHardware(benchmark::State& state) {
    if (!crc32c_hardware_available()) {
        state.SkipWithError("no SSE4.2");
        return;
    }
    const std::vector<u8> data(static_cast<std::size_t>(state.range(0)), 0x5A);
    for (auto _ : state)
        benchmark::DoNotOptimize(crc32c_hardware(esta::ByteSpan(data)));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cHardware)->Arg(4096)->Arg(1 << 20);

}  // namespace
