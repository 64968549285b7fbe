// JournaledMessages: the kernel's PersistentMessages on the node journal (P-8). A
// PERSISTENT message is an `input` record on its receiver's stream (stream id = the
// receiver's pid) holding the message as an envelope (kernel_envelope.h); consuming it
// appends a `marker` record (docs/PROTOCOL.md, "Persistent kernel messages"). A kernel
// restarted over the same journal, with its processes spawned in the same order, calls
// restore_into() before running: every journaled message without a consumption marker goes
// back into its receiver's mailbox, in the order it was sent.
//
// What "acknowledged" promises follows the journal's fsync policy: under `always` a
// message whose `send` returned is on disk; under `batch` and `interval` only what
// committed_sequence() covers survives a power loss.
#pragma once

#include <map>
#include <span>
#include <utility>
#include <vector>

#include "kernel/persistent_messages.h"
#include "protocol/journal.h"
#include "protocol/message_id.h"

namespace esta::kernel {

class Kernel;

// A journaled message not yet consumed.
struct PendingMessage {
    u64 record = 0;  // The input record's node-wide sequence.
    Message message;
};

class JournaledMessages final : public PersistentMessages {
  public:
    // `journal` and `clock` are borrowed and outlive this. `id_seed` seeds envelope ids.
    JournaledMessages(protocol::Journal& journal, const protocol::Clock& clock, u64 id_seed = 0)
        : m_journal(journal), m_ids(clock, id_seed) {}

    Result<u64> journal(ProcessId receiver, const Message& message) override;
    void queued(ProcessId receiver, u64 mailbox_seq, u64 record) override;
    Result<void> consumed(ProcessId receiver, u64 mailbox_seq) override;

    // The unconsumed persistent messages of `receiver`, oldest first. Errors: the
    // journal's, the codec's, Corrupt "persist.bad_marker" / "persist.bad_message".
    Result<std::vector<PendingMessage>> pending(ProcessId receiver);
    // Queues every pending message of each of `receivers` in `kernel`; returns how many.
    Result<u64> restore_into(Kernel& kernel, std::span<const ProcessId> receivers);

  private:
    protocol::Journal& m_journal;
    protocol::MessageIdGenerator m_ids;
    // (receiver pid, mailbox seq) -> input record, for messages queued and not consumed.
    std::map<std::pair<u32, u64>, u64> m_queued;
};

}  // namespace esta::kernel
