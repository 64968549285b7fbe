#include "observe/trace/otlp_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace esta::observe {
namespace {

using nlohmann::json;

SpanData sample_span() {
    SpanData span;
    span.context.trace_id = TraceId::from_halves(0x0102030405060708ull, 0x090a0b0c0d0e0f10ull);
    span.context.span_id = SpanId::from_u64(0x1112131415161718ull);
    span.context.trace_flags = kTraceFlagSampled;
    EXPECT_TRUE(span.context.trace_state.set("vendor", "x"));
    span.parent_span_id = SpanId::from_u64(0xA1A2A3A4A5A6A7A8ull);
    span.parent_remote = true;
    span.name = "orders publish";
    span.kind = SpanKind::Producer;
    span.start_ns = 1'700'000'000'123'456'789;
    span.end_ns = 1'700'000'000'223'456'789;
    span.attributes = {{"messaging.system", std::string("kafka")},
                       {"messaging.kafka.message.offset", i64{9'007'199'254'740'993}},
                       {"sampled", true},
                       {"ratio", 0.25},
                       {"bad", std::numeric_limits<f64>::quiet_NaN()}};
    span.events.push_back({"retry", 1'700'000'000'200'000'000, {{"attempt", i64{2}}}});
    span.status = StatusCode::Error;
    span.status_message = "broker \"down\"";
    return span;
}

TEST(OtlpJson, O4_RequestFollowsTheProtobufJsonMapping) {
    TraceResource resource;
    resource.service_name = "estalogic-test";
    resource.attributes = {{"host.name", std::string("node-1")}};
    resource.scope_version = "1.2.3";
    const std::vector<SpanData> spans{sample_span()};
    const json body = json::parse(encode_otlp_traces(resource, spans));

    const json& resource_spans = body.at("resourceSpans").at(0);
    const json& resource_attributes = resource_spans.at("resource").at("attributes");
    EXPECT_EQ(resource_attributes.at(0).at("key"), "service.name");
    EXPECT_EQ(resource_attributes.at(0).at("value").at("stringValue"), "estalogic-test");
    EXPECT_EQ(resource_attributes.at(1).at("key"), "host.name");
    const json& scope_spans = resource_spans.at("scopeSpans").at(0);
    EXPECT_EQ(scope_spans.at("scope").at("name"), "estalogic");
    EXPECT_EQ(scope_spans.at("scope").at("version"), "1.2.3");

    const json& span = scope_spans.at("spans").at(0);
    // Ids: lower-case hex strings, not base64 (OTLP's exception to the proto3 mapping).
    EXPECT_EQ(span.at("traceId"), "0102030405060708090a0b0c0d0e0f10");
    EXPECT_EQ(span.at("spanId"), "1112131415161718");
    EXPECT_EQ(span.at("parentSpanId"), "a1a2a3a4a5a6a7a8");
    EXPECT_EQ(span.at("traceState"), "vendor=x");
    EXPECT_EQ(span.at("flags"), 0x301);  // sampled, parent known to be remote
    // Enums as numbers, 64-bit integers as strings.
    EXPECT_EQ(span.at("kind"), 4);
    EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000123456789");
    EXPECT_EQ(span.at("endTimeUnixNano"), "1700000000223456789");
    EXPECT_EQ(span.at("status").at("code"), 2);
    EXPECT_EQ(span.at("status").at("message"), "broker \"down\"");

    const json& attributes = span.at("attributes");
    EXPECT_EQ(attributes.at(0).at("value").at("stringValue"), "kafka");
    EXPECT_EQ(attributes.at(1).at("value").at("intValue"), "9007199254740993");
    EXPECT_EQ(attributes.at(2).at("value").at("boolValue"), true);
    EXPECT_EQ(attributes.at(3).at("value").at("doubleValue"), 0.25);
    EXPECT_EQ(attributes.at(4).at("value").at("doubleValue"), "NaN");

    const json& event = span.at("events").at(0);
    EXPECT_EQ(event.at("name"), "retry");
    EXPECT_EQ(event.at("timeUnixNano"), "1700000000200000000");
    EXPECT_EQ(event.at("attributes").at(0).at("value").at("intValue"), "2");
}

TEST(OtlpJson, O4_RootSpanHasNoParentAndUnsetStatus) {
    SpanData span = sample_span();
    span.parent_span_id = {};
    span.status = StatusCode::Unset;
    span.status_message.clear();
    span.context.trace_state = {};
    std::string text;
    append_otlp_span(text, span);
    const json parsed = json::parse(text);
    EXPECT_FALSE(parsed.contains("parentSpanId"));
    EXPECT_FALSE(parsed.contains("traceState"));
    EXPECT_EQ(parsed.at("flags"), 1);
    EXPECT_EQ(parsed.at("status"), json::parse(R"({"code":0})"));
}

TEST(OtlpJson, EmptyBatchIsStillAWellFormedRequest) {
    const json body = json::parse(encode_otlp_traces({}, {}));
    EXPECT_TRUE(body.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").empty());
}

}  // namespace
}  // namespace esta::observe
