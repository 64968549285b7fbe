// DeadLetterQueue (P-4): where a message goes when it cannot be delivered — a trap while
// handling it, retries exhausted, TTL expired, or rejected by the receiver. Durable: it
// lives on its own journal (fsync policy Always), so an entry acknowledged by add() survives
// a crash. Each entry keeps the original message byte for byte, the reason, a reason code
// (the trap code, the NACK reason, ...), the attempts made and the time. Operators list,
// inspect, replay or drop entries (`estalogic dlq ...`); replay and drop are journaled
// too, so an entry is replayed at most once even across restarts. Single owner.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/envelope.h"
#include "protocol/file_system.h"
#include "protocol/journal.h"

namespace esta::protocol {

enum class DeadLetterReason : u8 {
    Trap = 1,              // code = the trap code (4001 unreachable, 3003 fuel, ...).
    RetriesExhausted = 2,  // code = the last NackReason, or 0 when the peer never answered.
    Expired = 3,           // The TTL elapsed before delivery.
    Rejected = 4,          // code = the receiver's status or NackReason.
};
std::string_view dead_letter_reason_name(DeadLetterReason reason);

enum class DeadLetterState : u8 { Pending = 0, Replayed = 1, Dropped = 2 };
std::string_view dead_letter_state_name(DeadLetterState state);

struct DeadLetterSummary {
    u64 id = 0;  // Stable: the entry's sequence in the queue's journal.
    DeadLetterReason reason = DeadLetterReason::Rejected;
    u32 code = 0;
    u32 attempts = 0;
    Nanos time = 0;
    DeadLetterState state = DeadLetterState::Pending;
    MessageId message_id;
    std::string message_type;
};

struct DeadLetter {
    DeadLetterSummary summary;
    std::string note;  // Free text for the operator ("handler trapped at func 3 +0x1a").
    Envelope message;  // The original, exactly as it was received.
};

class DeadLetterQueue {
    struct Key {
        explicit Key() = default;
    };

  public:
    // Use open(); the key keeps construction inside it.
    DeadLetterQueue(Key, std::unique_ptr<Journal> journal, const Clock& clock)
        : m_journal(std::move(journal)), m_clock(clock) {}

    // Opens (creating) the queue in `directory` and rebuilds its state from the journal.
    // `fs` and `clock` are borrowed. Errors are the journal's, or Corrupt "dlq.bad_entry".
    static Result<std::unique_ptr<DeadLetterQueue>> open(FileSystem& fs, std::string directory,
                                                         const Clock& clock);

    // Adds an entry; durable when it returns. Returns the entry id.
    Result<u64> add(DeadLetterReason reason, u32 code, u32 attempts, std::string_view note,
                    const Envelope& message);

    // Entries, oldest first; settled (replayed or dropped) ones only when asked.
    std::vector<DeadLetterSummary> list(bool include_settled = false) const;
    // NotFound "dlq.no_such_entry".
    Result<DeadLetter> inspect(u64 id);
    // Marks a pending entry replayed (durably, before returning) and hands back the
    // original message for re-delivery: a replay happens at most once, and the receiver
    // journals the message again before acknowledging it. InvalidArgs "dlq.already_settled" for an
    // entry replayed or dropped.
    Result<Envelope> replay(u64 id);
    // Marks a pending entry dropped (durably); its message is never delivered.
    Result<void> drop(u64 id);

    std::size_t pending_count() const;

  private:
    Result<void> rebuild();
    Result<void> settle(u64 id, DeadLetterState state);

    std::unique_ptr<Journal> m_journal;
    const Clock& m_clock;
    std::map<u64, DeadLetterSummary> m_entries;
};

// The entry encoding (a DeadLetter frame), exposed for the fuzz target and tests.
std::vector<u8> encode_dead_letter(const DeadLetter& letter);
Result<DeadLetter> decode_dead_letter(ByteSpan frame_bytes, u64 id);

}  // namespace esta::protocol
