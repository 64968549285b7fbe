// Delivery modes (P-4, P-5, P-6) put together. A ReliableSender numbers outgoing messages
// per channel, tracks their acks, says what to retransmit, and moves a message to the
// dead-letter queue when its retries are spent or its TTL elapses. A ReliableReceiver
// validates what arrives, answers a duplicate from the dedup store, restores per-source
// order, and produces the ack to send back. Both read time from the injected clock.
//
//   mode           sender                          receiver
//   AtMostOnce     send once, never track          deliver in arrival order, no acks
//   AtLeastOnce    retransmit until acked           reorder, cumulative acks; duplicates
//                                                  possible after a lost ack
//   ExactlyOnce    as AtLeastOnce                   as AtLeastOnce, plus the dedup store:
//                                                  a repeated idempotency key gets the
//                                                  stored result, never a second execution
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "base/result.h"
#include "protocol/ack_tracker.h"
#include "protocol/dead_letter_queue.h"
#include "protocol/dedup_store.h"
#include "protocol/envelope.h"
#include "protocol/reorder_buffer.h"

namespace esta::protocol {

enum class DeliveryMode : u8 { AtMostOnce = 0, AtLeastOnce = 1, ExactlyOnce = 2 };
std::string_view delivery_mode_name(DeliveryMode mode);

class ReliableSender {
  public:
    struct Outgoing {
        u64 sequence = 0;
        const Envelope* envelope = nullptr;  // Valid until the next call on the sender.
        u32 attempt = 0;                     // 0 for the first send.
    };
    struct Due {
        std::vector<Outgoing> retransmit;
        std::vector<u64> dead_lettered;  // Dead-letter queue entry ids.
    };

    // `clock` and `dead_letters` are borrowed; without a queue, given-up messages are
    // only reported (as entry id 0).
    ReliableSender(const Clock& clock, DeliveryMode mode, RetryPolicy policy, u64 seed,
                   DeadLetterQueue* dead_letters)
        : m_clock(clock),
          m_mode(mode),
          m_tracker(clock, policy, seed),
          m_dead_letters(dead_letters) {}

    // Numbers `envelope` and starts tracking it (except at-most-once). The caller
    // transmits the returned Outgoing.
    Result<Outgoing> send(Envelope envelope);
    // Applies an ack from the receiver; returns the sequences settled.
    std::vector<u64> on_ack(const Ack& ack);
    // What to retransmit now, and what was given up (moved to the dead-letter queue:
    // RetriesExhausted with the last NACK reason as code, or Expired when the TTL elapsed).
    Result<Due> poll();

    std::size_t in_flight() const { return m_in_flight.size(); }

  private:
    Result<u64> dead_letter(u64 sequence, DeadLetterReason reason, u32 code, u32 attempts);

    const Clock& m_clock;
    DeliveryMode m_mode;
    AckTracker m_tracker;
    DeadLetterQueue* m_dead_letters;
    u64 m_next_sequence = 1;
    std::map<u64, Envelope> m_in_flight;
};

class ReliableReceiver {
  public:
    enum class Verdict : u8 {
        Accepted,   // Valid; `deliver` holds whatever is now in order (maybe nothing yet).
        Duplicate,  // Exactly-once: already processed; `stored_result` is the answer.
        Stale,      // Already delivered (a retransmission after a lost ack); dropped.
        Invalid,    // Failed validation; `problems` says why; NACKed as processing failed.
    };
    struct Outcome {
        Verdict verdict = Verdict::Accepted;
        std::vector<Envelope> deliver;  // In sequence order.
        std::vector<SequenceGap> gaps;
        std::optional<std::vector<u8>> stored_result;
        Diagnostics problems;
        std::optional<Ack> ack;  // What to send back (none for at-most-once).
    };

    // `clock` is borrowed. InvalidArgs for unusable dedup options.
    static Result<ReliableReceiver> create(const Clock& clock, DeliveryMode mode,
                                           ReorderOptions reorder, DedupOptions dedup);

    Outcome receive(u64 sequence, Envelope envelope);
    // Releases messages whose gap waited too long (P-6).
    Outcome poll();
    // Exactly-once: stores the result of processing `envelope` under its idempotency key
    // (scoped by tenant), so a duplicate gets it back.
    void record_result(const Envelope& envelope, std::vector<u8> result);

  private:
    ReliableReceiver(const Clock& clock, DeliveryMode mode, ReorderOptions reorder,
                     DedupStore dedup)
        : m_clock(&clock), m_mode(mode), m_reorder(clock, reorder), m_dedup(std::move(dedup)) {}
    std::optional<Ack> cumulative_ack() const;

    const Clock* m_clock;
    DeliveryMode m_mode;
    ReorderBuffer<Envelope> m_reorder;
    DedupStore m_dedup;
};

}  // namespace esta::protocol
