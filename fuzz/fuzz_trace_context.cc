// W3C trace context over arbitrary text (REQUIREMENTS O-4): the input is a traceparent, a
// newline and a tracestate, as a receiver gets them from a peer. Parsing must never crash;
// what parses must print back to what it read (a version-00 traceparent byte for byte, a
// tracestate member for member), survive the trip through a message's trace fields and the
// protocol envelope, and sampling must accept it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "app/trace_propagation.h"
#include "observe/kernel_telemetry.h"
#include "observe/trace/sampler.h"
#include "observe/trace/trace_context.h"
#include "observe/trace/trace_state.h"

namespace {

using namespace esta;
using namespace esta::observe;

bool same_ids(const SpanContext& a, const SpanContext& b) {
    return a.trace_id == b.trace_id && a.span_id == b.span_id && a.trace_flags == b.trace_flags;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view traceparent = input.substr(0, newline);
    const std::string_view tracestate =
        newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

    // (1) traceparent alone: a valid one prints back (exactly, for version 00).
    auto parent = parse_traceparent(traceparent);
    if (parent) {
        if (!parent->valid() || !parent->remote) __builtin_trap();
        const std::string printed = format_traceparent(*parent);
        if (printed.size() != kTraceparentLength) __builtin_trap();
        // Version 00 prints back byte for byte, except flag bits it does not define: the
        // W3C rule is that a receiver zeroes them (only `sampled` is kept).
        if (traceparent.starts_with("00-") && printed.substr(0, kTraceparentLength - 2) !=
                                                  traceparent.substr(0, kTraceparentLength - 2))
            __builtin_trap();
        auto again = parse_traceparent(printed);
        if (!again || !same_ids(*again, *parent)) __builtin_trap();

        // Through a kernel message's trace fields and the protocol envelope.
        if (!same_ids(from_message_trace(to_message_trace(*parent)), *parent)) __builtin_trap();
        auto carried = app::from_envelope_trace(app::to_envelope_trace(*parent));
        if (!carried || carried->trace_id != parent->trace_id ||
            carried->span_id != parent->span_id)
            __builtin_trap();

        // Every sampler answers for it as a parent.
        ParentBasedSampler sampler(std::make_unique<TraceIdRatioBasedSampler>(0.5));
        const SamplingInput sampling{&*parent, parent->trace_id, "fuzz", SpanKind::Internal};
        (void)sampler.should_sample(sampling);
    }

    // (2) tracestate alone: what parses prints back to the same members.
    auto state = TraceState::parse(tracestate);
    if (state) {
        if (state->members().size() > kMaxTraceStateMembers) __builtin_trap();
        auto again = TraceState::parse(state->header());
        if (!again || !(*again == *state)) __builtin_trap();
    }

    // (3) Both, as a receiver sees them: a bad tracestate never costs the traceparent.
    auto both = parse_trace_headers(traceparent, tracestate);
    if (both.has_value() != parent.has_value()) __builtin_trap();
    if (both && !same_ids(*both, *parent)) __builtin_trap();
    if (both && !state && !both->trace_state.empty()) __builtin_trap();
    return 0;
}
