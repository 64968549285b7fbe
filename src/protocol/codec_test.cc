#include "protocol/codec.h"

#include <gtest/gtest.h>

#include "protocol/byte_writer.h"
#include "protocol/crc32c.h"
#include "protocol/test_support.h"

namespace esta::protocol {
namespace {

TEST(Codec, P3_SampleRoundTrips) {
    const Envelope envelope = testing::sample_envelope();
    const std::vector<u8> bytes = encode_envelope(envelope);
    auto decoded = decode_envelope(ByteSpan(bytes));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, envelope);
}

TEST(Codec, P3_RandomEnvelopesRoundTripByteForByte) {
    // Property: decode(encode(e)) == e, and re-encoding gives identical bytes.
    DeterministicRng rng(2026);
    for (int i = 0; i < 2000; ++i) {
        const Envelope envelope = testing::random_envelope(rng);
        const std::vector<u8> bytes = encode_envelope(envelope);
        auto decoded = decode_envelope(ByteSpan(bytes));
        ASSERT_TRUE(decoded) << "case " << i << ": " << decoded.error().to_string();
        ASSERT_EQ(*decoded, envelope) << "case " << i;
        ASSERT_EQ(encode_envelope(*decoded), bytes) << "case " << i;
    }
}

TEST(Codec, P3_HeaderIsLittleEndianAndVersioned) {
    const std::vector<u8> bytes = encode_envelope(testing::sample_envelope());
    ASSERT_GE(bytes.size(), kFrameHeaderBytes);
    EXPECT_EQ(bytes[0], kFrameMagic0);
    EXPECT_EQ(bytes[1], kFrameMagic1);
    EXPECT_EQ(bytes[2], kWireVersion);
    EXPECT_EQ(bytes[3], u8(FrameKind::Envelope));
    const u32 length = bytes[4] | bytes[5] << 8 | bytes[6] << 16 | u32(bytes[7]) << 24;
    EXPECT_EQ(length, bytes.size() - kFrameHeaderBytes);
}

TEST(Codec, P3_CorruptFrameIsRejectedWithReason) {
    // Every single-bit flip anywhere in the frame is detected, never trusted.
    const std::vector<u8> good = encode_envelope(testing::sample_envelope());
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            std::vector<u8> bad = good;
            bad[byte] ^= static_cast<u8>(1u << bit);
            auto decoded = decode_envelope(ByteSpan(bad));
            ASSERT_FALSE(decoded) << "flip at byte " << byte << " bit " << bit;
            EXPECT_NE(std::string_view(decoded.error().context), "");
        }
    }
    std::vector<u8> bad = good;
    bad.back() ^= 0x01;
    auto decoded = decode_envelope(ByteSpan(bad));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::Corrupt);
    EXPECT_STREQ(decoded.error().context, "frame.checksum_mismatch");
}

TEST(Codec, P3_TruncatedFrameIsRejectedAtEveryLength) {
    const std::vector<u8> good = encode_envelope(testing::sample_envelope());
    for (std::size_t size = 0; size < good.size(); ++size) {
        auto decoded = decode_envelope(ByteSpan(good.data(), size));
        ASSERT_FALSE(decoded) << "size " << size;
        EXPECT_EQ(decoded.error().code, Status::Malformed);
        EXPECT_STREQ(decoded.error().context,
                     size < kFrameHeaderBytes ? "frame.truncated_header" : "frame.truncated_body");
    }
}

TEST(Codec, P3_OversizedFrameIsRejectedBeforeReadingTheBody) {
    std::vector<u8> frame;
    ByteWriter writer(frame);
    writer.put_u8(kFrameMagic0);
    writer.put_u8(kFrameMagic1);
    writer.put_u8(kWireVersion);
    writer.put_u8(u8(FrameKind::Envelope));
    writer.put_u32(0xFFFFFFF0u);  // Claims ~4 GiB; only the header is present.
    writer.put_u32(0);
    auto decoded = decode_envelope(ByteSpan(frame));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::PayloadTooLarge);
    EXPECT_EQ(decoded.error().detail.actual, 0xFFFFFFF0u);
}

TEST(Codec, P3_PayloadOverTheLimitIsRejectedEvenWithAValidChecksum) {
    Envelope envelope = testing::sample_envelope();
    envelope.payload.bytes.assign(kMaxPayloadBytes + 1, 7);
    const std::vector<u8> bytes = encode_envelope(envelope);
    auto decoded = decode_envelope(ByteSpan(bytes));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::PayloadTooLarge);
    envelope.payload.bytes.pop_back();
    EXPECT_TRUE(decode_envelope(ByteSpan(encode_envelope(envelope))));
}

// Re-frames `body` with a correct checksum, so the body checks are what is tested.
std::vector<u8> reframe(ByteSpan body, u8 version = kWireVersion) {
    std::vector<u8> out;
    const std::size_t start = begin_frame(out, FrameKind::Envelope);
    out.insert(out.end(), body.begin(), body.end());
    out[start + 2] = version;
    finish_frame(out, start);
    return out;
}

TEST(Codec, P3_LyingCountsAndLengthsInsideAValidChecksumAreRejected) {
    std::vector<u8> body;
    encode_envelope_body(testing::sample_envelope(), body);
    // Offset 36 is the type string's length (after id 16, timestamp 16, 4 single bytes).
    ASSERT_EQ(body[36], testing::sample_envelope().type.size());
    std::vector<u8> lying = body;
    lying[36] = 0xFF;
    lying[37] = 0xFF;
    auto decoded = decode_envelope(ByteSpan(reframe(ByteSpan(lying))));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::Malformed);
    // Trailing bytes after a complete body.
    std::vector<u8> longer = body;
    longer.push_back(0);
    decoded = decode_envelope(ByteSpan(reframe(ByteSpan(longer))));
    ASSERT_FALSE(decoded);
    EXPECT_STREQ(decoded.error().context, "envelope.trailing_bytes");
}

TEST(Codec, V1_NewerVersionIsRefusedNamingTheVersionNeeded) {
    std::vector<u8> body;
    encode_envelope_body(testing::sample_envelope(), body);
    auto decoded = decode_envelope(ByteSpan(reframe(ByteSpan(body), kWireVersion + 1)));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::NotSupported);
    EXPECT_EQ(decoded.error().detail.actual, kWireVersion + 1u);
    const std::string message = describe_decode_error(decoded.error());
    EXPECT_NE(message.find("version 2"), std::string::npos) << message;
}

TEST(Codec, P3_FramesConcatenateAndDecodeInSequence) {
    std::vector<u8> stream;
    DeterministicRng rng(5);
    std::vector<Envelope> sent;
    for (int i = 0; i < 10; ++i) {
        sent.push_back(testing::random_envelope(rng));
        encode_envelope(sent.back(), stream);
    }
    ByteSpan rest(stream);
    for (const auto& expected : sent) {
        auto frame = decode_frame(rest);
        ASSERT_TRUE(frame);
        auto decoded = decode_envelope_body(frame->body, frame->version);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(*decoded, expected);
        rest = rest.subspan(frame->size);
    }
    EXPECT_TRUE(rest.empty());
}

}  // namespace
}  // namespace esta::protocol
