// JournaledMessages: the kernel's PersistentMessages on the node journal (P-8). A
// PERSISTENT message is an `input` record on its receiver's stream (stream id = the
// receiver's pid) holding the message as an envelope (kernel_envelope.h); consuming it
// appends a `marker` record (docs/PROTOCOL.md, "Persistent kernel messages"). A kernel
// restarted over the same journal, with its processes spawned in the same order, calls
// restore_into() before running: every journaled message without a consumption marker goes
// back into its receiver's mailbox, in the order it was sent.
//
// External input may carry an idempotency key (P-5): accept() journals and queues such a
// message once per receiver and key; a copy sent again (a sender that never saw the
// acknowledgement, before or after a restart) gets the first one's record back and is not
// queued again, so its effects apply once. The keys are rebuilt from the journal by
// restore_into(), for the dedup store's TTL.
//
// What "acknowledged" promises follows the journal's fsync policy: under `always` a
// message whose `send` returned is on disk; under `batch` and `interval` only what
// committed_sequence() covers survives a power loss.
#pragma once

#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernel/persistent_messages.h"
#include "protocol/dedup_store.h"
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
    JournaledMessages(protocol::Journal& journal, const protocol::Clock& clock, u64 id_seed = 0,
                      protocol::DedupOptions dedup = {});

    Result<u64> journal(ProcessId receiver, const Message& message) override;
    void queued(ProcessId receiver, u64 mailbox_seq, u64 record) override;
    Result<void> consumed(ProcessId receiver, u64 mailbox_seq) override;

    // The unconsumed persistent messages of `receiver`, oldest first. Errors: the
    // journal's, the codec's, Corrupt "persist.bad_marker" / "persist.bad_message".
    Result<std::vector<PendingMessage>> pending(ProcessId receiver);
    // Queues every pending message of each of `receivers` in `kernel`; returns how many.
    // Also remembers the idempotency keys journaled for them (accept()).
    Result<u64> restore_into(Kernel& kernel, std::span<const ProcessId> receivers);

    // External input for `receiver` under idempotency key `key`, made persistent: journaled
    // then queued in `kernel`; returns its input record's sequence (acknowledged once
    // committed_sequence() covers it). A key already accepted for `receiver` returns that
    // record's sequence and changes nothing. Errors: InvalidArgs "persist.no_key" for an
    // empty key or a message with handles; the journal's; Kernel::restore's (the message is
    // journaled then, and a restart delivers it).
    Result<u64> accept(Kernel& kernel, ProcessId receiver, Message message, const std::string& key);

  private:
    void remember_keys(ProcessId receiver, const std::vector<protocol::JournalRecord>& records);

    protocol::Journal& m_journal;
    const protocol::Clock& m_clock;
    protocol::MessageIdGenerator m_ids;
    protocol::DedupStore m_keys;  // Scope: the receiver's pid; result: the record sequence.
    // (receiver pid, mailbox seq) -> input record, for messages queued and not consumed.
    std::map<std::pair<u32, u64>, u64> m_queued;
};

}  // namespace esta::kernel
