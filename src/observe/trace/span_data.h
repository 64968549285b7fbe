// The finished-span record handed to exporters: the OTLP span model (name, kind and status
// code as OTLP's enum numbers, start/end in Unix nanoseconds from the injected clock,
// attributes, events). Sizes are bounded so a guest naming spans cannot grow memory.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/types.h"
#include "observe/trace/trace_context.h"

namespace esta::observe {

// opentelemetry.proto.trace.v1.Span.SpanKind
enum class SpanKind : u8 {
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5
};
// opentelemetry.proto.trace.v1.Status.StatusCode
enum class StatusCode : u8 { Unset = 0, Ok = 1, Error = 2 };

inline constexpr std::size_t kMaxSpanAttributes = 64;
inline constexpr std::size_t kMaxSpanEvents = 32;
inline constexpr std::size_t kMaxSpanNameLength = 256;
inline constexpr std::size_t kMaxAttributeValueLength = 1024;

using AttributeValue = std::variant<std::string, bool, i64, f64>;

struct Attribute {
    std::string key;
    AttributeValue value;
    bool operator==(const Attribute&) const = default;
};

struct SpanEvent {
    std::string name;
    i64 time_ns = 0;
    std::vector<Attribute> attributes;
};

struct SpanData {
    SpanContext context;
    SpanId parent_span_id;  // All zero for a root span.
    bool parent_remote = false;
    std::string name;
    SpanKind kind = SpanKind::Internal;
    i64 start_ns = 0;
    i64 end_ns = 0;
    std::vector<Attribute> attributes;
    std::vector<SpanEvent> events;
    StatusCode status = StatusCode::Unset;
    std::string status_message;
    u32 dropped_attributes = 0;
    u32 dropped_events = 0;
};

// Adds or replaces `key` within kMaxSpanAttributes, truncating long strings (at a UTF-8
// boundary, so the exported JSON stays valid). Returns false when the attribute was
// dropped for the limit.
bool put_attribute(std::vector<Attribute>& attributes, std::string_view key, AttributeValue value);

// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view text, std::size_t limit);

}  // namespace esta::observe
