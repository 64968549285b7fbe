// PersistentMessages: where the kernel journals messages sent with the PERSISTENT flag
// (ABI `send`, REQUIREMENTS P-8). The kernel depends on this interface only; the journal
// behind it is kernel/persistence/journaled_messages.h. Called with the kernel lock held.
#pragma once

#include "base/result.h"
#include "kernel/ids.h"
#include "kernel/message.h"

namespace esta::kernel {

class PersistentMessages {
  public:
    virtual ~PersistentMessages() = default;
    // Journals `message`, about to be queued for `receiver`, before `send` returns its
    // sequence (the acknowledgement). Returns the record's id. An error fails the send:
    // nothing is queued.
    virtual Result<u64> journal(ProcessId receiver, const Message& message) = 0;
    // The journaled `record` was queued in `receiver`'s mailbox as `mailbox_seq`.
    virtual void queued(ProcessId receiver, u64 mailbox_seq, u64 record) = 0;
    // `receiver` consumed its message `mailbox_seq` (received it, its handler returned, or
    // it was dead-lettered). A no-op for a message that was not journaled.
    virtual Result<void> consumed(ProcessId receiver, u64 mailbox_seq) = 0;
};

}  // namespace esta::kernel
