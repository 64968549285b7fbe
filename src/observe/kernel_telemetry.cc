#include "observe/kernel_telemetry.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/status.h"
#include "observe/trace/semconv.h"

namespace esta::observe {

namespace {

ESTA_GAUGE(kProcesses, "kernel.processes", "Processes by scheduler state.", "state");
ESTA_GAUGE(kMailboxDepth, "kernel.mailbox_depth", "Messages queued in a process's mailbox.",
           "process");
ESTA_COUNTER(kMessagesSent, "kernel.messages_sent", "Messages queued for a process.");
ESTA_COUNTER(kMessagesReceived, "kernel.messages_received",
             "Messages a process took for handling.");
ESTA_COUNTER(kMessagesDropped, "kernel.messages_dropped",
             "Messages refused at the mailbox or dead-lettered, by reason.", "reason");
ESTA_COUNTER(kCapabilityDenials, "kernel.capability_denials",
             "Capability checks that failed, by ABI status.", "status");
ESTA_COUNTER(kTraps, "kernel.traps", "Processes ended by a trap, by ABI code.", "code");
ESTA_COUNTER(kFuelUsed, "kernel.fuel_used", "Wasm instructions executed (fuel).");
// The shape the realtime room registers too (latency_budget.cc): one family.
ESTA_HISTOGRAM(kOperationLatency, "kernel.operation_latency_seconds",
               "End-to-end latency of budgeted operations (K-50).", kLatencyBuckets, "operation");
ESTA_GAUGE(kDriverHealthy, "drivers.healthy",
           "1 while a driver's last call reached its service, 0 after UNAVAILABLE or TIMEOUT.",
           "driver");
ESTA_COUNTER(kAuditFailures, "observe.audit_append_failures",
             "Kernel decisions the audit log refused to append.");

constexpr i32 kStatusTimeout = static_cast<i32>(Status::Timeout);
constexpr i32 kStatusUnavailable = static_cast<i32>(Status::Unavailable);

std::string status_text(i32 status) {
    return std::string(status_name(static_cast<Status>(status)));
}

std::string destination(u32 pid) {
    return "process/" + std::to_string(pid);
}

Value integer(u64 value) {
    return Value::integer(static_cast<i64>(std::min<u64>(value, INT64_MAX)));
}

// The semantic conventions' shape for a driver call (db.* for key-value and SQL stores,
// messaging.* for topics), with the op's number where its name is the driver's business.
semconv::SpanShape driver_shape(const DriverCallFacts& call) {
    if (call.kind == "topic") {
        semconv::KafkaCall kafka;
        kafka.topic = call.resource;
        return semconv::kafka(kafka);
    }
    if (call.kind == "database") {
        semconv::PostgresCall sql;
        sql.database = call.resource;
        sql.operation = "EXEC";
        return semconv::postgres(sql);
    }
    static constexpr std::string_view kKeyValueOps[] = {
        "", "GET", "SET", "DEL", "INCRBY", "HGET", "HSET", "HGETALL", "EXPIRE", "MGET", "EVAL"};
    semconv::RedisCall redis;
    redis.command = call.op > 0 && call.op < 11 ? kKeyValueOps[call.op] : "CALL";
    semconv::SpanShape shape = semconv::redis(redis);
    put_attribute(shape.attributes, "esta.driver.resource", std::string(call.resource));
    return shape;
}

}  // namespace

bool MessageTrace::valid() const {
    return std::any_of(trace_id.begin(), trace_id.end(), [](u8 b) { return b != 0; }) &&
           std::any_of(span_id.begin(), span_id.end(), [](u8 b) { return b != 0; });
}

MessageTrace to_message_trace(const SpanContext& context) {
    MessageTrace trace;
    if (!context.valid()) return trace;
    trace.trace_id = context.trace_id.bytes;
    trace.span_id = context.span_id.bytes;
    trace.flags = context.trace_flags;
    return trace;
}

SpanContext from_message_trace(const MessageTrace& trace) {
    SpanContext context;
    if (!trace.valid()) return context;
    context.trace_id.bytes = trace.trace_id;
    context.span_id.bytes = trace.span_id;
    context.trace_flags = trace.flags;
    context.remote = true;
    return context;
}

struct KernelTelemetry::ProcessTrace {
    Span handling;              // CONSUMER: the message in hand.
    SpanContext remote_parent;  // What the message carried, if no span could be made.
    Span call;                  // CLIENT: an endpoint call in flight.
    i64 call_started_ns = 0;
    Span driver;  // CLIENT: a driver call in flight.
    i64 driver_started_ns = 0;
    std::string driver_name;
    // esta_driver_healthy{driver=driver_name}, looked up again only when the driver changes
    // (a lookup builds the family's name and the label key: more work than the call's span).
    Gauge* healthy = nullptr;
    std::string healthy_driver;
    std::unique_ptr<GuestSpans> guest;
    Gauge* depth = nullptr;  // esta_kernel_mailbox_depth{process=pid}, looked up once.
};

struct KernelTelemetry::Counters {
    explicit Counters(MetricsRegistry& metrics)
        : metrics(metrics),
          sent(metrics.counter(kMessagesSent)),
          received(metrics.counter(kMessagesReceived)),
          fuel(metrics.counter(kFuelUsed)),
          audit_failures(metrics.counter(kAuditFailures)),
          ready(metrics.gauge(kProcesses, {"ready"})),
          running(metrics.gauge(kProcesses, {"running"})),
          waiting(metrics.gauge(kProcesses, {"waiting"})),
          blocked(metrics.gauge(kProcesses, {"blocked"})) {}
    MetricsRegistry& metrics;
    Counter& sent;
    Counter& received;
    Counter& fuel;
    Counter& audit_failures;
    Gauge& ready;
    Gauge& running;
    Gauge& waiting;
    Gauge& blocked;
};

KernelTelemetry::KernelTelemetry(KernelTelemetryParts parts)
    : m_parts(parts), m_counters(std::make_unique<Counters>(*parts.metrics)) {}

KernelTelemetry::~KernelTelemetry() = default;

KernelTelemetry::ProcessTrace& KernelTelemetry::process_locked(u32 pid) {
    auto& slot = m_processes[pid];
    if (!slot) slot = std::make_unique<ProcessTrace>();
    return *slot;
}

const SpanContext* KernelTelemetry::parent_locked(u32 pid) {
    auto found = m_processes.find(pid);
    if (found == m_processes.end()) return nullptr;
    ProcessTrace& process = *found->second;
    if (process.guest && process.guest->open_count() != 0) return &process.guest->current();
    if (process.handling.context().valid()) return &process.handling.context();
    if (process.remote_parent.valid()) return &process.remote_parent;
    return nullptr;
}

Span KernelTelemetry::start_locked(std::string_view name, SpanKind kind,
                                   const SpanContext* parent) {
    if (!m_parts.tracer) return {};
    return m_parts.tracer->start_span(name, kind, parent);
}

void KernelTelemetry::audit(std::string_view event, Value::Map data) {
    if (!m_parts.audit) return;
    if (!m_parts.audit->append(event, data)) m_counters->audit_failures.inc();
}

SpanContext KernelTelemetry::current_context(u32 pid) const {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(pid);
    if (found == m_processes.end()) return {};
    if (found->second->handling.context().valid()) return found->second->handling.context();
    return found->second->remote_parent;
}

void KernelTelemetry::process_spawned(u32 pid, u32 parent, std::string_view entry) {
    {
        std::lock_guard lock(m_mutex);
        Span span = start_locked("process spawn", SpanKind::Internal, parent_locked(parent));
        span.set_attribute("esta.process.pid", i64{pid});
        span.set_attribute("esta.process.parent", i64{parent});
        span.set_attribute("esta.process.entry", std::string(entry));
        span.end();
        ProcessTrace& process = process_locked(pid);
        if (m_parts.tracer && !process.guest)
            process.guest = std::make_unique<GuestSpans>(*m_parts.tracer);
    }
    if (m_parts.log) {
        m_parts.log->log(Severity::Info, CategoryKind::Process, "process spawned",
                         {{"parent", parent}, {"entry", entry}}, u64{pid});
    }
    audit("process.spawned", {{"pid", integer(pid)},
                              {"parent", integer(parent)},
                              {"entry", Value::text(std::string(entry))}});
}

void KernelTelemetry::process_exited(u32 pid, std::string_view reason,
                                     std::optional<u32> trap_code) {
    {
        std::lock_guard lock(m_mutex);
        auto found = m_processes.find(pid);
        Span span = start_locked("process exit", SpanKind::Internal, parent_locked(pid));
        span.set_attribute("esta.process.pid", i64{pid});
        span.set_attribute("esta.process.exit", std::string(reason));
        if (trap_code) {
            span.set_attribute("esta.trap.code", i64{*trap_code});
            span.set_status(StatusCode::Error, reason);
            m_counters->metrics.counter(kTraps, {std::to_string(*trap_code)}).inc();
        }
        span.end();
        if (found != m_processes.end()) {
            ProcessTrace& process = *found->second;
            if (process.guest) process.guest->end_all();
            process.handling.end();
            process.call.end();
            process.driver.end();
            m_processes.erase(found);
        }
    }
    if (m_parts.log) {
        m_parts.log->log(trap_code ? Severity::Error : Severity::Info, CategoryKind::Process,
                         trap_code ? "process crashed" : "process exited",
                         {{"reason", reason}, {"trap", trap_code.value_or(0)}}, u64{pid});
    }
    if (trap_code && m_parts.crashed) m_parts.crashed(pid);
    if (trap_code) {
        audit("process.crashed", {{"pid", integer(pid)},
                                  {"reason", Value::text(std::string(reason))},
                                  {"trap", integer(*trap_code)}});
    }
}

void KernelTelemetry::process_restarted(u32 pid, u32 restarts) {
    {
        std::lock_guard lock(m_mutex);
        Span span = start_locked("process restart", SpanKind::Internal, nullptr);
        span.set_attribute("esta.process.pid", i64{pid});
        span.set_attribute("esta.process.restarts", i64{restarts});
        span.end();
        ProcessTrace& process = process_locked(pid);
        if (m_parts.tracer && !process.guest)
            process.guest = std::make_unique<GuestSpans>(*m_parts.tracer);
    }
    if (m_parts.log) {
        m_parts.log->log(Severity::Warning, CategoryKind::Process, "process restarted",
                         {{"restarts", restarts}}, u64{pid});
    }
    audit("process.restarted", {{"pid", integer(pid)}, {"restarts", integer(restarts)}});
}

void KernelTelemetry::slice_ended(u32, u64 fuel) {
    m_counters->fuel.inc(fuel);
}

void KernelTelemetry::process_counts_source(std::function<ProcessCounts()> source) {
    std::lock_guard lock(m_source_mutex);
    m_counts_source = std::move(source);
}

void KernelTelemetry::collect() {
    std::lock_guard lock(m_source_mutex);
    if (!m_counts_source) return;
    const ProcessCounts counts = m_counts_source();
    m_counters->ready.set(counts.ready);
    m_counters->running.set(counts.running);
    m_counters->waiting.set(counts.waiting);
    m_counters->blocked.set(counts.blocked);
}

Gauge& KernelTelemetry::depth_locked(ProcessTrace& process, u32 pid) {
    if (!process.depth)
        process.depth = &m_counters->metrics.gauge(kMailboxDepth, {std::to_string(pid)});
    return *process.depth;
}

MessageTrace KernelTelemetry::message_sent(const MessageFacts& message) {
    m_counters->sent.inc();
    std::lock_guard lock(m_mutex);
    depth_locked(process_locked(message.receiver), message.receiver).set(message.mailbox_depth);
    if (!m_parts.tracer) return {};
    const std::string target = destination(message.receiver);
    SpanContext given;
    const SpanContext* parent = parent_locked(message.sender);
    if (message.parent != nullptr) {
        given = from_message_trace(*message.parent);
        parent = given.valid() ? &given : nullptr;
    }
    Span span = start_locked(target + " publish", SpanKind::Producer, parent);
    if (span.recording()) {
        span.set_attribute("messaging.system", std::string("estalogic"));
        span.set_attribute("messaging.operation", std::string("publish"));
        span.set_attribute("messaging.destination.name", target);
        span.set_attribute("messaging.message.id", std::to_string(message.seq));
        span.set_attribute("messaging.message.body.size", static_cast<i64>(message.bytes));
        span.set_attribute("esta.message.type", i64{message.type});
        span.set_attribute("esta.message.priority", i64{message.priority});
        span.set_attribute("esta.process.pid", i64{message.sender});
    }
    MessageTrace trace = to_message_trace(span.context());
    span.end();
    return trace;
}

void KernelTelemetry::message_refused(const MessageFacts& message, i32 status) {
    m_counters->metrics.counter(kMessagesDropped, {status_text(status)}).inc();
    if (m_parts.log) {
        ESTA_LOG(*m_parts.log, Severity::Warning, CategoryKind::Message, "message refused",
                 {"sender", message.sender}, {"receiver", message.receiver}, {"type", message.type},
                 {"status", status_text(status)});
    }
}

void KernelTelemetry::message_received(const MessageFacts& message, const MessageTrace& trace) {
    m_counters->received.inc();
    std::lock_guard lock(m_mutex);
    ProcessTrace& process = process_locked(message.receiver);
    depth_locked(process, message.receiver).set(message.mailbox_depth);
    if (!m_parts.tracer) return;
    process.handling.end();  // An actor's previous message is done when it takes the next.
    process.remote_parent = from_message_trace(trace);
    const SpanContext* parent = process.remote_parent.valid() ? &process.remote_parent : nullptr;
    const std::string target = destination(message.receiver);
    process.handling = start_locked(target + " process", SpanKind::Consumer, parent);
    if (process.handling.recording()) {
        process.handling.set_attribute("messaging.system", std::string("estalogic"));
        process.handling.set_attribute("messaging.operation", std::string("process"));
        process.handling.set_attribute("messaging.destination.name", target);
        process.handling.set_attribute("messaging.message.id", std::to_string(message.seq));
        process.handling.set_attribute("messaging.message.body.size",
                                       static_cast<i64>(message.bytes));
        process.handling.set_attribute("esta.message.type", i64{message.type});
        process.handling.set_attribute("esta.message.sender", i64{message.sender});
    }
    if (process.guest) process.guest->set_current_context(process.handling.context());
}

void KernelTelemetry::message_handled(u32 pid) {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(pid);
    if (found == m_processes.end()) return;
    found->second->handling.end();
    found->second->remote_parent = {};
    if (found->second->guest) found->second->guest->set_current_context({});
}

void KernelTelemetry::dead_lettered(const MessageFacts& message, std::string_view reason) {
    m_counters->metrics.counter(kMessagesDropped, {"dead_letter"}).inc();
    if (m_parts.log) {
        ESTA_LOG(*m_parts.log, Severity::Warning, CategoryKind::Message, "message dead-lettered",
                 {"sender", message.sender}, {"receiver", message.receiver}, {"type", message.type},
                 {"seq", message.seq}, {"reason", reason});
    }
    audit("message.dead_lettered", {{"receiver", integer(message.receiver)},
                                    {"sender", integer(message.sender)},
                                    {"type", integer(message.type)},
                                    {"seq", integer(message.seq)},
                                    {"reason", Value::text(std::string(reason))}});
}

MessageTrace KernelTelemetry::call_started(const MessageFacts& request) {
    m_counters->sent.inc();
    std::lock_guard lock(m_mutex);
    ProcessTrace& caller = process_locked(request.sender);
    const std::string target = destination(request.receiver);
    Span span = start_locked(target + " call", SpanKind::Client, parent_locked(request.sender));
    if (span.recording()) {
        span.set_attribute("rpc.system", std::string("estalogic"));
        span.set_attribute("rpc.method", std::to_string(request.type));
        span.set_attribute("server.address", target);
        span.set_attribute("messaging.message.body.size", static_cast<i64>(request.bytes));
    }
    MessageTrace trace = to_message_trace(span.context());
    caller.call = std::move(span);
    caller.call_started_ns = m_parts.clock->now_ns();
    return trace;
}

void KernelTelemetry::call_ended(u32 caller, i32 status) {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(caller);
    if (found == m_processes.end()) return;
    ProcessTrace& process = *found->second;
    if (status != 0) process.call.set_status(StatusCode::Error, status_text(status));
    process.call.end();
    const i64 elapsed = m_parts.clock->now_ns() - process.call_started_ns;
    m_counters->metrics.histogram(kOperationLatency, {"call"})
        .observe(static_cast<f64>(std::max<i64>(elapsed, 0)) / 1e9);
}

void KernelTelemetry::replied(u32 handler, u32 caller, u32 type, u64 bytes) {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(handler);
    if (found == m_processes.end()) return;
    found->second->handling.add_event("reply",
                                      {{"esta.call.caller", i64{caller}},
                                       {"esta.message.type", i64{type}},
                                       {"messaging.message.body.size", static_cast<i64>(bytes)}});
}

void KernelTelemetry::driver_call_started(const DriverCallFacts& call) {
    std::lock_guard lock(m_mutex);
    ProcessTrace& process = process_locked(call.caller);
    const SpanContext* parent = parent_locked(call.caller);
    process.driver =
        m_parts.tracer ? m_parts.tracer->start_span(driver_shape(call), parent) : Span{};
    process.driver.set_attribute("esta.driver.op", i64{call.op});
    process.driver_started_ns = m_parts.clock->now_ns();
    process.driver_name = std::string(call.kind) + "/" + std::string(call.resource);
}

void KernelTelemetry::driver_call_ended(u32 caller, i32 status) {
    Gauge* healthy = nullptr;
    Histogram* latency = nullptr;
    i64 elapsed = 0;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_processes.find(caller);
        if (found == m_processes.end()) return;
        ProcessTrace& process = *found->second;
        if (status != 0) {
            process.driver.set_attribute("error.type", status_text(status));
            process.driver.set_status(StatusCode::Error, status_text(status));
        }
        process.driver.end();
        elapsed = m_parts.clock->now_ns() - process.driver_started_ns;
        if (process.healthy == nullptr || process.healthy_driver != process.driver_name) {
            process.healthy = &m_counters->metrics.gauge(kDriverHealthy, {process.driver_name});
            process.healthy_driver = process.driver_name;
        }
        healthy = process.healthy;
        if (m_driver_latency == nullptr)
            m_driver_latency = &m_counters->metrics.histogram(kOperationLatency, {"driver"});
        latency = m_driver_latency;
    }
    const bool reached = status != kStatusUnavailable && status != kStatusTimeout;
    healthy->set(reached ? 1 : 0);
    latency->observe(static_cast<f64>(std::max<i64>(elapsed, 0)) / 1e9);
}

void KernelTelemetry::capability(const CapabilityFacts& decision) {
    if (decision.kind == "validate_denied") {
        m_counters->metrics.counter(kCapabilityDenials, {status_text(decision.status)}).inc();
        if (m_parts.log) {
            ESTA_LOG(*m_parts.log, Severity::Warning, CategoryKind::Security, "capability denied",
                     {"process", decision.process}, {"cap", decision.cap},
                     {"status", status_text(decision.status)});
        }
    }
    Value::Map data{{"at", Value::timestamp(decision.at)},
                    {"process", integer(decision.process)},
                    {"cap", integer(decision.cap)},
                    {"object", integer(decision.object)},
                    {"rights", integer(decision.rights)}};
    if (decision.parent != 0) data["parent"] = integer(decision.parent);
    if (decision.status != 0) data["status"] = Value::text(status_text(decision.status));
    if (decision.count != 0) data["count"] = integer(decision.count);
    audit("capability." + std::string(decision.kind), std::move(data));
}

Result<i64> KernelTelemetry::guest_span_begin(u32 pid, std::string_view name) {
    std::lock_guard lock(m_mutex);
    ProcessTrace& process = process_locked(pid);
    if (!process.guest) return Err(Status::NotSupported, "span_begin: tracing is off");
    return process.guest->begin(name);
}

Result<void> KernelTelemetry::guest_span_end(u32 pid, i64 span_id, i32 status) {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(pid);
    if (found == m_processes.end() || !found->second->guest)
        return Err(Status::NotFound, "span_end.unknown_span");
    return found->second->guest->end(span_id, status);
}

void KernelTelemetry::guest_spans_hold(u32 pid) {
    std::lock_guard lock(m_mutex);
    ProcessTrace& process = process_locked(pid);
    if (process.guest) process.guest->hold();
}

MessageTrace KernelTelemetry::current_trace(u32 pid) {
    std::lock_guard lock(m_mutex);
    const SpanContext* parent = parent_locked(pid);
    return parent != nullptr ? to_message_trace(*parent) : MessageTrace{};
}

void KernelTelemetry::guest_spans_settle(u32 pid, bool keep) {
    std::lock_guard lock(m_mutex);
    auto found = m_processes.find(pid);
    if (found != m_processes.end() && found->second->guest) found->second->guest->settle(keep);
}

}  // namespace esta::observe
