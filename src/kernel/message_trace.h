// A message as the KernelObserver sees it (observe/kernel_observer.h): its facts, and its W3C
// trace fields in and out.
#pragma once

#include "kernel/message.h"
#include "observe/kernel_observer.h"

namespace esta::kernel {

inline observe::MessageFacts message_facts(const Message& message, ProcessId receiver,
                                           u32 mailbox_depth) {
    observe::MessageFacts facts;
    facts.sender = message.sender.value();
    facts.receiver = receiver.value();
    facts.type = message.type.value();
    facts.bytes = message.payload.size();
    facts.seq = message.seq;
    facts.priority = message.priority;
    facts.mailbox_depth = mailbox_depth;
    return facts;
}

inline observe::MessageTrace message_trace(const Message& message) {
    return observe::MessageTrace{message.trace_id, message.span_id, message.trace_flags};
}

inline void stamp_trace(Message& message, const observe::MessageTrace& trace) {
    message.trace_id = trace.trace_id;
    message.span_id = trace.span_id;
    message.trace_flags = trace.flags;
}

}  // namespace esta::kernel
