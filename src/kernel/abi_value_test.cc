#include "kernel/abi_value.h"

#include <gtest/gtest.h>

#include <cmath>

namespace esta::kernel::abi {
namespace {

Result<AbiValue> decode(const std::vector<u8>& bytes) {
    return decode_value(ByteSpan(bytes.data(), bytes.size()));
}

TEST(AbiValue, K20_EncodingMatchesTheTags) {
    EXPECT_EQ(encode_value(AbiValue()), (std::vector<u8>{0}));
    EXPECT_EQ(encode_value(AbiValue(false)), (std::vector<u8>{1}));
    EXPECT_EQ(encode_value(AbiValue(true)), (std::vector<u8>{2}));
    EXPECT_EQ(encode_value(AbiValue(i64{-2})),
              (std::vector<u8>{3, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
    EXPECT_EQ(encode_value(AbiValue("kv")), (std::vector<u8>{5, 2, 0, 0, 0, 'k', 'v'}));
    EXPECT_EQ(encode_value(AbiValue(ByteString{9})), (std::vector<u8>{6, 1, 0, 0, 0, 9}));
    EXPECT_EQ(encode_value(AbiValue(ValueMap{{"a", AbiValue()}})),
              (std::vector<u8>{8, 1, 0, 0, 0, 1, 0, 0, 0, 'a', 0}));
    EXPECT_EQ(encode_value(AbiValue(Decimal{5, 2})),
              (std::vector<u8>{11, 5, 0, 0, 0, 0, 0, 0, 0, 2}));
}

TEST(AbiValue, K20_RoundTripsEveryKind) {
    Uuid uuid;
    uuid.bytes[15] = 7;
    AbiValue tree(ValueMap{
        {"null", AbiValue()},
        {"yes", true},
        {"no", false},
        {"n", i64{-42}},
        {"x", 2.5},
        {"name", "décision"},
        {"raw", ByteString{0, 1, 255}},
        {"list", ValueList{i64{1}, "two", ValueList{}}},
        {"at", Timestamp{1'795'737'600'000'000'000}},
        {"id", uuid},
        {"hours", Decimal{1234, 2}},
    });
    auto bytes = encode_value(tree);
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, tree);
    EXPECT_EQ(*decoded->find("n")->get<i64>(), -42);
    EXPECT_EQ(decoded->find("missing"), nullptr);
}

TEST(AbiValue, K20_NanPayloadSurvives) {
    f64 nan = std::nan("0x5");
    auto decoded = decode(encode_value(AbiValue(nan)));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(std::bit_cast<u64>(*decoded->get<f64>()), std::bit_cast<u64>(nan));
}

TEST(AbiValue, K20_MalformedInputIsInvalidArgs) {
    const std::vector<std::vector<u8>> cases = {
        {},                                // Nothing.
        {12},                              // Unknown tag.
        {3, 1, 2},                         // Truncated i64.
        {5, 10, 0, 0, 0, 'a'},             // Text length past the end.
        {5, 1, 0, 0, 0, 0xFF},             // Not UTF-8.
        {7, 0xFF, 0xFF, 0xFF, 0xFF},       // A count no input could hold.
        {8, 1, 0, 0, 0, 1, 0, 0, 0, 'k'},  // Map entry without its value.
        {0, 0},                            // Trailing bytes.
        {10, 1, 2, 3},                     // Short uuid.
    };
    for (const auto& bytes : cases) {
        auto decoded = decode(bytes);
        ASSERT_FALSE(decoded.has_value()) << ::testing::PrintToString(bytes);
        EXPECT_EQ(decoded.error().code, Status::InvalidArgs);
    }
}

TEST(AbiValue, K20_NestingIsBounded) {
    std::vector<u8> deep;
    for (u32 i = 0; i <= kMaxValueDepth + 1; ++i)
        deep.insert(deep.end(), {7, 1, 0, 0, 0});
    deep.push_back(0);
    EXPECT_EQ(decode(deep).error().code, Status::InvalidArgs);
    std::vector<u8> fine;
    for (u32 i = 0; i < kMaxValueDepth; ++i)
        fine.insert(fine.end(), {7, 1, 0, 0, 0});
    fine.push_back(0);
    EXPECT_TRUE(decode(fine).has_value());
}

}  // namespace
}  // namespace esta::kernel::abi
