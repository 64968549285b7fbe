// The cost of tracing and metrics on a message ping-pong (REQUIREMENTS O-4, O-5): each
// iteration is one round trip, two hops of envelope build + wire encode + decode, the
// protocol work every kernel message does. The baseline is the same round trip untraced,
// in the same run; the traced variants add what the kernel's send/receive will do per hop
// (a producer span, the context into the envelope and out again, a consumer span, both
// ended into a BatchSpanProcessor whose worker encodes OTLP/JSON) with sampling off, 1 %
// and 100 %. A separate benchmark prices the exporter thread's OTLP/JSON encoding per span.
#include <benchmark/benchmark.h>

#include <memory>

#include "app/trace_propagation.h"
#include "encoding_exporter.h"
#include "observe/metrics.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/otlp_json.h"
#include "observe/trace/tracer.h"
#include "protocol/codec.h"

namespace {

using namespace esta;

ESTA_COUNTER(kSent, "bench.messages_sent", "Messages sent.");
ESTA_COUNTER(kReceived, "bench.messages_received", "Messages received.");
ESTA_HISTOGRAM(kHopLatency, "bench.hop_latency_seconds", "Hop latency.", observe::kLatencyBuckets);

struct Hop {
    protocol::ManualClock clock{1'764'000'000'000'000'000};
    protocol::MessageIdGenerator ids{clock, 1};
    protocol::HybridLogicalClock hlc{clock, 1};
    std::vector<u8> wire;

    // Sender side: build and encode. Receiver side: decode. Returns the decoded trace.
    protocol::TraceContext carry(const protocol::TraceContext& trace) {
        auto built = protocol::EnvelopeBuilder(protocol::MessageKind::Event, "ping")
                         .trace(trace)
                         .payload(protocol::PayloadFormat::Binary, std::vector<u8>(64, 7))
                         .build(ids, hlc, clock.now_ns());
        wire.clear();
        protocol::encode_envelope(built.envelope, wire);
        auto decoded = protocol::decode_envelope(ByteSpan(wire.data(), wire.size()));
        if (!decoded) std::abort();
        return decoded->trace;
    }
};

void BM_PingPong_Untraced(benchmark::State& state) {
    Hop hop;
    for (auto _ : state) {
        benchmark::DoNotOptimize(hop.carry({}));
        benchmark::DoNotOptimize(hop.carry({}));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong_Untraced);

// Counters and a latency histogram per hop, as O-5 asks of send/receive.
void BM_PingPong_Metrics(benchmark::State& state) {
    Hop hop;
    observe::MetricsRegistry metrics;
    observe::Counter& sent = metrics.counter(kSent);
    observe::Counter& received = metrics.counter(kReceived);
    observe::Histogram& latency = metrics.histogram(kHopLatency);
    for (auto _ : state) {
        for (int i = 0; i < 2; ++i) {
            sent.inc();
            benchmark::DoNotOptimize(hop.carry({}));
            received.inc();
            latency.observe(0.00002);
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong_Metrics);

// range(0): sampling ratio in basis points (0 = the ParentBased(TraceIdRatio(0)) sampler).
void BM_PingPong_Traced(benchmark::State& state) {
    const f64 ratio = static_cast<f64>(state.range(0)) / 10'000.0;
    Hop hop;
    observe::MetricsRegistry metrics;
    bench::EncodingExporter exporter;
    observe::BatchSpanProcessor processor(exporter, metrics);
    observe::ManualClock clock(1'764'000'000'000'000'000);
    observe::SeededIdSource ids(11);
    observe::ParentBasedSampler sampler(std::make_unique<observe::TraceIdRatioBasedSampler>(ratio));
    observe::Tracer tracer(clock, ids, sampler, processor);
    for (auto _ : state) {
        // A new trace per round trip, so the sampler decides once per ping-pong.
        observe::Span ping = tracer.start_span("send ping", observe::SpanKind::Producer);
        auto at_pong = app::from_envelope_trace(hop.carry(app::to_envelope_trace(ping.context())));
        observe::Span pong_receive = tracer.start_span("receive ping", observe::SpanKind::Consumer,
                                                       at_pong ? &*at_pong : nullptr);
        observe::Span pong =
            tracer.start_span("send pong", observe::SpanKind::Producer, &pong_receive.context());
        auto at_ping = app::from_envelope_trace(hop.carry(app::to_envelope_trace(pong.context())));
        observe::Span ping_receive = tracer.start_span("receive pong", observe::SpanKind::Consumer,
                                                       at_ping ? &*at_ping : nullptr);
        clock.advance(1'000);
        ping_receive.end();
        pong.end();
        pong_receive.end();
        ping.end();
    }
    processor.flush();
    const auto stats = processor.stats();
    state.counters["spans_exported"] = static_cast<double>(stats.exported);
    state.counters["spans_dropped"] = static_cast<double>(stats.dropped_queue_full);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PingPong_Traced)->Arg(0)->Arg(100)->Arg(10'000);

// The exporter thread's work: OTLP/JSON for a batch of 512 spans with 4 attributes each.
void BM_OtlpJsonEncodePerSpan(benchmark::State& state) {
    observe::SeededIdSource ids(3);
    std::vector<observe::SpanData> spans(512);
    for (auto& span : spans) {
        span.context.trace_id = ids.new_trace_id();
        span.context.span_id = ids.new_span_id();
        span.parent_span_id = ids.new_span_id();
        span.name = "receive accrual.hours_worked";
        span.kind = observe::SpanKind::Consumer;
        span.start_ns = 1'764'000'000'000'000'000;
        span.end_ns = span.start_ns + 12'345;
        span.attributes = {{"messaging.system", std::string("kafka")},
                           {"messaging.destination.name", std::string("esta.hours")},
                           {"messaging.kafka.destination.partition", i64{3}},
                           {"esta.process", i64{42}}};
    }
    const observe::TraceResource resource;
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string body = observe::encode_otlp_traces(resource, spans);
        bytes = body.size();
        benchmark::DoNotOptimize(body);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(spans.size()));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(bytes));
}
BENCHMARK(BM_OtlpJsonEncodePerSpan);

}  // namespace
