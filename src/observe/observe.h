// The door of src/observe: interfaces every room calls to log, audit and count. Depends on
// nothing but base.
//   Logger / ESTA_LOG        structured logging (log.h)
//   AuditSink                tamper-evident audit records (audit_sink.h, value.h)
//   MetricsRegistry / ESTA_COUNTER, ESTA_GAUGE, ESTA_HISTOGRAM   (metrics.h)
//   Clock                    the injectable time source (clock.h)
//   Tracer / Span            W3C trace context, samplers, spans (trace/tracer.h)
//   ObserveContext           all of the above, passed to a room as one object (context.h)
// The app wires the concrete parts from their own headers: log_sinks.h, flight_recorder.h,
// audit_log.h, audit_verify.h, audit_query.h, checkpoint_export.h, and the span exporters in
// trace/ (batch_span_processor.h, otlp_exporter.h, span_exporters.h).
#pragma once

#include "base/base.h"
#include "observe/audit_sink.h"
#include "observe/clock.h"
#include "observe/context.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "observe/trace/tracer.h"
