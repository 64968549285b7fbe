#include "protocol/crc32c.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "protocol/prng.h"

namespace esta::protocol {
namespace {

ByteSpan bytes_of(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

TEST(Crc32c, P3_MatchesTheStandardCheckValue) {
    // The CRC-32C catalogue's check value for "123456789", and RFC 3720's 32 zero bytes.
    EXPECT_EQ(crc32c_portable(bytes_of("123456789")), 0xE3069283u);
    const std::vector<u8> zeros(32, 0);
    EXPECT_EQ(crc32c_portable(ByteSpan(zeros)), 0x8A9136AAu);
    EXPECT_EQ(crc32c_portable(ByteSpan()), 0u);
}

TEST(Crc32c, P3_IncrementalEqualsOneShot) {
    const auto all = bytes_of("the quick brown fox jumps over the lazy dog");
    for (std::size_t split = 0; split <= all.size(); ++split) {
        const u32 first = crc32c_portable(all.first(split));
        EXPECT_EQ(crc32c_portable(all.subspan(split), first), crc32c_portable(all));
    }
}

TEST(Crc32c, P3_HardwareAndPortableAgree) {
    if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
    DeterministicRng rng(3);
    std::vector<u8> data(4099);
    for (auto& byte : data)
        byte = static_cast<u8>(rng.next_u64());
    for (std::size_t offset = 0; offset < 9; ++offset) {
        for (std::size_t size : {0u, 1u, 7u, 8u, 9u, 63u, 4090u}) {
            const auto span = ByteSpan(data).subspan(offset, size);
            EXPECT_EQ(crc32c_hardware(span, 0x1234u), crc32c_portable(span, 0x1234u))
                << "offset " << offset << " size " << size;
        }
    }
    EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
}

}  // namespace
}  // namespace esta::protocol
