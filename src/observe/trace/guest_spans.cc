#include "observe/trace/guest_spans.h"

#include <algorithm>

namespace esta::observe {

Result<i64> GuestSpans::begin(std::string_view name) {
    if (m_open.size() >= kMaxOpenGuestSpans)
        return Err(Status::Limit, "span_begin.too_many_open", {.limit = kMaxOpenGuestSpans});
    const SpanContext* parent = m_open.empty() ? &m_current : &m_open.back().span.context();
    const i64 id = m_next_id++;  // 2^63 begins are out of reach, so it stays positive.
    m_open.push_back({id, m_tracer.start_span(name, SpanKind::Internal, parent)});
    return id;
}

void GuestSpans::finish(OpenSpan& open, i32 status, i64 end_ns) {
    if (status != 0) {
        open.span.set_status(StatusCode::Error);
        open.span.set_attribute("esta.guest.status", i64{status});
    }
    open.span.end_at(end_ns);
}

Result<void> GuestSpans::end(i64 span_id, i32 status) {
    for (auto it = m_open.begin(); it != m_open.end(); ++it) {
        if (it->guest_id != span_id) continue;
        const i64 now = m_tracer.clock().now_ns();
        if (m_holding) {
            m_ended.push_back({std::move(*it), status, now});
        } else {
            finish(*it, status, now);
        }
        m_open.erase(it);
        return {};
    }
    return Err(Status::NotFound, "span_end.unknown_span");
}

void GuestSpans::hold() {
    if (m_holding) settle(false);  // An unsettled hold (none is expected) did not happen.
    m_holding = true;
    m_held_from = m_next_id;
}

void GuestSpans::settle(bool keep) {
    if (!m_holding) return;
    m_holding = false;
    if (keep) {
        for (EndedSpan& ended : m_ended)
            finish(ended.open, ended.status, ended.end_ns);
        m_ended.clear();
        return;
    }
    std::erase_if(m_open, [&](OpenSpan& open) {
        if (open.guest_id < m_held_from) return false;
        open.span.discard();
        return true;
    });
    for (EndedSpan& ended : m_ended) {
        if (ended.open.guest_id >= m_held_from) {
            ended.open.span.discard();
            continue;
        }
        auto at = std::lower_bound(m_open.begin(), m_open.end(), ended.open.guest_id,
                                   [](const OpenSpan& open, i64 id) { return open.guest_id < id; });
        m_open.insert(at, std::move(ended.open));
    }
    m_ended.clear();
    m_next_id = m_held_from;
}

void GuestSpans::end_all() {
    settle(false);
    for (OpenSpan& open : m_open) {
        open.span.set_attribute("esta.guest.unended", true);
        open.span.end();
    }
    m_open.clear();
}

}  // namespace esta::observe
