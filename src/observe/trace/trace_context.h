// W3C Trace Context (https://www.w3.org/TR/trace-context/): the ids that tie spans into a
// trace, and the `traceparent` header that carries them between processes (REQUIREMENTS
// O-4). Parsing follows the Recommendation exactly: version 00 is exactly 55 characters,
// hex is lower case, version ff and all-zero ids are invalid; a higher version is parsed
// by its version-00 prefix as the spec asks, so a newer peer can still join our traces.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/types.h"
#include "observe/trace/trace_state.h"

namespace esta::observe {

// 16 bytes, most significant first (the order of the header's hex).
struct TraceId {
    std::array<u8, 16> bytes{};

    static TraceId from_halves(u64 high, u64 low);
    u64 high() const;
    u64 low() const;
    bool valid() const;  // Not all zero.
    std::string hex() const;
    bool operator==(const TraceId&) const = default;
};

struct SpanId {
    std::array<u8, 8> bytes{};

    static SpanId from_u64(u64 value);
    u64 as_u64() const;
    bool valid() const;  // Not all zero.
    std::string hex() const;
    bool operator==(const SpanId&) const = default;
};

// trace-flags bits: sampled (bit 0) and, from Level 2, random (bit 1: the rightmost
// 7 bytes of the trace id are random).
inline constexpr u8 kTraceFlagSampled = 0x01;
inline constexpr u8 kTraceFlagRandom = 0x02;

// What a span passes to its children: ids, flags and the vendors' tracestate. `remote`
// says the context arrived from another process (ParentBased samples on it).
struct SpanContext {
    TraceId trace_id;
    SpanId span_id;
    u8 trace_flags = 0;
    TraceState trace_state;
    bool remote = false;

    bool valid() const { return trace_id.valid() && span_id.valid(); }
    bool sampled() const { return (trace_flags & kTraceFlagSampled) != 0; }
    bool operator==(const SpanContext&) const = default;
};

inline constexpr std::size_t kTraceparentLength = 55;

// "00-<32 hex>-<16 hex>-<2 hex>" for a valid context (version 00 is the only one we write).
std::string format_traceparent(const SpanContext& context);

// Parses a traceparent into a remote SpanContext with an empty trace_state. Malformed for
// wrong length, characters or separators (upper-case hex included), Invalid for version ff
// or an all-zero trace or parent id.
Result<SpanContext> parse_traceparent(std::string_view header);

// Both headers together, as a receiver sees them: a tracestate is only kept when the
// traceparent is valid, and a malformed tracestate is discarded without losing the
// traceparent (W3C, "Processing Model").
Result<SpanContext> parse_trace_headers(std::string_view traceparent, std::string_view tracestate);

}  // namespace esta::observe
