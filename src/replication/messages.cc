#include "replication/messages.h"

#include "protocol/byte_writer.h"
#include "protocol/frame.h"

namespace esta::replication {

namespace {

using protocol::ByteWriter;

void put_digest(ByteWriter& writer, const Digest& digest) {
    writer.put_bytes(ByteSpan(digest.data(), digest.size()));
}

Result<Digest> read_digest(ByteReader& reader) {
    ByteSpan bytes = ESTA_TRY(reader.read_bytes(32));
    Digest digest{};
    std::copy(bytes.begin(), bytes.end(), digest.begin());
    return digest;
}

void put_entry(ByteWriter& writer, const Entry& entry) {
    put_digest(writer, entry.chain);
    writer.put_u8(entry.output ? 1 : 0);
    if (entry.output) put_digest(writer, *entry.output);
    std::vector<u8> record;
    protocol::append_record(record, entry.record);
    writer.put_u32(static_cast<u32>(record.size()));
    writer.put_bytes(ByteSpan(record.data(), record.size()));
}

Result<Entry> read_entry(ByteReader& reader) {
    Entry entry;
    entry.chain = ESTA_TRY(read_digest(reader));
    u8 has_output = ESTA_TRY(reader.read_u8());
    if (has_output > 1) return Err(Status::Malformed, "replication.entry_output_flag");
    if (has_output == 1) entry.output = ESTA_TRY(read_digest(reader));
    u32 length = ESTA_TRY(reader.read_u32_le());
    if (length > reader.remaining()) {
        return Err(Status::Malformed, "replication.entry_length",
                   Detail{.limit = reader.remaining(), .actual = length});
    }
    ByteSpan bytes = ESTA_TRY(reader.read_bytes(length));
    protocol::Frame frame = ESTA_TRY(protocol::decode_frame(bytes));
    if (frame.kind != protocol::FrameKind::JournalRecord || frame.size != bytes.size())
        return Err(Status::Malformed, "replication.entry_record");
    entry.record = ESTA_TRY(protocol::decode_record(frame.body));
    return entry;
}

struct BodyWriter {
    ByteWriter& writer;
    void operator()(const Hello& hello) { writer.put_u64(hello.next_sequence); }
    void operator()(const Entries& entries) {
        writer.put_u32(static_cast<u32>(entries.entries.size()));
        for (const Entry& entry : entries.entries)
            put_entry(writer, entry);
    }
    void operator()(const Ack& ack) { writer.put_u64(ack.sequence); }
    void operator()(const Heartbeat& heartbeat) { writer.put_u64(heartbeat.last_sequence); }
    void operator()(const Checkpoint& checkpoint) {
        writer.put_u64(checkpoint.sequence);
        put_digest(writer, checkpoint.chain);
        writer.put_blob(ByteSpan(checkpoint.state.data(), checkpoint.state.size()));
    }
    void operator()(const Refused& refused) { writer.put_u64(refused.current_epoch); }
    void operator()(const CheckpointPart& part) {
        writer.put_u64(part.sequence);
        put_digest(writer, part.chain);
        writer.put_u64(part.total);
        writer.put_u64(part.offset);
        writer.put_blob(ByteSpan(part.bytes.data(), part.bytes.size()));
    }
};

MessageType type_of(const Message& message) {
    return static_cast<MessageType>(message.body.index() + 1);
}

}  // namespace

void encode(std::vector<u8>& out, const Message& message) {
    std::size_t start = protocol::begin_frame(out, kReplicationFrame);
    ByteWriter writer(out);
    writer.put_u8(static_cast<u8>(type_of(message)));
    writer.put_u64(message.epoch);
    std::visit(BodyWriter{writer}, message.body);
    protocol::finish_frame(out, start);
}

Result<Message> decode_body(ByteSpan body) {
    ByteReader reader(body);
    u8 type = ESTA_TRY(reader.read_u8());
    Message message;
    message.epoch = ESTA_TRY(reader.read_u64_le());
    switch (static_cast<MessageType>(type)) {
        case MessageType::Hello:
            message.body = Hello{ESTA_TRY(reader.read_u64_le())};
            break;
        case MessageType::Entries: {
            u32 count = ESTA_TRY(reader.read_u32_le());
            // An entry takes at least its chain hash, flag, length and a record frame.
            if (count > reader.remaining() / 45) {
                return Err(Status::Malformed, "replication.entries_count",
                           Detail{.limit = reader.remaining() / 45, .actual = count});
            }
            Entries entries;
            entries.entries.reserve(count);
            for (u32 i = 0; i < count; ++i)
                entries.entries.push_back(ESTA_TRY(read_entry(reader)));
            message.body = std::move(entries);
            break;
        }
        case MessageType::Ack:
            message.body = Ack{ESTA_TRY(reader.read_u64_le())};
            break;
        case MessageType::Heartbeat:
            message.body = Heartbeat{ESTA_TRY(reader.read_u64_le())};
            break;
        case MessageType::Checkpoint: {
            Checkpoint checkpoint;
            checkpoint.sequence = ESTA_TRY(reader.read_u64_le());
            checkpoint.chain = ESTA_TRY(read_digest(reader));
            u32 length = ESTA_TRY(reader.read_u32_le());
            if (length > reader.remaining()) {
                return Err(Status::Malformed, "replication.checkpoint_length",
                           Detail{.limit = reader.remaining(), .actual = length});
            }
            ByteSpan state = ESTA_TRY(reader.read_bytes(length));
            checkpoint.state.assign(state.begin(), state.end());
            message.body = std::move(checkpoint);
            break;
        }
        case MessageType::Refused:
            message.body = Refused{ESTA_TRY(reader.read_u64_le())};
            break;
        case MessageType::CheckpointPart: {
            CheckpointPart part;
            part.sequence = ESTA_TRY(reader.read_u64_le());
            part.chain = ESTA_TRY(read_digest(reader));
            part.total = ESTA_TRY(reader.read_u64_le());
            part.offset = ESTA_TRY(reader.read_u64_le());
            u32 length = ESTA_TRY(reader.read_u32_le());
            if (length > reader.remaining() || part.total > kMaxCheckpointBytes ||
                part.offset > part.total || length > part.total - part.offset) {
                return Err(Status::Malformed, "replication.checkpoint_part",
                           Detail{.limit = part.total, .actual = part.offset + length});
            }
            ByteSpan bytes = ESTA_TRY(reader.read_bytes(length));
            part.bytes.assign(bytes.begin(), bytes.end());
            message.body = std::move(part);
            break;
        }
        default:
            return Err(Status::Malformed, "replication.unknown_type", Detail{.actual = type});
    }
    if (!reader.at_end()) {
        return Err(Status::Malformed, "replication.trailing_bytes",
                   Detail{.actual = reader.remaining()});
    }
    return message;
}

Digest chain_next(const Digest& previous, const protocol::JournalRecord& record) {
    std::vector<u8> bytes;
    protocol::append_record(bytes, record);
    observe::Sha256 hasher;
    hasher.update(ByteSpan(previous.data(), previous.size()));
    hasher.update(ByteSpan(bytes.data(), bytes.size()));
    return hasher.finish();
}

}  // namespace esta::replication
