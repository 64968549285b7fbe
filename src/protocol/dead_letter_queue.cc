#include "protocol/dead_letter_queue.h"

#include "protocol/byte_writer.h"
#include "protocol/codec.h"

namespace esta::protocol {

namespace {

// The queue's journal has one stream for entries and settlements.
const StreamId kQueueStream{1};
constexpr u32 kMaxNoteBytes = 4096;
// Settlement markers: action byte, then the entry id.
constexpr std::size_t kMarkerBytes = 1 + 8;

std::vector<u8> encode_marker(DeadLetterState state, u64 id) {
    std::vector<u8> out;
    ByteWriter writer(out);
    writer.put_u8(u8(state));
    writer.put_u64(id);
    return out;
}

}  // namespace

std::string_view dead_letter_reason_name(DeadLetterReason reason) {
    switch (reason) {
        case DeadLetterReason::Trap:
            return "trap";
        case DeadLetterReason::RetriesExhausted:
            return "retries_exhausted";
        case DeadLetterReason::Expired:
            return "expired";
        case DeadLetterReason::Rejected:
            return "rejected";
    }
    return "unknown";
}

std::string_view dead_letter_state_name(DeadLetterState state) {
    switch (state) {
        case DeadLetterState::Pending:
            return "pending";
        case DeadLetterState::Replayed:
            return "replayed";
        case DeadLetterState::Dropped:
            return "dropped";
    }
    return "unknown";
}

std::vector<u8> encode_dead_letter(const DeadLetter& letter) {
    std::vector<u8> out;
    const std::size_t start = begin_frame(out, FrameKind::DeadLetter);
    ByteWriter writer(out);
    writer.put_u8(u8(letter.summary.reason));
    writer.put_u32(letter.summary.code);
    writer.put_u32(letter.summary.attempts);
    writer.put_i64(letter.summary.time);
    writer.put_string(letter.note.substr(0, kMaxNoteBytes));
    // The original as a complete envelope frame: it carries its own checksum and version,
    // so replay hands back exactly the bytes that were received.
    const std::vector<u8> message = encode_envelope(letter.message);
    writer.put_blob(ByteSpan(message));
    finish_frame(out, start);
    return out;
}

Result<DeadLetter> decode_dead_letter(ByteSpan frame_bytes, u64 id) {
    const Frame frame = ESTA_TRY(decode_frame(frame_bytes));
    if (frame.kind != FrameKind::DeadLetter || frame.size != frame_bytes.size()) {
        return Err(Status::Corrupt, "dlq.bad_entry", Detail{.index = id});
    }
    ByteReader reader(frame.body, kFrameHeaderBytes);
    DeadLetter letter;
    letter.summary.id = id;
    const u8 reason = ESTA_TRY(reader.read_u8());
    if (reason < u8(DeadLetterReason::Trap) || reason > u8(DeadLetterReason::Rejected)) {
        return Err(Status::Corrupt, "dlq.bad_reason", Detail{.index = id, .actual = reason});
    }
    letter.summary.reason = static_cast<DeadLetterReason>(reason);
    letter.summary.code = ESTA_TRY(reader.read_u32_le());
    letter.summary.attempts = ESTA_TRY(reader.read_u32_le());
    letter.summary.time = ESTA_TRY(reader.read_le<i64>());
    const u32 note_size = ESTA_TRY(reader.read_u32_le());
    if (note_size > kMaxNoteBytes) return Err(Status::Corrupt, "dlq.bad_note", Detail{.index = id});
    const ByteSpan note = ESTA_TRY(reader.read_bytes(note_size));
    letter.note.assign(note.begin(), note.end());
    const u32 message_size = ESTA_TRY(reader.read_u32_le());
    const ByteSpan message = ESTA_TRY(reader.read_bytes(message_size));
    if (!reader.at_end()) return Err(Status::Corrupt, "dlq.trailing_bytes", Detail{.index = id});
    letter.message = ESTA_TRY(decode_envelope(message));
    letter.summary.message_id = letter.message.id;
    letter.summary.message_type = letter.message.type;
    return letter;
}

Result<std::unique_ptr<DeadLetterQueue>> DeadLetterQueue::open(FileSystem& fs,
                                                               std::string directory,
                                                               const Clock& clock) {
    JournalOptions options;
    options.fsync = FsyncPolicy::Always;  // add() returning means the entry is on disk.
    options.max_segment_bytes = 16ull << 20;
    auto journal = ESTA_TRY(Journal::open(fs, std::move(directory), clock, options));
    auto queue = std::make_unique<DeadLetterQueue>(Key{}, std::move(journal), clock);
    ESTA_TRY(queue->rebuild());
    return queue;
}

Result<void> DeadLetterQueue::rebuild() {
    const auto records = ESTA_TRY(m_journal->read_stream(kQueueStream));
    for (const auto& record : records) {
        if (record.type == RecordType::Input) {
            const DeadLetter letter =
                ESTA_TRY(decode_dead_letter(ByteSpan(record.data), record.sequence));
            m_entries[record.sequence] = letter.summary;
            continue;
        }
        if (record.type != RecordType::Marker || record.data.size() != kMarkerBytes) {
            return Err(Status::Corrupt, "dlq.bad_marker", Detail{.index = record.sequence});
        }
        ByteReader reader{ByteSpan(record.data)};
        const u8 state = *reader.read_u8();
        const u64 id = *reader.read_u64_le();
        const auto found = m_entries.find(id);
        if (found == m_entries.end() || state < u8(DeadLetterState::Replayed) ||
            state > u8(DeadLetterState::Dropped)) {
            return Err(Status::Corrupt, "dlq.bad_marker", Detail{.index = record.sequence});
        }
        found->second.state = static_cast<DeadLetterState>(state);
    }
    return Ok();
}

Result<u64> DeadLetterQueue::add(DeadLetterReason reason, u32 code, u32 attempts,
                                 std::string_view note, const Envelope& message) {
    DeadLetter letter;
    letter.summary = DeadLetterSummary{0,          reason,           code,
                                       attempts,   m_clock.now_ns(), DeadLetterState::Pending,
                                       message.id, message.type};
    letter.note = std::string(note.substr(0, kMaxNoteBytes));
    letter.message = message;
    const std::vector<u8> bytes = encode_dead_letter(letter);
    const u64 id = ESTA_TRY(
        m_journal->append(kQueueStream, RecordType::Input, letter.summary.time, ByteSpan(bytes)));
    letter.summary.id = id;
    m_entries[id] = letter.summary;
    return id;
}

std::vector<DeadLetterSummary> DeadLetterQueue::list(bool include_settled) const {
    std::vector<DeadLetterSummary> out;
    for (const auto& [id, summary] : m_entries) {
        if (include_settled || summary.state == DeadLetterState::Pending) out.push_back(summary);
    }
    return out;
}

std::size_t DeadLetterQueue::pending_count() const {
    return list(false).size();
}

Result<DeadLetter> DeadLetterQueue::inspect(u64 id) {
    const auto found = m_entries.find(id);
    if (found == m_entries.end())
        return Err(Status::NotFound, "dlq.no_such_entry", Detail{.index = id});
    const auto records = ESTA_TRY(m_journal->read_from(id, 1));
    if (records.size() != 1) return Err(Status::Corrupt, "dlq.bad_entry", Detail{.index = id});
    DeadLetter letter = ESTA_TRY(decode_dead_letter(ByteSpan(records[0].data), id));
    letter.summary.state = found->second.state;
    return letter;
}

Result<void> DeadLetterQueue::settle(u64 id, DeadLetterState state) {
    const auto found = m_entries.find(id);
    if (found == m_entries.end())
        return Err(Status::NotFound, "dlq.no_such_entry", Detail{.index = id});
    if (found->second.state != DeadLetterState::Pending) {
        return Err(Status::InvalidArgs, "dlq.already_settled",
                   Detail{.index = id, .actual = u8(found->second.state)});
    }
    const std::vector<u8> marker = encode_marker(state, id);
    ESTA_TRY(
        m_journal->append(kQueueStream, RecordType::Marker, m_clock.now_ns(), ByteSpan(marker)));
    found->second.state = state;
    return Ok();
}

Result<Envelope> DeadLetterQueue::replay(u64 id) {
    // Read first, settle second: a failed read leaves the entry pending.
    DeadLetter letter = ESTA_TRY(inspect(id));
    ESTA_TRY(settle(id, DeadLetterState::Replayed));
    return std::move(letter.message);
}

Result<void> DeadLetterQueue::drop(u64 id) {
    return settle(id, DeadLetterState::Dropped);
}

}  // namespace esta::protocol
