// DurableDeadLetters: the kernel's DeadLetterSink (K-31) backed by the protocol's durable
// DeadLetterQueue (P-4). A poison message is on disk, with its original payload, the trap,
// where it trapped and the kernel time, before the kernel moves on to the next message;
// `estalogic dlq list DIR` shows it. The message becomes an Envelope (docs/PROTOCOL.md,
// "Kernel dead letters"): type "kernel.0x<type>", sender badge = sender pid, headers
// esta.process / esta.seq / esta.sender / esta.trap_function / esta.trap_offset.
#pragma once

#include <memory>
#include <string>

#include "kernel/supervisor.h"
#include "protocol/dead_letter_queue.h"
#include "protocol/message_id.h"

namespace esta::kernel {

// The envelope a dead-lettered kernel message is kept as. `id` names it.
protocol::Envelope dead_letter_envelope(const DeadLetterRecord& record, protocol::MessageId id);

class DurableDeadLetters final : public DeadLetterSink {
  public:
    // Opens (creating) the queue in `directory`. `fs` and `clock` are borrowed and outlive
    // the sink. `id_seed` seeds the ids of the kept envelopes (T-1: reproducible).
    static Result<std::unique_ptr<DurableDeadLetters>> open(protocol::FileSystem& fs,
                                                            std::string directory,
                                                            const protocol::Clock& clock,
                                                            u64 id_seed = 0);

    DurableDeadLetters(std::unique_ptr<protocol::DeadLetterQueue> queue,
                       const protocol::Clock& clock, u64 id_seed)
        : m_queue(std::move(queue)), m_ids(clock, id_seed) {}

    // Durable when it returns Ok; errors are the queue's (the kernel then keeps the
    // message and decides again).
    Result<void> add(DeadLetterRecord record) override;

    protocol::DeadLetterQueue& queue() { return *m_queue; }

  private:
    std::unique_ptr<protocol::DeadLetterQueue> m_queue;
    protocol::MessageIdGenerator m_ids;
};

}  // namespace esta::kernel
