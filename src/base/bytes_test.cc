#include "base/bytes.h"

#include <gtest/gtest.h>

#include <vector>

namespace esta {
namespace {

ByteReader reader_over(const std::vector<u8>& bytes) {
    return ByteReader(ByteSpan(bytes));
}

TEST(ByteReader, ReadsUnsignedLeb128) {
    std::vector<u8> bytes{0xE5, 0x8E, 0x26, 0x00};
    auto reader = reader_over(bytes);
    EXPECT_EQ(*reader.read_leb_u32(), 624485u);
    EXPECT_EQ(*reader.read_leb_u32(), 0u);
    EXPECT_TRUE(reader.at_end());
}

TEST(ByteReader, ReadsSignedLeb128) {
    std::vector<u8> bytes{0xC0, 0xBB, 0x78, 0x7F};
    auto reader = reader_over(bytes);
    EXPECT_EQ(*reader.read_leb_s32(), -123456);
    EXPECT_EQ(*reader.read_leb_s32(), -1);
}

TEST(ByteReader, RejectsOverlongLeb128) {
    std::vector<u8> bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    auto reader = reader_over(bytes);
    auto value = reader.read_leb_u32();
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().code, Status::Malformed);
    EXPECT_EQ(reader.position(), 0u) << "a failed read must not move the cursor";
}

TEST(ByteReader, RejectsUnusedBitsInLastByte) {
    std::vector<u8> bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x1F};  // bit 32 set: too large for u32
    EXPECT_FALSE(reader_over(bytes).read_leb_u32());
    std::vector<u8> signed_bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x4F};  // mixed sign bits
    EXPECT_FALSE(reader_over(signed_bytes).read_leb_s32());
    std::vector<u8> ok_negative{0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    EXPECT_EQ(*reader_over(ok_negative).read_leb_s32(), -1);
}

TEST(ByteReader, ReadsSigned33BitBlockTypes) {
    std::vector<u8> bytes{0x40};
    EXPECT_EQ(*reader_over(bytes).read_leb_s33(), -64);
    std::vector<u8> big{0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    EXPECT_EQ(*reader_over(big).read_leb_s33(), 0xFFFFFFFFll);
}

TEST(ByteReader, TruncatedInputIsAnErrorWithOffset) {
    std::vector<u8> bytes{0x01, 0x80};
    auto reader = reader_over(bytes);
    ASSERT_TRUE(reader.read_u8());
    auto value = reader.read_leb_u32();
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().detail.offset, 1u);
}

TEST(ByteReader, LengthFieldIsNeverTrusted) {
    std::vector<u8> bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 'a'};  // claims 4 GiB of name
    auto reader = reader_over(bytes);
    EXPECT_FALSE(reader.read_name());
    EXPECT_EQ(reader.position(), 0u);
}

TEST(ByteReader, NamesMustBeUtf8) {
    std::vector<u8> good{3, 'a', 0xC3, 0xA9};
    EXPECT_EQ(*reader_over(good).read_name(), "a\xC3\xA9");
    std::vector<u8> overlong{2, 0xC0, 0x80};
    EXPECT_FALSE(reader_over(overlong).read_name());
    std::vector<u8> surrogate{3, 0xED, 0xA0, 0x80};
    EXPECT_FALSE(reader_over(surrogate).read_name());
}

TEST(ByteReader, SubReaderKeepsOuterOffsets) {
    std::vector<u8> bytes{9, 9, 1, 2, 3};
    auto reader = reader_over(bytes);
    ASSERT_TRUE(reader.skip(2));
    auto sub = reader.sub_reader(3);
    ASSERT_TRUE(sub);
    EXPECT_EQ(sub->offset(), 2u);
    EXPECT_EQ(*sub->read_u8(), 1);
    EXPECT_EQ(sub->offset(), 3u);
}

}  // namespace
}  // namespace esta
