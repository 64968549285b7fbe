// The Tracer: what the kernel, drivers and the guest span syscalls call to make spans
// (REQUIREMENTS O-4). It samples at the start of a span, stamps times from the injected
// Clock, takes ids from the injected IdSource and hands each finished, sampled span to a
// SpanSink (normally a BatchSpanProcessor, which never blocks the caller).
//
//     Span receive = tracer.start_span("mailbox receive", SpanKind::Consumer, &incoming);
//     outgoing_envelope.trace = to_envelope_trace(receive.context());   // propagate
//     receive.end();
//
// A Span that is not sampled records nothing and allocates nothing beyond its context, but
// still carries a fresh span id, so downstream processes see a consistent trace.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "observe/clock.h"
#include "observe/trace/id_source.h"
#include "observe/trace/sampler.h"
#include "observe/trace/semconv.h"
#include "observe/trace/span_data.h"

namespace esta::observe {

// Receives ended, sampled spans. Called on the thread that ended the span: it must not
// block (queue and return) and must be thread-safe.
class SpanSink {
  public:
    virtual ~SpanSink() = default;
    virtual void on_end(SpanData&& span) = 0;
};

class Tracer;

// One span in progress. Move-only; ending is idempotent and the destructor ends a span
// still open, so an early return cannot leak one. Not thread-safe: one owner at a time.
class Span {
  public:
    Span() = default;
    Span(Span&& other) noexcept;
    Span& operator=(Span&& other) noexcept;
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;
    ~Span() { end(); }

    const SpanContext& context() const { return m_context; }
    bool recording() const { return m_data != nullptr; }

    // All three are no-ops on a span that is not recording or has ended. set_status
    // ignores Unset, keeps an Ok status final, and keeps the message only for Error.
    void set_attribute(std::string_view key, AttributeValue value);
    void add_event(std::string_view name, std::vector<Attribute> attributes = {});
    void set_status(StatusCode code, std::string_view message = {});

    // Stamps the end time and hands the span to the tracer's sink.
    void end();
    // The same with an end time taken earlier (never before the start).
    void end_at(i64 end_ns);
    // Drops the span unexported: one that turned out not to have happened.
    void discard() { m_data.reset(); }

  private:
    friend class Tracer;
    const Tracer* m_tracer = nullptr;
    SpanContext m_context;
    std::unique_ptr<SpanData> m_data;  // Null unless sampled and not yet ended.
};

class Tracer {
  public:
    // All four must outlive the tracer and every span it starts.
    Tracer(const Clock& clock, IdSource& ids, const Sampler& sampler, SpanSink& sink);

    // Starts a span under `parent` (null or invalid: a new trace). A child keeps the
    // parent's trace id, flags other than sampled, and tracestate.
    Span start_span(std::string_view name, SpanKind kind = SpanKind::Internal,
                    const SpanContext* parent = nullptr, std::vector<Attribute> attributes = {});
    // A driver call shaped by the semantic conventions (semconv.h).
    Span start_span(semconv::SpanShape shape, const SpanContext* parent);

    const Clock& clock() const { return m_clock; }
    const Sampler& sampler() const { return m_sampler; }

  private:
    friend class Span;
    const Clock& m_clock;
    IdSource& m_ids;
    const Sampler& m_sampler;
    SpanSink& m_sink;
};

}  // namespace esta::observe
