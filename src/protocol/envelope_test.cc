#include "protocol/envelope.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "protocol/test_support.h"

namespace esta::protocol {
namespace {

constexpr Nanos kNow = 1'700'000'000'500'000'000;

bool mentions(const Diagnostics& problems, std::string_view where) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const Diagnostic& d) { return d.where == where; });
}

TEST(Envelope, P1_SampleCarriesEveryFieldAndIsValid) {
    const Envelope envelope = testing::sample_envelope();
    EXPECT_TRUE(validate_envelope(envelope, kNow).empty())
        << to_string(validate_envelope(envelope, kNow));
    EXPECT_TRUE(envelope.flags.contains(EnvelopeFlag::Persistent));
    EXPECT_FALSE(envelope.flags.contains(EnvelopeFlag::Transactional));
}

TEST(Envelope, P2_ReportsEveryFailureAtOnce) {
    Envelope envelope = testing::sample_envelope();
    envelope.id = MessageId{};
    envelope.timestamp.wall_ns = 0;
    envelope.sender.auth_expires_at = kNow;  // Expiring exactly now counts as expired.
    envelope.payload.bytes.assign(kMaxPayloadBytes + 1, 'x');
    envelope.type.clear();
    const Diagnostics problems = validate_envelope(envelope, kNow);
    EXPECT_EQ(problems.size(), 5u) << to_string(problems);
    EXPECT_TRUE(mentions(problems, "envelope.id"));
    EXPECT_TRUE(mentions(problems, "envelope.timestamp"));
    EXPECT_TRUE(mentions(problems, "envelope.sender.auth_expires_at"));
    EXPECT_TRUE(mentions(problems, "envelope.payload"));
    EXPECT_TRUE(mentions(problems, "envelope.type"));
}

TEST(Envelope, P2_PayloadOfExactlyOneMebibytePasses) {
    Envelope envelope = testing::sample_envelope();
    envelope.payload = Payload{PayloadFormat::Binary, 0, std::vector<u8>(kMaxPayloadBytes, 1)};
    EXPECT_TRUE(validate_envelope(envelope, kNow).empty());
    envelope.payload.bytes.push_back(1);
    const auto problems = validate_envelope(envelope, kNow);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].code, Status::PayloadTooLarge);
}

TEST(Envelope, P2_TtlExpiresAtExactlyTimestampPlusTtl) {
    Envelope envelope = testing::sample_envelope();
    envelope.ttl = kNow - envelope.timestamp.wall_ns;
    EXPECT_TRUE(ttl_elapsed(envelope, kNow));
    EXPECT_TRUE(mentions(validate_envelope(envelope, kNow), "envelope.ttl"));
    envelope.ttl = *envelope.ttl + 1;
    EXPECT_FALSE(ttl_elapsed(envelope, kNow));
    EXPECT_TRUE(validate_envelope(envelope, kNow).empty());
}

TEST(Envelope, P2_HugeTtlDoesNotOverflow) {
    Envelope envelope = testing::sample_envelope();
    envelope.ttl = INT64_MAX;
    EXPECT_FALSE(ttl_elapsed(envelope, kNow));
}

TEST(Envelope, P2_UnknownEnumValuesAreReported) {
    Envelope envelope = testing::sample_envelope();
    envelope.priority = static_cast<Priority>(9);
    envelope.kind = static_cast<MessageKind>(7);
    envelope.flags = EnvelopeFlags(0x80);
    const auto problems = validate_envelope(envelope, kNow);
    EXPECT_EQ(problems.size(), 3u) << to_string(problems);
}

TEST(EnvelopeBuilder, P1_BuildStampsIdAndTimestampFromInjectedClock) {
    ManualClock clock(kNow);
    MessageIdGenerator ids(clock, 1);
    HybridLogicalClock hlc(clock, 5);
    auto built = EnvelopeBuilder(MessageKind::Event, "hours.recorded")
                     .priority(Priority::Low)
                     .flag(EnvelopeFlag::RequireAck)
                     .header("a", "1")
                     .header("a", "2")
                     .json(R"({"h":1})")
                     .ttl(kNanosPerSecond)
                     .build(ids, hlc, kNow);
    ASSERT_TRUE(built.ok()) << to_string(built.problems);
    EXPECT_FALSE(built.envelope.id.is_nil());
    EXPECT_EQ(built.envelope.id.unix_ms(), static_cast<u64>(kNow / kNanosPerMilli));
    EXPECT_EQ(built.envelope.timestamp.wall_ns, kNow);
    EXPECT_EQ(built.envelope.timestamp.node, 5u);
    ASSERT_EQ(built.envelope.headers.size(), 2u);
    EXPECT_EQ(built.envelope.headers[0].value, "1");  // Insertion order is kept.
    EXPECT_EQ(built.envelope.priority, Priority::Low);
}

TEST(EnvelopeBuilder, P2_BuildReturnsProblemsInsteadOfFailingFast) {
    ManualClock clock(kNow);
    MessageIdGenerator ids(clock, 1);
    HybridLogicalClock hlc(clock, 5);
    auto built = EnvelopeBuilder(MessageKind::Event, "")
                     .idempotency_key("")
                     .json("\xff\xfe")
                     .build(ids, hlc, kNow);
    EXPECT_FALSE(built.ok());
    EXPECT_EQ(built.problems.size(), 3u) << to_string(built.problems);
}

}  // namespace
}  // namespace esta::protocol
