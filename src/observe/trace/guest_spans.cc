#include "observe/trace/guest_spans.h"

namespace esta::observe {

Result<i64> GuestSpans::begin(std::string_view name) {
    if (m_open.size() >= kMaxOpenGuestSpans)
        return Err(Status::Limit, "span_begin.too_many_open", {.limit = kMaxOpenGuestSpans});
    const SpanContext* parent = m_open.empty() ? &m_current : &m_open.back().context();
    Span span = m_tracer.start_span(name, SpanKind::Internal, parent);
    const i64 id = static_cast<i64>(span.context().span_id.as_u64());
    m_open.push_back(std::move(span));
    return id;
}

Result<void> GuestSpans::end(i64 span_id, i32 status) {
    const u64 wanted = static_cast<u64>(span_id);
    for (auto it = m_open.begin(); it != m_open.end(); ++it) {
        if (it->context().span_id.as_u64() != wanted) continue;
        if (status != 0) {
            it->set_status(StatusCode::Error);
            it->set_attribute("esta.guest.status", i64{status});
        }
        it->end();
        m_open.erase(it);
        return {};
    }
    return Err(Status::NotFound, "span_end.unknown_span");
}

void GuestSpans::end_all() {
    for (Span& span : m_open) {
        span.set_attribute("esta.guest.unended", true);
        span.end();
    }
    m_open.clear();
}

}  // namespace esta::observe
