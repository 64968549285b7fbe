#include "observe/trace/otlp_json.h"

#include "observe/json.h"

namespace esta::observe {

namespace {

void append_key(std::string& out, std::string_view key) {
    out.push_back('"');
    out += key;  // Our own field names: plain ASCII, nothing to escape.
    out += "\":";
}

// Protobuf JSON writes 64-bit integers as strings, so JavaScript readers keep every digit.
void append_int64_string(std::string& out, i64 value) {
    out.push_back('"');
    out += std::to_string(value);
    out.push_back('"');
}

void append_any_value(std::string& out, const AttributeValue& value) {
    out.push_back('{');
    if (const auto* text = std::get_if<std::string>(&value)) {
        append_key(out, "stringValue");
        append_json_string(out, *text);
    } else if (const auto* flag = std::get_if<bool>(&value)) {
        append_key(out, "boolValue");
        out += *flag ? "true" : "false";
    } else if (const auto* integer = std::get_if<i64>(&value)) {
        append_key(out, "intValue");
        append_int64_string(out, *integer);
    } else {
        append_key(out, "doubleValue");
        append_json_double(out, std::get<f64>(value));
    }
    out.push_back('}');
}

void append_attributes(std::string& out, const std::vector<Attribute>& attributes) {
    append_key(out, "attributes");
    out.push_back('[');
    for (std::size_t i = 0; i < attributes.size(); ++i) {
        if (i) out.push_back(',');
        out.push_back('{');
        append_key(out, "key");
        append_json_string(out, attributes[i].key);
        out.push_back(',');
        append_key(out, "value");
        append_any_value(out, attributes[i].value);
        out.push_back('}');
    }
    out.push_back(']');
}

void append_event(std::string& out, const SpanEvent& event) {
    out.push_back('{');
    append_key(out, "timeUnixNano");
    append_int64_string(out, event.time_ns);
    out.push_back(',');
    append_key(out, "name");
    append_json_string(out, event.name);
    out.push_back(',');
    append_attributes(out, event.attributes);
    out.push_back('}');
}

}  // namespace

void append_otlp_span(std::string& out, const SpanData& span) {
    out.push_back('{');
    append_key(out, "traceId");
    append_json_string(out, span.context.trace_id.hex());
    out.push_back(',');
    append_key(out, "spanId");
    append_json_string(out, span.context.span_id.hex());
    if (!span.context.trace_state.empty()) {
        out.push_back(',');
        append_key(out, "traceState");
        append_json_string(out, span.context.trace_state.header());
    }
    u32 flags = span.context.trace_flags;
    if (span.parent_span_id.valid()) {
        out.push_back(',');
        append_key(out, "parentSpanId");
        append_json_string(out, span.parent_span_id.hex());
        flags |= kOtlpFlagsHasIsRemote | (span.parent_remote ? kOtlpFlagsIsRemote : 0);
    }
    out.push_back(',');
    append_key(out, "flags");
    out += std::to_string(flags);
    out.push_back(',');
    append_key(out, "name");
    append_json_string(out, span.name);
    out.push_back(',');
    append_key(out, "kind");
    out += std::to_string(static_cast<int>(span.kind));
    out.push_back(',');
    append_key(out, "startTimeUnixNano");
    append_int64_string(out, span.start_ns);
    out.push_back(',');
    append_key(out, "endTimeUnixNano");
    append_int64_string(out, span.end_ns);
    out.push_back(',');
    append_attributes(out, span.attributes);
    if (span.dropped_attributes) {
        out.push_back(',');
        append_key(out, "droppedAttributesCount");
        out += std::to_string(span.dropped_attributes);
    }
    if (!span.events.empty()) {
        out.push_back(',');
        append_key(out, "events");
        out.push_back('[');
        for (std::size_t i = 0; i < span.events.size(); ++i) {
            if (i) out.push_back(',');
            append_event(out, span.events[i]);
        }
        out.push_back(']');
    }
    if (span.dropped_events) {
        out.push_back(',');
        append_key(out, "droppedEventsCount");
        out += std::to_string(span.dropped_events);
    }
    out.push_back(',');
    append_key(out, "status");
    out.push_back('{');
    if (!span.status_message.empty()) {
        append_key(out, "message");
        append_json_string(out, span.status_message);
        out.push_back(',');
    }
    append_key(out, "code");
    out += std::to_string(static_cast<int>(span.status));
    out += "}}";
}

std::string encode_otlp_traces(const TraceResource& resource, std::span<const SpanData> spans) {
    std::string out;
    out.reserve(256 + spans.size() * 512);
    out += "{\"resourceSpans\":[{\"resource\":{";
    std::vector<Attribute> attributes;
    attributes.reserve(resource.attributes.size() + 1);
    attributes.push_back({"service.name", resource.service_name});
    for (const Attribute& attribute : resource.attributes)
        if (attribute.key != "service.name") attributes.push_back(attribute);
    append_attributes(out, attributes);
    out += "},\"scopeSpans\":[{\"scope\":{";
    append_key(out, "name");
    append_json_string(out, resource.scope_name);
    if (!resource.scope_version.empty()) {
        out.push_back(',');
        append_key(out, "version");
        append_json_string(out, resource.scope_version);
    }
    out += "},\"spans\":[";
    for (std::size_t i = 0; i < spans.size(); ++i) {
        if (i) out.push_back(',');
        append_otlp_span(out, spans[i]);
    }
    out += "]}]}]}";
    return out;
}

}  // namespace esta::observe
