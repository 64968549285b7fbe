#include "app/trace_propagation.h"

namespace esta::app {

protocol::TraceContext to_envelope_trace(const observe::SpanContext& context) {
    protocol::TraceContext trace;
    if (!context.valid()) return trace;
    trace.version = 0;
    trace.trace_id_high = context.trace_id.high();
    trace.trace_id_low = context.trace_id.low();
    trace.parent_span_id = context.span_id.as_u64();
    trace.trace_flags = context.trace_flags;
    trace.trace_state = context.trace_state.members();
    return trace;
}

std::optional<observe::SpanContext> from_envelope_trace(const protocol::TraceContext& trace) {
    if (!trace.has_trace() || trace.parent_span_id == 0 || trace.version == 0xFF)
        return std::nullopt;
    observe::SpanContext context;
    context.trace_id = observe::TraceId::from_halves(trace.trace_id_high, trace.trace_id_low);
    context.span_id = observe::SpanId::from_u64(trace.parent_span_id);
    context.trace_flags =
        trace.trace_flags & (observe::kTraceFlagSampled | observe::kTraceFlagRandom);
    context.remote = true;
    if (auto state = observe::TraceState::from_members(trace.trace_state))
        context.trace_state = std::move(*state);
    return context;
}

}  // namespace esta::app
