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
using protocol::kConsumedMarker;
constexpr std::size_t kMarkerBytes = 9;

protocol::StreamId stream_of(ProcessId receiver) {
    return protocol::StreamId(receiver.value());
}

std::string scope_of(ProcessId receiver) {
    return std::to_string(receiver.value());
}

std::vector<u8> sequence_bytes(u64 sequence) {
    std::vector<u8> bytes;
    protocol::ByteWriter(bytes).put_u64(sequence);
    return bytes;
}

}  // namespace

JournaledMessages::JournaledMessages(protocol::Journal& journal, const protocol::Clock& clock,
                                     u64 id_seed, protocol::DedupOptions dedup)
    : m_journal(journal),
      m_clock(clock),
      m_ids(clock, id_seed),
      m_keys(std::move(*protocol::DedupStore::create(clock, dedup))) {}

Result<u64> JournaledMessages::accept(Kernel& kernel, ProcessId receiver, Message message,
                                      const std::string& key) {
    if (key.empty() || message.handle_count != 0) return Err(Status::InvalidArgs, "persist.no_key");
    if (auto hit = m_keys.find(scope_of(receiver), key)) {
        ByteReader reader{ByteSpan(hit->result)};
        return ESTA_TRY(reader.read_u64_le());  // The first copy's record: nothing more.
    }
    message.flags |= send_flags::kPersistent;
    if (message.time == 0) message.time = m_clock.now_ns();
    protocol::Envelope envelope = to_envelope(message, m_ids.next());
    envelope.idempotency_key = key;
    const u64 record =
        ESTA_TRY(protocol::append_input(m_journal, stream_of(receiver), message.time, envelope));
    m_keys.record(scope_of(receiver), key, sequence_bytes(record));
    const u64 seq = ESTA_TRY(kernel.restore(receiver, std::move(message)));
    queued(receiver, seq, record);
    return record;
}

void JournaledMessages::remember_keys(ProcessId receiver,
                                      const std::vector<protocol::JournalRecord>& records) {
    for (const auto& record : records) {
        if (record.type != protocol::RecordType::Input) continue;
        auto envelope = protocol::decode_envelope(ByteSpan(record.data));
        if (!envelope || !envelope->idempotency_key || is_delivery(*envelope)) continue;
        m_keys.restore(scope_of(receiver), *envelope->idempotency_key, record.time,
                       sequence_bytes(record.sequence));
    }
}

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
        // Other markers (a process's starts and ends, T-1) belong to the replay history.
        if (!record.data.empty() && (record.data[0] == protocol::kStartedMarker ||
                                     record.data[0] == protocol::kEndedMarker))
            continue;
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
        // Only persistent messages wait here; other inputs, deliveries included, are
        // history for replay (T-1).
        if (!envelope.flags.contains(protocol::EnvelopeFlag::Persistent) || is_delivery(envelope))
            continue;
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
        remember_keys(receiver, ESTA_TRY(m_journal.read_stream(stream_of(receiver))));
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
