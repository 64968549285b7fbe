// Envelope (P-1): the one message format at every boundary — mailboxes, the journal,
// out-of-process drivers and replication. A plain value type; EnvelopeBuilder fills it,
// validate_envelope() checks it (P-2), codec.h puts it on the wire (P-3).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/types.h"
#include "protocol/clock.h"
#include "protocol/hlc.h"
#include "protocol/message_id.h"

namespace esta::protocol {

// The default payload limit: exactly 1 MiB passes, one byte more fails (P-2).
inline constexpr u32 kMaxPayloadBytes = 1u << 20;

enum class MessageKind : u8 { Command = 0, Query = 1, Event = 2, Response = 3, System = 4 };
enum class Priority : u8 { Background = 0, Low = 1, Normal = 2, High = 3, Critical = 4 };
inline constexpr u8 kPriorityCount = 5;

// Bit flags; EnvelopeFlags is their set.
enum class EnvelopeFlag : u8 { RequireAck = 1 << 0, Transactional = 1 << 1, Persistent = 1 << 2 };
inline constexpr u8 kKnownEnvelopeFlags = 0x07;

class EnvelopeFlags {
  public:
    constexpr EnvelopeFlags() = default;
    constexpr explicit EnvelopeFlags(u8 bits) : m_bits(bits) {}
    constexpr bool contains(EnvelopeFlag flag) const { return (m_bits & u8(flag)) != 0; }
    constexpr void set(EnvelopeFlag flag) { m_bits = static_cast<u8>(m_bits | u8(flag)); }
    constexpr u8 bits() const { return m_bits; }
    constexpr bool operator==(const EnvelopeFlags&) const = default;

  private:
    u8 m_bits = 0;
};

enum class PayloadFormat : u8 { Empty = 0, Binary = 1, Json = 2, SchemaTagged = 3 };

struct Payload {
    PayloadFormat format = PayloadFormat::Empty;
    u32 schema_id = 0;  // Meaningful for SchemaTagged only.
    std::vector<u8> bytes;
    bool operator==(const Payload&) const = default;
};

enum class Transport : u8 { Local = 0, Kafka = 1, Redis = 2, Wasm = 3, Grpc = 4 };

struct ChannelAddress {
    Transport transport = Transport::Local;
    std::string channel;
    std::optional<i32> partition;
    bool operator==(const ChannelAddress&) const = default;
};

// W3C trace context: `traceparent` fields plus the raw `tracestate` list.
struct TraceContext {
    u8 version = 0;
    u64 trace_id_high = 0;
    u64 trace_id_low = 0;
    u64 parent_span_id = 0;
    u8 trace_flags = 0;  // Bit 0 sampled, bit 1 random (W3C level 2).
    std::vector<std::pair<std::string, std::string>> trace_state;

    bool has_trace() const { return trace_id_high != 0 || trace_id_low != 0; }
    bool operator==(const TraceContext&) const = default;
};

// Who sent it, as the receiver sees it: the endpoint badge the kernel stamped, the
// authenticated principal and when that authentication stops being valid.
struct SenderIdentity {
    u64 badge = 0;
    std::string principal;
    std::optional<Nanos> auth_expires_at;
    bool operator==(const SenderIdentity&) const = default;
};

struct Header {
    std::string key;
    std::string value;
    bool operator==(const Header&) const = default;
};

struct Envelope {
    MessageId id;
    HlcTimestamp timestamp;
    MessageKind kind = MessageKind::Event;
    std::string type;  // The command, query or event name ("accrual.hours_worked").
    Priority priority = Priority::Normal;
    EnvelopeFlags flags;
    std::optional<MessageId> correlation_id;
    std::optional<ChannelAddress> reply_to;
    std::optional<std::string> idempotency_key;
    std::optional<Nanos> ttl;
    TraceContext trace;
    SenderIdentity sender;
    std::string tenant;
    std::vector<Header> headers;  // Insertion order, duplicates allowed, keys case-sensitive.
    Payload payload;

    bool operator==(const Envelope&) const = default;
};

struct ValidationLimits {
    u32 max_payload_bytes = kMaxPayloadBytes;
};

// Runs every check and returns every failure (P-2); empty means valid. Checks: missing id,
// timestamp not positive, authentication expired at `now`, TTL elapsed at `now` (expiry at
// exactly `now` counts as expired), payload over the limit, unknown priority, kind or
// flag bits, an empty type name, and a Json payload that is not valid UTF-8.
Diagnostics validate_envelope(const Envelope& envelope, Nanos now,
                              const ValidationLimits& limits = {});

// True when the envelope has a TTL and timestamp + ttl <= now.
bool ttl_elapsed(const Envelope& envelope, Nanos now);

// Fills an Envelope step by step; build() stamps a fresh id and HLC timestamp when none
// was set and returns the envelope together with every validation failure.
class EnvelopeBuilder {
  public:
    EnvelopeBuilder(MessageKind kind, std::string type);

    EnvelopeBuilder& id(MessageId id);
    EnvelopeBuilder& timestamp(HlcTimestamp timestamp);
    EnvelopeBuilder& priority(Priority priority);
    EnvelopeBuilder& flag(EnvelopeFlag flag);
    EnvelopeBuilder& correlation_id(MessageId id);
    EnvelopeBuilder& reply_to(ChannelAddress address);
    EnvelopeBuilder& idempotency_key(std::string key);
    EnvelopeBuilder& ttl(Nanos ttl);
    EnvelopeBuilder& trace(TraceContext trace);
    EnvelopeBuilder& sender(SenderIdentity sender);
    EnvelopeBuilder& tenant(std::string tenant);
    EnvelopeBuilder& header(std::string key, std::string value);
    EnvelopeBuilder& payload(PayloadFormat format, std::vector<u8> bytes, u32 schema_id = 0);
    EnvelopeBuilder& json(std::string_view json);

    // The envelope as configured, without stamping or checking.
    const Envelope& peek() const { return m_envelope; }

    struct Built {
        Envelope envelope;
        Diagnostics problems;  // Empty when the envelope is valid.
        bool ok() const { return problems.empty(); }
    };
    // Stamps a missing id from `ids` and a missing timestamp from `hlc`, then validates
    // against `hlc`'s physical clock reading at `now`.
    Built build(MessageIdGenerator& ids, HybridLogicalClock& hlc, Nanos now,
                const ValidationLimits& limits = {}) const;

  private:
    Envelope m_envelope;
};

std::string_view kind_name(MessageKind kind);
std::string_view priority_name(Priority priority);

}  // namespace esta::protocol
