#include "protocol/envelope.h"

#include <utility>

#include "base/bytes.h"

namespace esta::protocol {

namespace {

Diagnostic problem(std::string where, std::string message) {
    Diagnostic diagnostic;
    diagnostic.code = Status::Invalid;
    diagnostic.where = std::move(where);
    diagnostic.message = std::move(message);
    return diagnostic;
}

}  // namespace

bool ttl_elapsed(const Envelope& envelope, Nanos now) {
    if (!envelope.ttl) return false;
    // Expiry at exactly `now` counts as expired. Overflow-safe: a huge ttl never wraps.
    Nanos expires_at = 0;
    if (__builtin_add_overflow(envelope.timestamp.wall_ns, *envelope.ttl, &expires_at))
        return false;
    return expires_at <= now;
}

Diagnostics validate_envelope(const Envelope& envelope, Nanos now, const ValidationLimits& limits) {
    // Every check runs; none short-circuits, so a sender sees all its mistakes at once.
    Diagnostics problems;
    if (envelope.id.is_nil()) problems.push_back(problem("envelope.id", "missing message id"));
    if (envelope.timestamp.wall_ns <= 0) {
        problems.push_back(problem("envelope.timestamp", "timestamp must be positive"));
    }
    if (envelope.sender.auth_expires_at && *envelope.sender.auth_expires_at <= now) {
        auto diagnostic = problem("envelope.sender.auth_expires_at",
                                  "authentication expired at " +
                                      std::to_string(*envelope.sender.auth_expires_at) +
                                      " ns, now is " + std::to_string(now) + " ns");
        diagnostic.code = Status::Expired;
        problems.push_back(std::move(diagnostic));
    }
    if (envelope.ttl) {
        if (*envelope.ttl <= 0) {
            problems.push_back(problem("envelope.ttl", "ttl must be positive"));
        } else if (envelope.timestamp.wall_ns > 0 && ttl_elapsed(envelope, now)) {
            auto diagnostic =
                problem("envelope.ttl",
                        "message expired: sent at " + std::to_string(envelope.timestamp.wall_ns) +
                            " ns with ttl " + std::to_string(*envelope.ttl) + " ns");
            diagnostic.code = Status::Expired;
            problems.push_back(std::move(diagnostic));
        }
    }
    if (envelope.payload.bytes.size() > limits.max_payload_bytes) {
        auto diagnostic = problem("envelope.payload",
                                  "payload " + std::to_string(envelope.payload.bytes.size()) +
                                      " bytes > limit " + std::to_string(limits.max_payload_bytes));
        diagnostic.code = Status::PayloadTooLarge;
        problems.push_back(std::move(diagnostic));
    }
    if (envelope.payload.format == PayloadFormat::Empty && !envelope.payload.bytes.empty()) {
        problems.push_back(problem("envelope.payload", "an Empty payload carries bytes"));
    }
    if (envelope.payload.format == PayloadFormat::Json &&
        !is_valid_utf8(ByteSpan(envelope.payload.bytes))) {
        problems.push_back(problem("envelope.payload", "Json payload is not valid UTF-8"));
    }
    if (u8(envelope.priority) >= kPriorityCount) {
        problems.push_back(problem("envelope.priority",
                                   "unknown priority " + std::to_string(u8(envelope.priority))));
    }
    if (u8(envelope.kind) > u8(MessageKind::System)) {
        problems.push_back(
            problem("envelope.kind", "unknown message kind " + std::to_string(u8(envelope.kind))));
    }
    if ((envelope.flags.bits() & ~kKnownEnvelopeFlags) != 0) {
        problems.push_back(problem("envelope.flags", "unknown flag bits"));
    }
    if (envelope.type.empty()) problems.push_back(problem("envelope.type", "empty type name"));
    if (envelope.idempotency_key && envelope.idempotency_key->empty()) {
        problems.push_back(problem("envelope.idempotency_key", "empty idempotency key"));
    }
    return problems;
}

EnvelopeBuilder::EnvelopeBuilder(MessageKind kind, std::string type) {
    m_envelope.kind = kind;
    m_envelope.type = std::move(type);
}

EnvelopeBuilder& EnvelopeBuilder::id(MessageId id) {
    m_envelope.id = id;
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::timestamp(HlcTimestamp timestamp) {
    m_envelope.timestamp = timestamp;
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::priority(Priority priority) {
    m_envelope.priority = priority;
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::flag(EnvelopeFlag flag) {
    m_envelope.flags.set(flag);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::correlation_id(MessageId id) {
    m_envelope.correlation_id = id;
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::reply_to(ChannelAddress address) {
    m_envelope.reply_to = std::move(address);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::idempotency_key(std::string key) {
    m_envelope.idempotency_key = std::move(key);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::ttl(Nanos ttl) {
    m_envelope.ttl = ttl;
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::trace(TraceContext trace) {
    m_envelope.trace = std::move(trace);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::sender(SenderIdentity sender) {
    m_envelope.sender = std::move(sender);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::tenant(std::string tenant) {
    m_envelope.tenant = std::move(tenant);
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::header(std::string key, std::string value) {
    m_envelope.headers.push_back(Header{std::move(key), std::move(value)});
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::payload(PayloadFormat format, std::vector<u8> bytes,
                                          u32 schema_id) {
    m_envelope.payload = Payload{format, schema_id, std::move(bytes)};
    return *this;
}
EnvelopeBuilder& EnvelopeBuilder::json(std::string_view json) {
    return payload(PayloadFormat::Json, std::vector<u8>(json.begin(), json.end()));
}

EnvelopeBuilder::Built EnvelopeBuilder::build(MessageIdGenerator& ids, HybridLogicalClock& hlc,
                                              Nanos now, const ValidationLimits& limits) const {
    Built built{m_envelope, {}};
    if (built.envelope.id.is_nil()) built.envelope.id = ids.next();
    if (built.envelope.timestamp.wall_ns == 0) built.envelope.timestamp = hlc.now();
    built.problems = validate_envelope(built.envelope, now, limits);
    return built;
}

std::string_view kind_name(MessageKind kind) {
    switch (kind) {
        case MessageKind::Command:
            return "command";
        case MessageKind::Query:
            return "query";
        case MessageKind::Event:
            return "event";
        case MessageKind::Response:
            return "response";
        case MessageKind::System:
            return "system";
    }
    return "unknown";
}

std::string_view priority_name(Priority priority) {
    switch (priority) {
        case Priority::Background:
            return "background";
        case Priority::Low:
            return "low";
        case Priority::Normal:
            return "normal";
        case Priority::High:
            return "high";
        case Priority::Critical:
            return "critical";
    }
    return "unknown";
}

}  // namespace esta::protocol
