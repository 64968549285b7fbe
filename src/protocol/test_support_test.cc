// Test helpers, not tests: the *_test.cc name keeps this file out of the library and in
// esta_protocol_tests only.
#include "protocol/test_support.h"

#include <string>

namespace esta::protocol::testing {

namespace {
std::string random_text(DeterministicRng& rng, u64 max_size) {
    std::string text(rng.next_below(max_size + 1), ' ');
    for (auto& c : text)
        c = static_cast<char>('a' + rng.next_below(26));
    return text;
}
}  // namespace

Envelope sample_envelope() {
    Envelope envelope;
    envelope.id = MessageId{0x0192'0000'7001'0000ull, 0x8000'0000'0000'0042ull};
    envelope.timestamp = HlcTimestamp{1'700'000'000'000'000'000, 3, 7};
    envelope.kind = MessageKind::Command;
    envelope.type = "accrual.hours_worked";
    envelope.priority = Priority::High;
    envelope.flags.set(EnvelopeFlag::RequireAck);
    envelope.flags.set(EnvelopeFlag::Persistent);
    envelope.correlation_id = MessageId{1, 2};
    envelope.reply_to = ChannelAddress{Transport::Kafka, "decisions", 4};
    envelope.idempotency_key = "employee-17/2026-11-27";
    envelope.ttl = 30 * kNanosPerSecond;
    envelope.trace.trace_id_high = 0x4bf92f3577b34da6ull;
    envelope.trace.trace_id_low = 0xa3ce929d0e0e4736ull;
    envelope.trace.parent_span_id = 0x00f067aa0ba902b7ull;
    envelope.trace.trace_flags = 1;
    envelope.trace.trace_state = {{"congo", "t61rcWkgMzE"}};
    envelope.sender = SenderIdentity{99, "service:payroll", 1'700'000'100'000'000'000};
    envelope.tenant = "acme";
    envelope.headers = {{"content-type", "application/json"}, {"x-retry", "0"}};
    const std::string json = R"({"employee":17,"hours":8})";
    envelope.payload = Payload{PayloadFormat::Json, 0, std::vector<u8>(json.begin(), json.end())};
    return envelope;
}

Envelope random_envelope(DeterministicRng& rng, u32 max_payload) {
    Envelope envelope;
    envelope.id = MessageId{rng.next_u64(), rng.next_u64()};
    envelope.timestamp =
        HlcTimestamp{static_cast<Nanos>(rng.next_u64() >> 1), static_cast<u32>(rng.next_u64()),
                     static_cast<u32>(rng.next_u64())};
    envelope.kind = static_cast<MessageKind>(rng.next_below(5));
    envelope.type = random_text(rng, 24);
    envelope.priority = static_cast<Priority>(rng.next_below(kPriorityCount));
    envelope.flags = EnvelopeFlags(static_cast<u8>(rng.next_below(8)));
    if (rng.next_below(2)) envelope.correlation_id = MessageId{rng.next_u64(), rng.next_u64()};
    if (rng.next_below(2)) {
        ChannelAddress address{static_cast<Transport>(rng.next_below(5)), random_text(rng, 16), {}};
        if (rng.next_below(2)) address.partition = static_cast<i32>(rng.next_u64());
        envelope.reply_to = address;
    }
    if (rng.next_below(2)) envelope.idempotency_key = random_text(rng, 32);
    if (rng.next_below(2)) envelope.ttl = static_cast<Nanos>(rng.next_u64());
    envelope.trace.version = static_cast<u8>(rng.next_below(256));
    envelope.trace.trace_id_high = rng.next_u64();
    envelope.trace.trace_id_low = rng.next_u64();
    envelope.trace.parent_span_id = rng.next_u64();
    envelope.trace.trace_flags = static_cast<u8>(rng.next_below(256));
    for (u64 i = rng.next_below(3); i > 0; --i) {
        envelope.trace.trace_state.emplace_back(random_text(rng, 8), random_text(rng, 8));
    }
    envelope.sender.badge = rng.next_u64();
    envelope.sender.principal = random_text(rng, 12);
    if (rng.next_below(2)) envelope.sender.auth_expires_at = static_cast<Nanos>(rng.next_u64());
    envelope.tenant = random_text(rng, 8);
    for (u64 i = rng.next_below(5); i > 0; --i) {
        envelope.headers.push_back(Header{random_text(rng, 10), random_text(rng, 20)});
    }
    envelope.payload.format = static_cast<PayloadFormat>(1 + rng.next_below(3));
    envelope.payload.schema_id = static_cast<u32>(rng.next_u64());
    envelope.payload.bytes.resize(rng.next_below(u64{max_payload} + 1));
    for (auto& byte : envelope.payload.bytes)
        byte = static_cast<u8>(rng.next_u64());
    return envelope;
}

}  // namespace esta::protocol::testing
