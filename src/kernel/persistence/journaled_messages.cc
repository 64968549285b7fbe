#include "kernel/persistence/journaled_messages.h"

#include <set>

#include "base/bytes.h"
#include "kernel/persistence/kernel_envelope.h"
#include "kernel/runtime/kernel_runtime.h"
#include "protocol/byte_writer.h"
#include "protocol/codec.h"
#include "protocol/input_log.h"

namespace esta::kernel {
namespace {

// Marker data (docs/PROTOCOL.md): u8 kind, u64 the input record's node-wide sequence.
constexpr u8 kConsumedMarker = 1;
constexpr std::size_t kMarkerBytes = 9;

protocol::StreamId stream_of(ProcessId receiver) {
    return protocol::StreamId(receiver.value());
}

}  // namespace

Result<u64> JournaledMessages::journal(ProcessId receiver, const Message& message) {
    return protocol::append_input(m_journal, stream_of(receiver), message.time,
                                  to_envelope(message, m_ids.next()));
}

void JournaledMessages::queued(ProcessId receiver, u64 mailbox_seq, u64 record) {
    m_queued[{receiver.value(), mailbox_seq}] = record;
}

Result<void> JournaledMessages::consumed(ProcessId receiver, u64 mailbox_seq) {
    auto found = m_queued.find({receiver.value(), mailbox_seq});
    if (found == m_queued.end()) return Ok();
    std::vector<u8> data;
    protocol::ByteWriter writer(data);
    writer.put_u8(kConsumedMarker);
    writer.put_u64(found->second);
    // Kept until the marker is appended: a failed append is tried again at the next call.
    ESTA_TRY(
        m_journal.append(stream_of(receiver), protocol::RecordType::Marker, 0, ByteSpan(data)));
    m_queued.erase(found);
    return Ok();
}

Result<std::vector<PendingMessage>> JournaledMessages::pending(ProcessId receiver) {
    const auto records = ESTA_TRY(m_journal.read_stream(stream_of(receiver)));
    std::set<u64> consumed;
    for (const auto& record : records) {
        if (record.type != protocol::RecordType::Marker) continue;
        ByteReader reader{ByteSpan(record.data)};
        auto kind = reader.read_u8();
        auto input = reader.read_u64_le();
        if (record.data.size() != kMarkerBytes || !kind || *kind != kConsumedMarker)
            return Err(Status::Corrupt, "persist.bad_marker", Detail{.index = record.sequence});
        consumed.insert(*input);
    }
    std::vector<PendingMessage> pending;
    for (const auto& record : records) {
        if (record.type != protocol::RecordType::Input || consumed.contains(record.sequence))
            continue;
        auto envelope = ESTA_TRY(protocol::decode_envelope(ByteSpan(record.data)));
        // Only persistent messages wait here; other inputs are history for replay (T-1).
        if (!envelope.flags.contains(protocol::EnvelopeFlag::Persistent)) continue;
        auto message = from_envelope(envelope);
        if (!message)
            return Err(Status::Corrupt, "persist.bad_message", Detail{.index = record.sequence});
        pending.push_back(PendingMessage{record.sequence, std::move(*message)});
    }
    return pending;
}

Result<u64> JournaledMessages::restore_into(Kernel& kernel, std::span<const ProcessId> receivers) {
    u64 restored = 0;
    for (ProcessId receiver : receivers) {
        auto messages = ESTA_TRY(pending(receiver));
        for (PendingMessage& entry : messages) {
            u64 seq = ESTA_TRY(kernel.restore(receiver, std::move(entry.message)));
            queued(receiver, seq, entry.record);
            ++restored;
        }
    }
    return restored;
}

}  // namespace esta::kernel
