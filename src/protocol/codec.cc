#include "protocol/codec.h"

#include <string>

#include "protocol/byte_writer.h"

namespace esta::protocol {

namespace {

// Presence bits of the optional fields, in one byte after the flags.
enum Presence : u8 {
    kHasCorrelation = 1 << 0,
    kHasReplyTo = 1 << 1,
    kHasIdempotencyKey = 1 << 2,
    kHasTtl = 1 << 3,
    kHasAuthExpiry = 1 << 4,
    kHasReplyPartition = 1 << 5,
};
constexpr u8 kKnownPresence = 0x3F;

u8 presence_of(const Envelope& envelope) {
    u8 bits = 0;
    if (envelope.correlation_id) bits |= kHasCorrelation;
    if (envelope.reply_to) bits |= kHasReplyTo;
    if (envelope.idempotency_key) bits |= kHasIdempotencyKey;
    if (envelope.ttl) bits |= kHasTtl;
    if (envelope.sender.auth_expires_at) bits |= kHasAuthExpiry;
    if (envelope.reply_to && envelope.reply_to->partition) bits |= kHasReplyPartition;
    return bits;
}

Error malformed(const char* context, std::size_t offset) {
    return Err(Status::Malformed, context, Detail{.offset = offset});
}

// Reads a u32-length-prefixed UTF-8 string no longer than `limit`.
Result<std::string> read_string(ByteReader& reader, u32 limit) {
    const std::size_t at = reader.offset();
    const u32 size = ESTA_TRY(reader.read_u32_le());
    if (size > limit) {
        return Err(Status::Malformed, "envelope.string_too_long",
                   Detail{.offset = at, .limit = limit, .actual = size});
    }
    const ByteSpan bytes = ESTA_TRY(reader.read_bytes(size));
    if (!is_valid_utf8(bytes)) return malformed("envelope.bad_utf8", at);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A count of entries that each take at least `min_entry_bytes`: refused when over `limit`
// or when the remaining input could not hold that many, before anything is reserved.
Result<u32> read_count(ByteReader& reader, u32 limit, std::size_t min_entry_bytes,
                       const char* context) {
    const std::size_t at = reader.offset();
    const u32 count = ESTA_TRY(reader.read_u32_le());
    if (count > limit) {
        return Err(Status::Limit, context, Detail{.offset = at, .limit = limit, .actual = count});
    }
    if (count > reader.remaining() / min_entry_bytes) return malformed("envelope.truncated", at);
    return count;
}

Result<MessageId> read_id(ByteReader& reader) {
    MessageId id;
    id.high = ESTA_TRY(reader.read_u64_le());
    id.low = ESTA_TRY(reader.read_u64_le());
    return id;
}

template <class Enum>
Result<Enum> read_enum(ByteReader& reader, u8 max, const char* context) {
    const std::size_t at = reader.offset();
    const u8 value = ESTA_TRY(reader.read_u8());
    if (value > max) return malformed(context, at);
    return static_cast<Enum>(value);
}

using StringPairs = std::vector<std::pair<std::string, std::string>>;

void put_string_pairs(ByteWriter& writer, const StringPairs& pairs) {
    writer.put_u32(static_cast<u32>(pairs.size()));
    for (const auto& [key, value] : pairs) {
        writer.put_string(key);
        writer.put_string(value);
    }
}

}  // namespace

void encode_envelope_body(const Envelope& envelope, std::vector<u8>& out) {
    ByteWriter writer(out);
    writer.put_u64(envelope.id.high);
    writer.put_u64(envelope.id.low);
    writer.put_i64(envelope.timestamp.wall_ns);
    writer.put_u32(envelope.timestamp.logical);
    writer.put_u32(envelope.timestamp.node);
    writer.put_u8(u8(envelope.kind));
    writer.put_u8(u8(envelope.priority));
    writer.put_u8(envelope.flags.bits());
    writer.put_u8(presence_of(envelope));
    writer.put_string(envelope.type);
    if (envelope.correlation_id) {
        writer.put_u64(envelope.correlation_id->high);
        writer.put_u64(envelope.correlation_id->low);
    }
    if (envelope.reply_to) {
        writer.put_u8(u8(envelope.reply_to->transport));
        writer.put_string(envelope.reply_to->channel);
        if (envelope.reply_to->partition) writer.put_i32(*envelope.reply_to->partition);
    }
    if (envelope.idempotency_key) writer.put_string(*envelope.idempotency_key);
    if (envelope.ttl) writer.put_i64(*envelope.ttl);
    writer.put_u8(envelope.trace.version);
    writer.put_u64(envelope.trace.trace_id_high);
    writer.put_u64(envelope.trace.trace_id_low);
    writer.put_u64(envelope.trace.parent_span_id);
    writer.put_u8(envelope.trace.trace_flags);
    put_string_pairs(writer, envelope.trace.trace_state);
    writer.put_u64(envelope.sender.badge);
    writer.put_string(envelope.sender.principal);
    if (envelope.sender.auth_expires_at) writer.put_i64(*envelope.sender.auth_expires_at);
    writer.put_string(envelope.tenant);
    writer.put_u32(static_cast<u32>(envelope.headers.size()));
    for (const auto& header : envelope.headers) {
        writer.put_string(header.key);
        writer.put_string(header.value);
    }
    writer.put_u8(u8(envelope.payload.format));
    writer.put_u32(envelope.payload.schema_id);
    writer.put_blob(ByteSpan(envelope.payload.bytes));
}

Result<Envelope> decode_envelope_body(ByteSpan body, u8 version, const CodecLimits& limits,
                                      std::size_t base_offset) {
    // Only version 1 exists; a newer frame was refused by decode_frame() already.
    if (version != 1) {
        return Err(Status::NotSupported, "envelope.version_unsupported",
                   Detail{.limit = kWireVersion, .actual = version});
    }
    ByteReader reader(body, base_offset);
    Envelope envelope;
    envelope.id = ESTA_TRY(read_id(reader));
    envelope.timestamp.wall_ns = ESTA_TRY(reader.read_le<i64>());
    envelope.timestamp.logical = ESTA_TRY(reader.read_u32_le());
    envelope.timestamp.node = ESTA_TRY(reader.read_u32_le());
    envelope.kind =
        ESTA_TRY(read_enum<MessageKind>(reader, u8(MessageKind::System), "envelope.bad_kind"));
    envelope.priority =
        ESTA_TRY(read_enum<Priority>(reader, kPriorityCount - 1, "envelope.bad_priority"));
    const std::size_t flags_at = reader.offset();
    const u8 flags = ESTA_TRY(reader.read_u8());
    if ((flags & ~kKnownEnvelopeFlags) != 0) return malformed("envelope.unknown_flags", flags_at);
    envelope.flags = EnvelopeFlags(flags);
    const std::size_t presence_at = reader.offset();
    const u8 presence = ESTA_TRY(reader.read_u8());
    if ((presence & ~kKnownPresence) != 0 ||
        ((presence & kHasReplyPartition) != 0 && (presence & kHasReplyTo) == 0)) {
        return malformed("envelope.unknown_presence_bits", presence_at);
    }
    envelope.type = ESTA_TRY(read_string(reader, limits.max_string_bytes));
    if (presence & kHasCorrelation) envelope.correlation_id = ESTA_TRY(read_id(reader));
    if (presence & kHasReplyTo) {
        ChannelAddress address;
        address.transport =
            ESTA_TRY(read_enum<Transport>(reader, u8(Transport::Grpc), "envelope.bad_transport"));
        address.channel = ESTA_TRY(read_string(reader, limits.max_string_bytes));
        if (presence & kHasReplyPartition) address.partition = ESTA_TRY(reader.read_le<i32>());
        envelope.reply_to = std::move(address);
    }
    if (presence & kHasIdempotencyKey) {
        envelope.idempotency_key = ESTA_TRY(read_string(reader, limits.max_string_bytes));
    }
    if (presence & kHasTtl) envelope.ttl = ESTA_TRY(reader.read_le<i64>());
    envelope.trace.version = ESTA_TRY(reader.read_u8());
    envelope.trace.trace_id_high = ESTA_TRY(reader.read_u64_le());
    envelope.trace.trace_id_low = ESTA_TRY(reader.read_u64_le());
    envelope.trace.parent_span_id = ESTA_TRY(reader.read_u64_le());
    envelope.trace.trace_flags = ESTA_TRY(reader.read_u8());
    const u32 trace_entries =
        ESTA_TRY(read_count(reader, limits.max_trace_state, 8, "envelope.too_many_trace_entries"));
    envelope.trace.trace_state.reserve(trace_entries);
    for (u32 i = 0; i < trace_entries; ++i) {
        std::string key = ESTA_TRY(read_string(reader, limits.max_string_bytes));
        std::string value = ESTA_TRY(read_string(reader, limits.max_string_bytes));
        envelope.trace.trace_state.emplace_back(std::move(key), std::move(value));
    }
    envelope.sender.badge = ESTA_TRY(reader.read_u64_le());
    envelope.sender.principal = ESTA_TRY(read_string(reader, limits.max_string_bytes));
    if (presence & kHasAuthExpiry)
        envelope.sender.auth_expires_at = ESTA_TRY(reader.read_le<i64>());
    envelope.tenant = ESTA_TRY(read_string(reader, limits.max_string_bytes));
    const u32 header_count =
        ESTA_TRY(read_count(reader, limits.max_headers, 8, "envelope.too_many_headers"));
    envelope.headers.reserve(header_count);
    for (u32 i = 0; i < header_count; ++i) {
        Header header;
        header.key = ESTA_TRY(read_string(reader, limits.max_string_bytes));
        header.value = ESTA_TRY(read_string(reader, limits.max_string_bytes));
        envelope.headers.push_back(std::move(header));
    }
    envelope.payload.format = ESTA_TRY(read_enum<PayloadFormat>(
        reader, u8(PayloadFormat::SchemaTagged), "envelope.bad_payload_format"));
    envelope.payload.schema_id = ESTA_TRY(reader.read_u32_le());
    const std::size_t payload_at = reader.offset();
    const u32 payload_size = ESTA_TRY(reader.read_u32_le());
    if (payload_size > limits.max_payload_bytes) {
        return Err(
            Status::PayloadTooLarge, "envelope.payload_too_large",
            Detail{
                .offset = payload_at, .limit = limits.max_payload_bytes, .actual = payload_size});
    }
    const ByteSpan payload = ESTA_TRY(reader.read_bytes(payload_size));
    envelope.payload.bytes.assign(payload.begin(), payload.end());
    if (!reader.at_end()) return malformed("envelope.trailing_bytes", reader.offset());
    return envelope;
}

void encode_envelope(const Envelope& envelope, std::vector<u8>& out) {
    const std::size_t start = begin_frame(out, FrameKind::Envelope);
    encode_envelope_body(envelope, out);
    finish_frame(out, start);
}

std::vector<u8> encode_envelope(const Envelope& envelope) {
    std::vector<u8> out;
    out.reserve(kFrameHeaderBytes + 128 + envelope.payload.bytes.size());
    encode_envelope(envelope, out);
    return out;
}

Result<Envelope> decode_envelope(ByteSpan bytes, const CodecLimits& limits) {
    const Frame frame = ESTA_TRY(decode_frame(bytes, limits.frame));
    if (frame.kind != FrameKind::Envelope) {
        return Err(Status::Malformed, "envelope.wrong_frame_kind",
                   Detail{.offset = 3, .actual = u8(frame.kind)});
    }
    if (frame.size != bytes.size()) {
        return Err(Status::Malformed, "envelope.bytes_after_frame", Detail{.offset = frame.size});
    }
    return decode_envelope_body(frame.body, frame.version, limits);
}

}  // namespace esta::protocol
