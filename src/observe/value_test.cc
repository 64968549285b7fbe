#include "observe/value.h"

#include <gtest/gtest.h>

namespace esta::observe {
namespace {

Value sample() {
    Value::Map inner;
    inner["b"] = Value::integer(-2);
    inner["a"] = Value::text("h\xC3\xA9llo");
    Value::Map outer;
    outer["z"] = Value::list({Value(), Value::boolean(true), Value::boolean(false)});
    outer["inner"] = Value::map(std::move(inner));
    outer["bytes"] = Value::bytes(std::vector<u8>{1, 2, 3});
    outer["ts"] = Value::timestamp(1'700'000'000'000'000'000);
    outer["id"] = Value::uuid({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    outer["hours"] = Value::decimal(-1250, 2);
    return Value::map(std::move(outer));
}

TEST(Value, O2_RoundTripsEveryKind) {
    const Value value = sample();
    const auto bytes = encode_value(value);
    auto decoded = decode_value(bytes);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, value);
    EXPECT_EQ(encode_value(*decoded), bytes);
}

TEST(Value, O2_MapKeysAreEncodedSorted) {
    Value::Map entries;
    entries["b"] = Value::integer(1);
    entries["a"] = Value::integer(2);
    const auto bytes = encode_value(Value::map(std::move(entries)));
    // tag 8, count 2, then key "a" (length 1) first.
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ(bytes[0], 8);
    EXPECT_EQ(bytes[5], 1);
    EXPECT_EQ(bytes[9], 'a');
}

TEST(Value, O2_RefusesUnsortedOrDuplicateKeys) {
    // {"b": null, "a": null} written by hand in the wrong order.
    const std::vector<u8> unsorted = {8, 2, 0, 0, 0, 1, 0, 0, 0, 'b', 0, 1, 0, 0, 0, 'a', 0};
    EXPECT_EQ(decode_value(unsorted).error().context, std::string_view("value.map_key_order"));
    const std::vector<u8> duplicate = {8, 2, 0, 0, 0, 1, 0, 0, 0, 'a', 0, 1, 0, 0, 0, 'a', 0};
    EXPECT_FALSE(decode_value(duplicate));
}

TEST(Value, O2_RefusesFloatsWhenAsked) {
    const auto bytes = encode_value(Value::list({Value::real(1.5)}));
    EXPECT_TRUE(decode_value(bytes));
    EXPECT_FALSE(decode_value(bytes, {.max_depth = 32, .allow_floats = false}));
    EXPECT_TRUE(contains_float(Value::list({Value::real(1.5)})));
    EXPECT_FALSE(contains_float(sample()));
}

TEST(Value, V1_RefusesLyingLengthsTrailingBytesAndDeepNesting) {
    EXPECT_FALSE(decode_value(std::vector<u8>{5, 0xFF, 0xFF, 0xFF, 0x7F, 'x'}));
    EXPECT_FALSE(decode_value(std::vector<u8>{7, 0xFF, 0xFF, 0xFF, 0xFF}));
    EXPECT_FALSE(decode_value(std::vector<u8>{0, 0}));
    EXPECT_FALSE(decode_value(std::vector<u8>{12}));
    EXPECT_FALSE(decode_value(std::vector<u8>{5, 2, 0, 0, 0, 0xC3, 0x28}));  // Bad UTF-8.
    std::vector<u8> deep;
    for (int i = 0; i < 40; ++i)
        deep.insert(deep.end(), {7, 1, 0, 0, 0});
    deep.push_back(0);
    EXPECT_FALSE(decode_value(deep));
}

TEST(Value, JsonForHumans) {
    std::string json;
    append_value_json(json, sample());
    EXPECT_EQ(json,
              "{\"bytes\":\"010203\",\"hours\":\"-12.50\",\"id\":"
              "\"0102030405060708090a0b0c0d0e0f10\",\"inner\":{\"a\":\"h\xC3\xA9llo\",\"b\":-2},"
              "\"ts\":\"2023-11-14T22:13:20.000000000Z\",\"z\":[null,true,false]}");
}

}  // namespace
}  // namespace esta::observe
