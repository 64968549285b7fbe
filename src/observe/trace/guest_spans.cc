#include "observe/trace/guest_spans.h"

namespace esta::observe {

Result<i64> GuestSpans::begin(std::string_view name) {
    if (m_open.size() >= kMaxOpenGuestSpans)
        return Err(Status::Limit, "span_begin.too_many_open", {.limit = kMaxOpenGuestSpans});
    const SpanContext* parent = m_open.empty() ? &m_current : &m_open.back().span.context();
    const i64 id = m_next_id++;  // 2^63 begins are out of reach, so it stays positive.
    m_open.push_back({id, m_tracer.start_span(name, SpanKind::Internal, parent)});
    return id;
}

Result<void> GuestSpans::end(i64 span_id, i32 status) {
    for (auto it = m_open.begin(); it != m_open.end(); ++it) {
        if (it->guest_id != span_id) continue;
        if (status != 0) {
            it->span.set_status(StatusCode::Error);
            it->span.set_attribute("esta.guest.status", i64{status});
        }
        it->span.end();
        m_open.erase(it);
        return {};
    }
    return Err(Status::NotFound, "span_end.unknown_span");
}

void GuestSpans::end_all() {
    for (OpenSpan& open : m_open) {
        open.span.set_attribute("esta.guest.unended", true);
        open.span.end();
    }
    m_open.clear();
}

}  // namespace esta::observe
