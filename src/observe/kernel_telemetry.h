// KernelTelemetry: the KernelObserver that turns the kernel's work into spans (O-4), the
// O-5 metric families and integrity-log records (O-2).
//
// Spans: a process handling a message has a CONSUMER span whose parent is the trace the
// message carried; what it sends is a PRODUCER span under it, whose context the message
// carries on, so a message crossing processes forms one trace. An endpoint call is a
// CLIENT span from call to answer, a driver call a CLIENT span shaped by the semantic
// conventions (semconv.h), guest spans (GuestSpans) nest under the current span. Spawn,
// exit and restart are INTERNAL spans. Attributes follow the OpenTelemetry messaging
// conventions with messaging.system "estalogic".
//
// Audit: spawns, crashes, restarts, dead letters and every capability decision are appended
// to the AuditSink (a failed append is counted in esta_observe_audit_append_failures_total;
// the kernel never waits on the log's outcome).
//
// Log: with a Logger, the same events are logged (category process, message or security),
// and a crash is reported to `crashed` (the node dumps its flight recorder).
//
// Thread-safe (one mutex); every piece is optional except the registry.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "observe/audit_sink.h"
#include "observe/clock.h"
#include "observe/kernel_observer.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "observe/trace/guest_spans.h"
#include "observe/trace/tracer.h"

namespace esta::observe {

struct KernelTelemetryParts {
    MetricsRegistry* metrics = nullptr;  // Required.
    const Clock* clock = nullptr;        // Required: latency histograms.
    Tracer* tracer = nullptr;            // Null: no spans; span_begin answers NOT_SUPPORTED.
    AuditSink* audit = nullptr;          // Null: no audit records.
    // Null: nothing logged. Otherwise process life, dead letters, refused messages and
    // capability denials are logged (the flight recorder's view of what led to a crash).
    const Logger* log = nullptr;
    // Called when a process ends by a trap, under the kernel's lock: must not block (the
    // node flags a flight-recorder dump for its own thread).
    std::function<void(u32 pid)> crashed = nullptr;
};

class KernelTelemetry final : public KernelObserver {
  public:
    // Every part outlives the telemetry.
    explicit KernelTelemetry(KernelTelemetryParts parts);
    ~KernelTelemetry() override;
    KernelTelemetry(const KernelTelemetry&) = delete;
    KernelTelemetry& operator=(const KernelTelemetry&) = delete;

    void process_spawned(u32 pid, u32 parent, std::string_view entry) override;
    void process_exited(u32 pid, std::string_view reason, std::optional<u32> trap_code) override;
    void process_restarted(u32 pid, u32 restarts) override;
    void slice_ended(u32 pid, u64 fuel) override;
    void process_counts_source(std::function<ProcessCounts()> source) override;
    MessageTrace message_sent(const MessageFacts& message) override;
    void message_refused(const MessageFacts& message, i32 status) override;
    void message_received(const MessageFacts& message, const MessageTrace& trace) override;
    void message_handled(u32 pid) override;
    void dead_lettered(const MessageFacts& message, std::string_view reason) override;
    MessageTrace call_started(const MessageFacts& request) override;
    void call_ended(u32 caller, i32 status) override;
    void replied(u32 handler, u32 caller, u32 type, u64 bytes) override;
    void driver_call_started(const DriverCallFacts& call) override;
    void driver_call_ended(u32 caller, i32 status) override;
    void capability(const CapabilityFacts& decision) override;
    Result<i64> guest_span_begin(u32 pid, std::string_view name) override;
    Result<void> guest_span_end(u32 pid, i64 span_id, i32 status) override;
    void guest_spans_hold(u32 pid) override;
    MessageTrace current_trace(u32 pid) override;
    void guest_spans_settle(u32 pid, bool keep) override;

    // Brings the gauges that are counted on demand (processes by state) up to date; call it
    // before rendering the registry (/metrics).
    void collect();

    // The context a process's work currently hangs under (invalid: none). For tests.
    SpanContext current_context(u32 pid) const;

  private:
    struct ProcessTrace;
    struct Counters;

    ProcessTrace& process_locked(u32 pid);
    const SpanContext* parent_locked(u32 pid);
    Span start_locked(std::string_view name, SpanKind kind, const SpanContext* parent);
    void audit(std::string_view event, Value::Map data);
    Gauge& depth_locked(ProcessTrace& process, u32 pid);

    KernelTelemetryParts m_parts;
    std::unique_ptr<Counters> m_counters;
    mutable std::mutex m_mutex;
    Histogram* m_driver_latency = nullptr;  // Under m_mutex: looked up at the first driver call.
    std::map<u32, std::unique_ptr<ProcessTrace>> m_processes;
    std::mutex m_source_mutex;  // Apart from m_mutex: the source takes the kernel's lock.
    std::function<ProcessCounts()> m_counts_source;
};

// The trace fields of a message from a span's context and back (a remote parent).
MessageTrace to_message_trace(const SpanContext& context);
SpanContext from_message_trace(const MessageTrace& trace);

}  // namespace esta::observe
