// The spans a guest opens through the ABI's span_begin/span_end (REQUIREMENTS O-4; ABI.md):
// one table per process, bounded, keyed by the span id the guest was given. A guest span's
// parent is the innermost guest span still open, else the context of the message being
// handled, so guest spans nest inside the kernel's receive span.
#pragma once

#include <vector>

#include "base/result.h"
#include "observe/trace/tracer.h"

namespace esta::observe {

inline constexpr std::size_t kMaxOpenGuestSpans = 64;

class GuestSpans {
  public:
    explicit GuestSpans(Tracer& tracer) : m_tracer(tracer) {}

    // The context new root guest spans hang under (the current message's); invalid: none.
    void set_current_context(SpanContext context) { m_current = std::move(context); }

    // span_begin: the guest's id for the new span, positive (the ABI returns a negative
    // value as -status) and unique within this table: a sequence number, not the trace's
    // span id, which may have its top bit set. Limit when kMaxOpenGuestSpans are open.
    // The name is truncated to kMaxSpanNameLength bytes.
    Result<i64> begin(std::string_view name);

    // span_end: ends the span; status 0 leaves the OTLP status Unset (success), any other
    // value is an Error status with the value in `esta.guest.status`. NotFound for an id
    // that is not open in this table (never issued, already ended, or another process's).
    Result<void> end(i64 span_id, i32 status);

    std::size_t open_count() const { return m_open.size(); }
    // What the guest's work hangs under now: the innermost open span, else the current
    // message's context (so a message sent inside a guest span is that span's child).
    const SpanContext& current() const {
        return m_open.empty() ? m_current : m_open.back().span.context();
    }

    // Ends whatever the guest left open (process exit), marking each as not ended by it.
    // Provisional spans (hold) are forgotten first.
    void end_all();
    ~GuestSpans() { end_all(); }

    // K-60 (a critical process's message, handled until its replicas agree): from hold()
    // on, the spans the guest begins and ends are provisional. settle(true) exports those
    // it ended (with the times and statuses it ended them with) and keeps the rest open;
    // settle(false) forgets every span begun since hold(), reopens those it ended, and
    // gives the same ids again, so a retried message's spans are exported once.
    void hold();
    void settle(bool keep);

  private:
    struct OpenSpan {
        i64 guest_id;
        Span span;
    };
    struct EndedSpan {
        OpenSpan open;
        i32 status;
        i64 end_ns;
    };
    void finish(OpenSpan& open, i32 status, i64 end_ns);

    Tracer& m_tracer;
    SpanContext m_current;
    std::vector<OpenSpan> m_open;  // In begin order (so by id); the back is the innermost.
    i64 m_next_id = 1;
    bool m_holding = false;
    i64 m_held_from = 1;             // The first id begun since hold().
    std::vector<EndedSpan> m_ended;  // Ended since hold(), in end order.
};

}  // namespace esta::observe
