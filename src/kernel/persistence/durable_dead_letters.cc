#include "kernel/persistence/durable_dead_letters.h"

#include <algorithm>
#include <cstdio>

namespace esta::kernel {
namespace {

std::string hex_type(MessageType type) {
    char text[32];
    std::snprintf(text, sizeof text, "kernel.0x%04x", static_cast<unsigned>(type.value()));
    return text;
}

std::string trap_note(const DeadLetterRecord& record) {
    char text[128];
    std::snprintf(text, sizeof text, "process %u trapped (%u) at func %u +0x%x, message seq %llu",
                  static_cast<unsigned>(record.process.value()),
                  static_cast<unsigned>(wasm::trap_code(record.trap)), record.trap_function,
                  record.trap_offset, static_cast<unsigned long long>(record.seq));
    return text;
}

}  // namespace

protocol::Envelope dead_letter_envelope(const DeadLetterRecord& record, protocol::MessageId id) {
    protocol::Envelope envelope;
    envelope.id = id;
    // The kernel time of the decision; a positive wall time keeps the envelope valid (P-2).
    envelope.timestamp.wall_ns = record.time > 0 ? record.time : 1;
    envelope.kind = protocol::MessageKind::Event;
    envelope.type = hex_type(record.type);
    envelope.sender.badge = record.sender.value();
    envelope.headers = {
        {"esta.process", std::to_string(record.process.value())},
        {"esta.seq", std::to_string(record.seq)},
        {"esta.sender", std::to_string(record.sender.value())},
        {"esta.trap_function", std::to_string(record.trap_function)},
        {"esta.trap_offset", std::to_string(record.trap_offset)},
    };
    envelope.payload.format =
        record.payload.empty() ? protocol::PayloadFormat::Empty : protocol::PayloadFormat::Binary;
    envelope.payload.bytes = record.payload;
    return envelope;
}

Result<std::unique_ptr<DurableDeadLetters>> DurableDeadLetters::open(protocol::FileSystem& fs,
                                                                     std::string directory,
                                                                     const protocol::Clock& clock,
                                                                     u64 id_seed) {
    auto queue = ESTA_TRY(protocol::DeadLetterQueue::open(fs, std::move(directory), clock));
    return std::make_unique<DurableDeadLetters>(std::move(queue), clock, id_seed);
}

Result<void> DurableDeadLetters::add(DeadLetterRecord record) {
    protocol::Envelope envelope = dead_letter_envelope(record, m_ids.next());
    if (record.deadline) {
        // A missed deadline (K-53): expired unhandled; the code is how late, in ms.
        u64 late_ms =
            static_cast<u64>(std::max<Nanos>(0, record.time - *record.deadline) / kNanosPerMilli);
        u32 code = static_cast<u32>(std::min<u64>(late_ms, ~u32{0}));
        ESTA_TRY(m_queue->add(protocol::DeadLetterReason::Expired, code, record.attempts,
                              "message deadline missed", envelope));
        return Ok();
    }
    ESTA_TRY(m_queue->add(protocol::DeadLetterReason::Trap, wasm::trap_code(record.trap),
                          record.attempts, trap_note(record), envelope));
    return Ok();
}

}  // namespace esta::kernel
