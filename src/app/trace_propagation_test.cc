// A message that crosses three processes and driver calls, traced end to end: each
// "process" has its own tracer, id source and OTLP exporter, the trace context travels only
// inside the encoded envelope, and a test OTLP/HTTP receiver checks what arrives.
#include "app/trace_propagation.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "observe/http_server.h"
#include "observe/metrics.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/otlp_exporter.h"
#include "observe/trace/tracer.h"
#include "protocol/codec.h"

namespace esta::app {
namespace {

using nlohmann::json;
using observe::SpanKind;

constexpr i64 kStart = 1'764'000'000'000'000'000;  // 2025-11-24, in Unix nanoseconds.

// The collector: POST /v1/traces on a loopback port the OS picks.
class Collector {
  public:
    Collector() {
        observe::HttpServerOptions options;
        options.port = 0;
        auto started = observe::ObserveHttpServer::start(
            options, [] { return std::string(); }, [] { return observe::HealthStatus{}; },
            [] { return observe::HealthStatus{}; });
        EXPECT_TRUE(started) << started.error().to_string();
        m_server = std::move(*started);
        m_server->add_route("POST", "/v1/traces", observe::RouteAccess::Public,
                            [this](const observe::HttpRequestView& request) {
                                std::lock_guard lock(m_mutex);
                                m_bodies.push_back(request.body);
                                return observe::HttpReply{200, "application/json", "{}"};
                            });
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_server->port()); }
    std::vector<std::string> bodies() const {
        std::lock_guard lock(m_mutex);
        return m_bodies;
    }

  private:
    std::unique_ptr<observe::ObserveHttpServer> m_server;
    mutable std::mutex m_mutex;
    std::vector<std::string> m_bodies;
};

// One traced process: its own ids, sampler, exporter and processor; the clock is shared.
struct TracedProcess {
    observe::SeededIdSource ids;
    observe::ParentBasedSampler sampler{std::make_unique<observe::AlwaysOnSampler>()};
    observe::MetricsRegistry metrics;
    std::unique_ptr<observe::OtlpHttpExporter> exporter;
    std::unique_ptr<observe::BatchSpanProcessor> processor;
    std::unique_ptr<observe::Tracer> tracer;

    TracedProcess(const observe::Clock& clock, const Collector& collector, std::string name,
                  u64 seed)
        : ids(seed) {
        observe::OtlpHttpOptions options;
        options.endpoint = collector.endpoint();
        options.resource.service_name = std::move(name);
        auto created = observe::OtlpHttpExporter::create(std::move(options));
        EXPECT_TRUE(created);
        exporter = std::move(*created);
        processor = std::make_unique<observe::BatchSpanProcessor>(*exporter, metrics);
        tracer = std::make_unique<observe::Tracer>(clock, ids, sampler, *processor);
    }
};

// Sends the way the kernel will: the sender's span context goes into the envelope, the
// envelope goes through the wire codec, and the receiver takes its parent from it.
std::vector<u8> send(const observe::Span& span, std::string type) {
    protocol::ManualClock clock(kStart);
    protocol::MessageIdGenerator ids(clock, 1);
    protocol::HybridLogicalClock hlc(clock, 1);
    auto built = protocol::EnvelopeBuilder(protocol::MessageKind::Event, std::move(type))
                     .trace(to_envelope_trace(span.context()))
                     .json(R"({"hours":8})")
                     .build(ids, hlc, kStart);
    EXPECT_TRUE(built.ok());
    return protocol::encode_envelope(built.envelope);
}

observe::SpanContext receive(const std::vector<u8>& wire) {
    auto envelope = protocol::decode_envelope(ByteSpan(wire.data(), wire.size()));
    EXPECT_TRUE(envelope) << envelope.error().to_string();
    auto parent = from_envelope_trace(envelope->trace);
    EXPECT_TRUE(parent.has_value());
    return parent.value_or(observe::SpanContext{});
}

struct ExportedSpan {
    std::string service;
    json span;
};

std::map<std::string, ExportedSpan> spans_by_name(const std::vector<std::string>& bodies) {
    std::map<std::string, ExportedSpan> spans;
    for (const std::string& body : bodies) {
        const json request = json::parse(body);
        for (const json& resource_spans : request.at("resourceSpans")) {
            const std::string service =
                resource_spans.at("resource").at("attributes").at(0).at("value").at("stringValue");
            for (const json& scope : resource_spans.at("scopeSpans"))
                for (const json& span : scope.at("spans"))
                    spans[span.at("name")] = {service, span};
        }
    }
    return spans;
}

std::string attribute(const json& span, std::string_view key) {
    for (const json& attribute : span.at("attributes"))
        if (attribute.at("key") == key) return attribute.at("value").dump();
    return "";
}

i64 nanos(const json& span, const char* field) {
    return std::stoll(span.at(field).get<std::string>());
}

TEST(TracePropagation, O4_MessageAcrossThreeProcessesAndDriverCallsReachesTheCollector) {
    Collector collector;
    observe::ManualClock clock(kStart);
    TracedProcess ingress(clock, collector, "ingress", 1);
    TracedProcess accrual(clock, collector, "accrual", 2);
    TracedProcess ledger(clock, collector, "ledger", 3);

    // (1) ingress: a request starts the trace and sends an event.
    observe::Span request = ingress.tracer->start_span("POST /hours", SpanKind::Server);
    ASSERT_TRUE(request.context().trace_state.empty());
    observe::SpanContext with_state = request.context();
    ASSERT_TRUE(with_state.trace_state.set("esta", "ingress"));
    clock.advance(1'000);
    observe::Span publish =
        ingress.tracer->start_span("send accrual.hours_worked", SpanKind::Producer, &with_state);
    const std::vector<u8> to_accrual = send(publish, "accrual.hours_worked");
    clock.advance(2'000);
    publish.end();
    request.end();

    // (2) accrual: receives, reads a balance from PostgreSQL, sends on.
    clock.advance(10'000);
    const observe::SpanContext from_ingress = receive(to_accrual);
    observe::Span handle = accrual.tracer->start_span("receive accrual.hours_worked",
                                                      SpanKind::Consumer, &from_ingress);
    observe::semconv::PostgresCall select;
    select.database = "esta";
    select.operation = "SELECT";
    select.table = "balances";
    select.server = {"db.internal", 5432};
    clock.advance(500);
    observe::Span query =
        accrual.tracer->start_span(observe::semconv::postgres(select), &handle.context());
    clock.advance(40'000);
    query.end();
    observe::Span forward =
        accrual.tracer->start_span("send ledger.accrued", SpanKind::Producer, &handle.context());
    const std::vector<u8> to_ledger = send(forward, "ledger.accrued");
    clock.advance(1'000);
    forward.end();
    handle.end();

    // (3) ledger: receives, caches in Redis and publishes to Kafka.
    clock.advance(20'000);
    const observe::SpanContext from_accrual = receive(to_ledger);
    observe::Span record =
        ledger.tracer->start_span("receive ledger.accrued", SpanKind::Consumer, &from_accrual);
    observe::semconv::RedisCall set;
    set.command = "SET";
    set.database_index = 0;
    observe::Span cache =
        ledger.tracer->start_span(observe::semconv::redis(set), &record.context());
    clock.advance(3'000);
    cache.end();
    observe::semconv::KafkaCall produce;
    produce.topic = "esta.ledger";
    produce.partition = 2;
    observe::Span kafka =
        ledger.tracer->start_span(observe::semconv::kafka(produce), &record.context());
    clock.advance(7'000);
    kafka.end();
    record.end();

    for (TracedProcess* process : {&ingress, &accrual, &ledger})
        process->processor->flush();
    for (TracedProcess* process : {&ingress, &accrual, &ledger})
        EXPECT_EQ(process->processor->stats().dropped_export_failed, 0u);

    auto spans = spans_by_name(collector.bodies());
    ASSERT_EQ(spans.size(), 8u);
    const std::string trace_id = spans.at("POST /hours").span.at("traceId");
    EXPECT_EQ(trace_id, request.context().trace_id.hex());
    EXPECT_EQ(trace_id.size(), 32u);
    EXPECT_EQ(trace_id.find_first_not_of("0123456789abcdef"), std::string::npos);
    for (const auto& [name, exported] : spans) {
        EXPECT_EQ(exported.span.at("traceId"), trace_id) << name;
        const std::string span_id = exported.span.at("spanId");
        EXPECT_EQ(span_id.size(), 16u) << name;
        EXPECT_EQ(span_id.find_first_not_of("0123456789abcdef"), std::string::npos) << name;
        EXPECT_LE(nanos(exported.span, "startTimeUnixNano"),
                  nanos(exported.span, "endTimeUnixNano"));
    }

    // Parent links: within a process and across both envelopes.
    const auto id = [&](const char* name) {
        return spans.at(name).span.at("spanId").get<std::string>();
    };
    const auto parent = [&](const char* name) {
        return spans.at(name).span.value("parentSpanId", std::string());
    };
    EXPECT_EQ(parent("POST /hours"), "");
    EXPECT_EQ(parent("send accrual.hours_worked"), id("POST /hours"));
    EXPECT_EQ(parent("receive accrual.hours_worked"), id("send accrual.hours_worked"));
    EXPECT_EQ(parent("SELECT esta.balances"), id("receive accrual.hours_worked"));
    EXPECT_EQ(parent("send ledger.accrued"), id("receive accrual.hours_worked"));
    EXPECT_EQ(parent("receive ledger.accrued"), id("send ledger.accrued"));
    EXPECT_EQ(parent("SET"), id("receive ledger.accrued"));
    EXPECT_EQ(parent("esta.ledger publish"), id("receive ledger.accrued"));
    // A parent that arrived in an envelope is marked remote in the OTLP flags.
    EXPECT_EQ(spans.at("receive accrual.hours_worked").span.at("flags"), 0x303);
    EXPECT_EQ(spans.at("SELECT esta.balances").span.at("flags"), 0x103);

    // Which process exported which span, and the kinds as OTLP numbers.
    EXPECT_EQ(spans.at("send accrual.hours_worked").service, "ingress");
    EXPECT_EQ(spans.at("SELECT esta.balances").service, "accrual");
    EXPECT_EQ(spans.at("esta.ledger publish").service, "ledger");
    EXPECT_EQ(spans.at("send accrual.hours_worked").span.at("kind"), 4);
    EXPECT_EQ(spans.at("receive ledger.accrued").span.at("kind"), 5);
    EXPECT_EQ(spans.at("SET").span.at("kind"), 3);

    // The tracestate set in the first process reaches the last one.
    EXPECT_EQ(spans.at("SET").span.at("traceState"), "esta=ingress");

    // Timing from the shared injected clock: each hop starts after its sender started.
    const auto start = [&](const char* name) {
        return nanos(spans.at(name).span, "startTimeUnixNano");
    };
    const auto end = [&](const char* name) {
        return nanos(spans.at(name).span, "endTimeUnixNano");
    };
    EXPECT_EQ(start("POST /hours"), kStart);
    EXPECT_EQ(end("POST /hours"), kStart + 3'000);
    EXPECT_EQ(start("receive accrual.hours_worked"), kStart + 13'000);
    EXPECT_EQ(end("SELECT esta.balances") - start("SELECT esta.balances"), 40'000);
    EXPECT_LT(start("send accrual.hours_worked"), start("receive accrual.hours_worked"));
    EXPECT_LT(start("send ledger.accrued"), start("receive ledger.accrued"));
    EXPECT_EQ(end("receive ledger.accrued"),
              kStart + 13'000 + 500 + 40'000 + 1'000 + 20'000 + 10'000);

    // Semantic-convention attributes of the driver calls.
    EXPECT_EQ(attribute(spans.at("SELECT esta.balances").span, "db.system"),
              R"({"stringValue":"postgresql"})");
    EXPECT_EQ(attribute(spans.at("SELECT esta.balances").span, "server.port"),
              R"({"intValue":"5432"})");
    EXPECT_EQ(attribute(spans.at("SET").span, "db.system"), R"({"stringValue":"redis"})");
    EXPECT_EQ(attribute(spans.at("esta.ledger publish").span, "messaging.system"),
              R"({"stringValue":"kafka"})");
    EXPECT_EQ(
        attribute(spans.at("esta.ledger publish").span, "messaging.kafka.destination.partition"),
        R"({"intValue":"2"})");
}

TEST(TracePropagation, O4_EnvelopeRoundTripKeepsIdsFlagsAndState) {
    observe::SpanContext context;
    context.trace_id = observe::TraceId::from_halves(0x0af7651916cd43ddull, 0x8448eb211c80319cull);
    context.span_id = observe::SpanId::from_u64(0xb7ad6b7169203331ull);
    context.trace_flags = observe::kTraceFlagSampled;
    ASSERT_TRUE(context.trace_state.set("congo", "t61rcWkgMzE"));
    const protocol::TraceContext trace = to_envelope_trace(context);
    EXPECT_EQ(trace.parent_span_id, 0xb7ad6b7169203331ull);
    auto back = from_envelope_trace(trace);
    ASSERT_TRUE(back);
    EXPECT_EQ(observe::format_traceparent(*back),
              "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    EXPECT_EQ(back->trace_state.header(), "congo=t61rcWkgMzE");
    EXPECT_TRUE(back->remote);
}

TEST(TracePropagation, O4_EnvelopeWithoutAValidTraceStartsANewOne) {
    EXPECT_FALSE(from_envelope_trace(protocol::TraceContext{}));
    EXPECT_FALSE(from_envelope_trace(to_envelope_trace(observe::SpanContext{})));
    protocol::TraceContext zero_parent;
    zero_parent.trace_id_low = 1;
    EXPECT_FALSE(from_envelope_trace(zero_parent));
    protocol::TraceContext bad_state = zero_parent;
    bad_state.parent_span_id = 2;
    bad_state.trace_flags = 0xFF;
    bad_state.trace_state = {{"UPPER", "x"}};
    auto kept = from_envelope_trace(bad_state);
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->trace_state.empty());
    EXPECT_EQ(kept->trace_flags, observe::kTraceFlagSampled | observe::kTraceFlagRandom);
}

}  // namespace
}  // namespace esta::app
