// A kernel Message as a protocol Envelope and back (docs/PROTOCOL.md, "Persistent kernel
// messages"): what the journal keeps of a PERSISTENT message. Handles are never kept.
#pragma once

#include "kernel/message.h"
#include "protocol/envelope.h"

namespace esta::kernel {

protocol::Envelope to_envelope(const Message& message, protocol::MessageId id);
// Errors: Malformed "persist.bad_message" when a kernel field is missing or out of range.
Result<Message> from_envelope(const protocol::Envelope& envelope);

// A message as delivered to its receiver (T-1's delivery record): its own flags, and the
// headers esta.flags, esta.handles and esta.delivered (the mailbox sequence).
protocol::Envelope to_delivery_envelope(const Message& message, protocol::MessageId id);
bool is_delivery(const protocol::Envelope& envelope);
// Handles are not kept: the message comes back without them. Errors: from_envelope's.
Result<Message> from_delivery_envelope(const protocol::Envelope& envelope);

}  // namespace esta::kernel
