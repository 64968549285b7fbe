// Trace context across process boundaries (REQUIREMENTS O-4): a span's context into the
// envelope's W3C trace fields (protocol/envelope.h, "trace context" in docs/PROTOCOL.md)
// and back. observe and protocol do not know each other, so the bridge sits here, with
// the room that wires both; the kernel's send/receive and the driver host call the same
// two functions when they are instrumented.
#pragma once

#include <optional>

#include "observe/trace/trace_context.h"
#include "protocol/envelope.h"

namespace esta::app {

// The envelope fields for a message sent under `context`: its span becomes the receiver's
// parent. An invalid context gives an empty trace (no trace id), which receivers treat as
// "start a new trace".
protocol::TraceContext to_envelope_trace(const observe::SpanContext& context);

// The sender's context as a remote parent, or nullopt when the envelope carries no valid
// trace (no trace id, a zero parent span id, or version 0xff, which W3C reserves as
// invalid). A tracestate that breaks the W3C rules is dropped and the rest kept, as a
// receiver of the text headers would. Unknown flag bits are cleared.
std::optional<observe::SpanContext> from_envelope_trace(const protocol::TraceContext& trace);

}  // namespace esta::app
