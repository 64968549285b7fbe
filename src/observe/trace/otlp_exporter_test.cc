#include "observe/trace/otlp_exporter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "observe/trace/batch_span_processor.h"
#include "observe/trace/otlp_test_receiver.h"

namespace esta::observe {
namespace {

using nlohmann::json;
using test_support::OtlpTestReceiver;

std::unique_ptr<OtlpHttpExporter> exporter_to(const std::string& endpoint) {
    OtlpHttpOptions options;
    options.endpoint = endpoint;
    options.headers = {{"Authorization", "Bearer collector-token"}};
    options.resource.service_name = "otlp-test";
    auto exporter = OtlpHttpExporter::create(std::move(options));
    EXPECT_TRUE(exporter) << exporter.error().to_string();
    return exporter ? std::move(*exporter) : nullptr;
}

const json* find_span(const std::vector<json>& spans, std::string_view name) {
    for (const json& span : spans)
        if (span.at("name") == name) return &span;
    return nullptr;
}

TEST(OtlpHttpExporter, O4_BatchReachesTheReceiverAsOtlpJson) {
    OtlpTestReceiver receiver;
    auto exporter = exporter_to(receiver.endpoint());
    ASSERT_TRUE(exporter);
    MetricsRegistry metrics;
    BatchSpanProcessor processor(*exporter, metrics);
    ManualClock clock(1'700'000'000'000'000'000);
    SeededIdSource ids(3);
    AlwaysOnSampler sampler;
    Tracer tracer(clock, ids, sampler, processor);

    Span request = tracer.start_span("handle request", SpanKind::Server);
    clock.advance(1'000);
    semconv::RedisCall get;
    get.command = "GET";
    get.server = {"127.0.0.1", 6379};
    Span call = tracer.start_span(semconv::redis(get), &request.context());
    clock.advance(250'000);
    call.end();
    clock.advance(2'000);
    request.end();
    processor.flush();

    const auto requests = receiver.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].path, "/v1/traces");
    EXPECT_EQ(requests[0].content_type, "application/json");
    EXPECT_EQ(requests[0].authorization, "Bearer collector-token");
    const json body = json::parse(requests[0].body);
    const json& resource = body.at("resourceSpans").at(0);
    EXPECT_EQ(resource.at("resource").at("attributes").at(0).at("value").at("stringValue"),
              "otlp-test");
    const std::vector<json> spans = resource.at("scopeSpans").at(0).at("spans");
    ASSERT_EQ(spans.size(), 2u);
    const json* server = find_span(spans, "handle request");
    const json* client = find_span(spans, "GET");
    ASSERT_TRUE(server && client);
    EXPECT_EQ(client->at("traceId"), request.context().trace_id.hex());
    EXPECT_EQ(server->at("traceId"), client->at("traceId"));
    EXPECT_EQ(client->at("parentSpanId"), server->at("spanId"));
    EXPECT_EQ(server->at("spanId").get<std::string>().size(), 16u);
    EXPECT_EQ(server->at("kind"), 2);
    EXPECT_EQ(client->at("kind"), 3);
    EXPECT_EQ(client->at("startTimeUnixNano"), "1700000000000001000");
    EXPECT_EQ(client->at("endTimeUnixNano"), "1700000000000251000");
    EXPECT_EQ(server->at("endTimeUnixNano"), "1700000000000253000");
    EXPECT_EQ(client->at("attributes").at(0).at("key"), "db.system");
    EXPECT_EQ(processor.stats().exported, 2u);
}

TEST(OtlpHttpExporter, O4_RetryableStatusesAreUnavailableOthersRefused) {
    OtlpTestReceiver receiver;
    receiver.answer_with({503, 429, 400});
    auto exporter = exporter_to(receiver.endpoint());
    ASSERT_TRUE(exporter);
    const std::vector<SpanData> batch(1);
    EXPECT_EQ(exporter->export_batch(batch).error().code, Status::Unavailable);
    EXPECT_EQ(exporter->export_batch(batch).error().code, Status::Unavailable);
    auto refused = exporter->export_batch(batch);
    EXPECT_EQ(refused.error().code, Status::DriverError);
    EXPECT_EQ(refused.error().detail.actual, 400u);
    EXPECT_TRUE(exporter->export_batch(batch));
    EXPECT_EQ(receiver.requests().size(), 4u);
}

TEST(OtlpHttpExporter, O4_CollectorDownCountsDropsWithoutBlockingTheCaller) {
    int closed_port = 0;
    {
        OtlpTestReceiver gone;
        closed_port = gone.port();
    }  // Nothing listens there any more: connections are refused.
    auto exporter = exporter_to("http://127.0.0.1:" + std::to_string(closed_port));
    ASSERT_TRUE(exporter);
    EXPECT_EQ(exporter->export_batch(std::vector<SpanData>(1)).error().code, Status::Unavailable);

    MetricsRegistry metrics;
    BatchSpanOptions options;
    options.max_attempts = 2;
    options.initial_backoff = std::chrono::milliseconds(0);
    BatchSpanProcessor processor(*exporter, metrics, options);
    for (int i = 0; i < 10; ++i)
        processor.on_end(SpanData{});
    processor.flush();
    const auto stats = processor.stats();
    EXPECT_EQ(stats.exported, 0u);
    EXPECT_EQ(stats.dropped_export_failed, 10u);
    EXPECT_EQ(stats.export_failures, 2u);
}

TEST(OtlpHttpExporter, RefusesAnEndpointThatIsNotHttp) {
    OtlpHttpOptions options;
    options.endpoint = "ftp://collector";
    EXPECT_EQ(OtlpHttpExporter::create(options).error().code, Status::Invalid);
    options.endpoint = "http://collector:4318/v1/traces";  // The path goes in `path`.
    EXPECT_EQ(OtlpHttpExporter::create(options).error().code, Status::Invalid);
}

}  // namespace
}  // namespace esta::observe
