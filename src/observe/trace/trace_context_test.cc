#include "observe/trace/trace_context.h"

#include <gtest/gtest.h>

#include "observe/trace/id_source.h"

namespace esta::observe {
namespace {

constexpr std::string_view kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, O4_TraceparentRoundTrips) {
    auto parsed = parse_traceparent(kExample);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(parsed->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(parsed->trace_id.high(), 0x4bf92f3577b34da6ull);
    EXPECT_EQ(parsed->trace_id.low(), 0xa3ce929d0e0e4736ull);
    EXPECT_EQ(parsed->span_id.as_u64(), 0x00f067aa0ba902b7ull);
    EXPECT_TRUE(parsed->sampled());
    EXPECT_TRUE(parsed->remote);
    EXPECT_EQ(format_traceparent(*parsed), kExample);
}

TEST(TraceContext, O4_TraceparentRefusesMalformedHeaders) {
    const std::string_view bad[] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",    // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 with extra
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // upper case
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // separator
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // version
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // future, bad tail
    };
    for (std::string_view header : bad) {
        auto parsed = parse_traceparent(header);
        ASSERT_FALSE(parsed) << header;
        EXPECT_EQ(parsed.error().code, Status::Malformed) << header;
    }
}

TEST(TraceContext, O4_TraceparentRefusesZeroIdsAndVersionFF) {
    for (std::string_view header : {"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                                    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
        auto parsed = parse_traceparent(header);
        ASSERT_FALSE(parsed) << header;
        EXPECT_EQ(parsed.error().code, Status::Invalid) << header;
    }
}

TEST(TraceContext, O4_HigherVersionParsesByItsVersion00Prefix) {
    auto parsed = parse_traceparent(
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds");
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(parsed->span_id.hex(), "00f067aa0ba902b7");
    EXPECT_EQ(parsed->trace_flags, kTraceFlagSampled);  // Unknown bit 3 is not kept.
    EXPECT_TRUE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, O4_BadTracestateIsDroppedButTraceparentKept) {
    auto good = parse_trace_headers(kExample, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7");
    ASSERT_TRUE(good);
    EXPECT_EQ(good->trace_state.header(), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    auto bad = parse_trace_headers(kExample, "Congo=upper-case-key");
    ASSERT_TRUE(bad);
    EXPECT_TRUE(bad->trace_state.empty());
    EXPECT_FALSE(parse_trace_headers("00-bad", "congo=t61rcWkgMzE"));
}

// Deterministic mutations of valid headers: parsing never fails badly, and whatever parses
// formats back to something that parses to the same context.
TEST(TraceContext, O4_MutatedHeadersParseOrFailCleanly) {
    SeededIdSource random(2026);
    const std::string state_seed = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,t@s=a b";
    int parsed_parents = 0;
    int parsed_states = 0;
    for (int i = 0; i < 20'000; ++i) {
        std::string parent(kExample);
        std::string state = state_seed;
        const u64 bits = random.new_span_id().as_u64();
        for (int m = 0; m < 1 + static_cast<int>(bits % 3); ++m) {
            const u64 r = random.new_span_id().as_u64();
            parent[r % parent.size()] = static_cast<char>(r >> 8);
            state[(r >> 16) % state.size()] = static_cast<char>(r >> 24);
        }
        if (bits & 0x100) parent.resize((bits >> 9) % parent.size());
        if (auto context = parse_traceparent(parent)) {
            ++parsed_parents;
            auto again = parse_traceparent(format_traceparent(*context));
            ASSERT_TRUE(again) << parent;
            EXPECT_EQ(*again, *context);
        }
        if (auto trace_state = TraceState::parse(state)) {
            ++parsed_states;
            auto again = TraceState::parse(trace_state->header());
            ASSERT_TRUE(again) << state;
            EXPECT_EQ(*again, *trace_state);
        }
    }
    // Some mutations land on characters that keep the header valid (hex digits, flags).
    EXPECT_GT(parsed_parents, 0);
    EXPECT_GT(parsed_states, 0);
}

TEST(TraceContext, IdsEncodeBigEndianLowerHex) {
    const TraceId trace = TraceId::from_halves(0x0102030405060708ull, 0x090a0b0c0d0e0f10ull);
    EXPECT_EQ(trace.hex(), "0102030405060708090a0b0c0d0e0f10");
    EXPECT_EQ(SpanId::from_u64(0xABCDEF0123456789ull).hex(), "abcdef0123456789");
    EXPECT_FALSE(TraceId{}.valid());
    EXPECT_FALSE(SpanId{}.valid());
}

}  // namespace
}  // namespace esta::observe
