#include "kernel/persistence/kernel_envelope.h"

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

#include "protocol/input_log.h"

namespace esta::kernel {
namespace {

constexpr std::string_view kTypePrefix = "kernel.0x";

std::optional<u64> parse(std::string_view text, int base = 10) {
    u64 value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error != std::errc{} || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

std::optional<u64> header(const protocol::Envelope& envelope, std::string_view key) {
    for (const auto& entry : envelope.headers)
        if (entry.key == key) return parse(entry.value);
    return std::nullopt;
}

Error bad_message() {
    return Err(Status::Malformed, "persist.bad_message");
}

}  // namespace

protocol::Envelope to_envelope(const Message& message, protocol::MessageId id) {
    protocol::Envelope envelope;
    envelope.id = id;
    envelope.timestamp.wall_ns = message.time > 0 ? message.time : 1;  // P-2: positive.
    envelope.kind = protocol::MessageKind::Event;
    char type[32];
    std::snprintf(type, sizeof type, "kernel.0x%04x", static_cast<unsigned>(message.type.value()));
    envelope.type = type;
    envelope.flags.set(protocol::EnvelopeFlag::Persistent);
    if ((message.flags & send_flags::kRequireAck) != 0)
        envelope.flags.set(protocol::EnvelopeFlag::RequireAck);
    if ((message.flags & send_flags::kTransactional) != 0)
        envelope.flags.set(protocol::EnvelopeFlag::Transactional);
    for (int i = 0; i < 8; ++i) {
        envelope.trace.trace_id_high = (envelope.trace.trace_id_high << 8) | message.trace_id[i];
        envelope.trace.trace_id_low = (envelope.trace.trace_id_low << 8) | message.trace_id[8 + i];
        envelope.trace.parent_span_id = (envelope.trace.parent_span_id << 8) | message.span_id[i];
    }
    envelope.trace.trace_flags = message.trace_flags;
    envelope.sender.badge = message.sender_badge;
    envelope.headers = {
        {"esta.sender", std::to_string(message.sender.value())},
        {"esta.priority", std::to_string(message.priority)},
        {"esta.time", std::to_string(message.time)},
    };
    envelope.payload.format =
        message.payload.empty() ? protocol::PayloadFormat::Empty : protocol::PayloadFormat::Binary;
    envelope.payload.bytes = message.payload;
    return envelope;
}

namespace {

// The fields both kinds of record carry; `flags` left to the caller.
Result<Message> common_fields(const protocol::Envelope& envelope) {
    std::string_view type = envelope.type;
    if (!type.starts_with(kTypePrefix)) return bad_message();
    auto type_id = parse(type.substr(kTypePrefix.size()), 16);
    auto sender = header(envelope, "esta.sender");
    auto priority = header(envelope, "esta.priority");
    auto time = header(envelope, "esta.time");
    if (!type_id || *type_id > 0xFFFF'FFFFu || !sender || *sender > 0xFFFF'FFFFu || !priority ||
        *priority > kMaxMessagePriority || !time || envelope.sender.badge > 0xFFFF'FFFFu) {
        return bad_message();
    }
    Message message;
    message.type = MessageType(static_cast<u32>(*type_id));
    message.sender = ProcessId(static_cast<u32>(*sender));
    message.sender_badge = static_cast<u32>(envelope.sender.badge);
    message.priority = static_cast<u8>(*priority);
    message.time = static_cast<Nanos>(*time);
    for (int i = 0; i < 8; ++i) {
        message.trace_id[i] = static_cast<u8>(envelope.trace.trace_id_high >> (56 - 8 * i));
        message.trace_id[8 + i] = static_cast<u8>(envelope.trace.trace_id_low >> (56 - 8 * i));
        message.span_id[i] = static_cast<u8>(envelope.trace.parent_span_id >> (56 - 8 * i));
    }
    message.trace_flags = envelope.trace.trace_flags;
    message.payload = envelope.payload.bytes;
    return message;
}

}  // namespace

Result<Message> from_envelope(const protocol::Envelope& envelope) {
    if (!envelope.flags.contains(protocol::EnvelopeFlag::Persistent)) return bad_message();
    Message message = ESTA_TRY(common_fields(envelope));
    message.flags = send_flags::kPersistent;
    if (envelope.flags.contains(protocol::EnvelopeFlag::RequireAck))
        message.flags |= send_flags::kRequireAck;
    if (envelope.flags.contains(protocol::EnvelopeFlag::Transactional))
        message.flags |= send_flags::kTransactional;
    return message;
}

protocol::Envelope to_delivery_envelope(const Message& message, protocol::MessageId id) {
    protocol::Envelope envelope = to_envelope(message, id);
    envelope.flags = {};
    if ((message.flags & send_flags::kPersistent) != 0)
        envelope.flags.set(protocol::EnvelopeFlag::Persistent);
    if ((message.flags & send_flags::kRequireAck) != 0)
        envelope.flags.set(protocol::EnvelopeFlag::RequireAck);
    if ((message.flags & send_flags::kTransactional) != 0)
        envelope.flags.set(protocol::EnvelopeFlag::Transactional);
    envelope.headers.push_back({"esta.flags", std::to_string(message.flags)});
    envelope.headers.push_back({"esta.handles", std::to_string(message.handle_count)});
    envelope.headers.push_back(
        {std::string(protocol::kDeliveredHeader), std::to_string(message.seq)});
    return envelope;
}

bool is_delivery(const protocol::Envelope& envelope) {
    for (const auto& entry : envelope.headers)
        if (entry.key == protocol::kDeliveredHeader) return true;
    return false;
}

Result<Message> from_delivery_envelope(const protocol::Envelope& envelope) {
    Message message = ESTA_TRY(common_fields(envelope));
    auto flags = header(envelope, "esta.flags");
    auto seq = header(envelope, protocol::kDeliveredHeader);
    if (!flags || *flags > 0xFFFF'FFFFu || !seq) return bad_message();
    message.flags = static_cast<u32>(*flags);
    message.seq = *seq;
    return message;
}

}  // namespace esta::kernel
