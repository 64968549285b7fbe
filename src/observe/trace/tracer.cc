#include "observe/trace/tracer.h"

#include <algorithm>

namespace esta::observe {

Span::Span(Span&& other) noexcept
    : m_tracer(other.m_tracer),
      m_context(std::move(other.m_context)),
      m_data(std::move(other.m_data)) {}

Span& Span::operator=(Span&& other) noexcept {
    if (this != &other) {
        end();
        m_tracer = other.m_tracer;
        m_context = std::move(other.m_context);
        m_data = std::move(other.m_data);
    }
    return *this;
}

void Span::set_attribute(std::string_view key, AttributeValue value) {
    if (!m_data) return;
    if (!put_attribute(m_data->attributes, key, std::move(value))) ++m_data->dropped_attributes;
}

void Span::add_event(std::string_view name, std::vector<Attribute> attributes) {
    if (!m_data) return;
    if (m_data->events.size() >= kMaxSpanEvents) {
        ++m_data->dropped_events;
        return;
    }
    if (attributes.size() > kMaxSpanAttributes) attributes.resize(kMaxSpanAttributes);
    m_data->events.push_back({std::string(truncate_utf8(name, kMaxSpanNameLength)),
                              m_tracer->m_clock.now_ns(), std::move(attributes)});
}

void Span::set_status(StatusCode code, std::string_view message) {
    // OpenTelemetry: setting Unset is ignored, and Ok is final.
    if (!m_data || code == StatusCode::Unset || m_data->status == StatusCode::Ok) return;
    m_data->status = code;
    m_data->status_message = code == StatusCode::Error
                                 ? std::string(truncate_utf8(message, kMaxAttributeValueLength))
                                 : "";
}

void Span::end() {
    if (!m_data) return;
    end_at(m_tracer->m_clock.now_ns());
}

void Span::end_at(i64 end_ns) {
    if (!m_data) return;
    std::unique_ptr<SpanData> data = std::move(m_data);
    data->end_ns = std::max(end_ns, data->start_ns);
    m_tracer->m_sink.on_end(std::move(*data));
}

Tracer::Tracer(const Clock& clock, IdSource& ids, const Sampler& sampler, SpanSink& sink)
    : m_clock(clock), m_ids(ids), m_sampler(sampler), m_sink(sink) {}

Span Tracer::start_span(std::string_view name, SpanKind kind, const SpanContext* parent,
                        std::vector<Attribute> attributes) {
    const bool has_parent = parent != nullptr && parent->valid();
    Span span;
    span.m_tracer = this;
    SpanContext& context = span.m_context;
    if (has_parent) {
        context.trace_id = parent->trace_id;
        context.trace_flags = parent->trace_flags & ~kTraceFlagSampled;
        context.trace_state = parent->trace_state;
    } else {
        context.trace_id = m_ids.new_trace_id();
        context.trace_flags = kTraceFlagRandom;  // Our trace ids end in 7 random bytes.
    }
    context.span_id = m_ids.new_span_id();
    name = truncate_utf8(name, kMaxSpanNameLength);
    const SamplingInput input{has_parent ? parent : nullptr, context.trace_id, name, kind};
    if (m_sampler.should_sample(input) == SamplingDecision::Drop) return span;

    context.trace_flags |= kTraceFlagSampled;
    auto data = std::make_unique<SpanData>();
    data->context = context;
    if (has_parent) {
        data->parent_span_id = parent->span_id;
        data->parent_remote = parent->remote;
    }
    data->name = std::string(name);
    data->kind = kind;
    data->start_ns = m_clock.now_ns();
    data->attributes.reserve(std::min(attributes.size(), kMaxSpanAttributes));
    for (Attribute& attribute : attributes)
        if (!put_attribute(data->attributes, attribute.key, std::move(attribute.value)))
            ++data->dropped_attributes;
    span.m_data = std::move(data);
    return span;
}

Span Tracer::start_span(semconv::SpanShape shape, const SpanContext* parent) {
    return start_span(shape.name, shape.kind, parent, std::move(shape.attributes));
}

}  // namespace esta::observe
