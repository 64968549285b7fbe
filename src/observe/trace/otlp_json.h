// OTLP/JSON encoding of finished spans: an ExportTraceServiceRequest in the protobuf JSON
// mapping as OTLP/HTTP requires (opentelemetry-proto, "JSON Protobuf Encoding"):
// lowerCamelCase field names, trace and span ids as lower-case hex strings (not base64),
// 64-bit integers (times, intValue) as decimal strings, enums (kind, status code) as
// numbers, doubles as numbers with NaN/Infinity as strings.
//   {"resourceSpans":[{"resource":{"attributes":[...]},
//     "scopeSpans":[{"scope":{"name":..,"version":..},"spans":[{"traceId":..,...}]}]}]}
#pragma once

#include <span>
#include <string>
#include <vector>

#include "observe/trace/span_data.h"

namespace esta::observe {

// Who produced the spans: `service.name` and any further resource attributes
// (host.name, service.instance.id, ...).
struct TraceResource {
    std::string service_name = "estalogic";
    std::vector<Attribute> attributes;
    std::string scope_name = "estalogic";
    std::string scope_version;
};

// OTLP Span.flags: the W3C trace flags in bits 0-7, and bits 8/9 saying whether the parent
// was remote (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK, SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK).
inline constexpr u32 kOtlpFlagsHasIsRemote = 0x100;
inline constexpr u32 kOtlpFlagsIsRemote = 0x200;

// The request body for POST /v1/traces with every span under one resource and scope.
std::string encode_otlp_traces(const TraceResource& resource, std::span<const SpanData> spans);

// One span as an OTLP/JSON Span object (for the console exporter's line per span).
void append_otlp_span(std::string& out, const SpanData& span);

}  // namespace esta::observe
