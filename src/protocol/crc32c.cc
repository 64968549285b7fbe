#include "protocol/crc32c.h"

#include <array>
#include <cstring>

#include "base/assert.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace esta::protocol {

namespace {

constexpr u32 kPolynomial = 0x82F63B78u;  // Castagnoli, bit-reversed.

using Tables = std::array<std::array<u32, 256>, 8>;

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so eight
// input bytes are folded with eight lookups.
constexpr Tables make_tables() {
    Tables tables{};
    for (u32 byte = 0; byte < 256; ++byte) {
        u32 crc = byte;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ ((crc & 1) ? kPolynomial : 0);
        tables[0][byte] = crc;
    }
    for (u32 byte = 0; byte < 256; ++byte) {
        for (std::size_t k = 1; k < 8; ++k) {
            const u32 previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
        }
    }
    return tables;
}

constexpr Tables kTables = make_tables();

}  // namespace

u32 crc32c_portable(ByteSpan bytes, u32 crc) {
    crc = ~crc;
    const u8* data = bytes.data();
    std::size_t size = bytes.size();
    while (size >= 8) {
        // Assemble little-endian words byte by byte so the result does not depend on the
        // host's byte order.
        const u32 low =
            (u32{data[0]} | u32{data[1]} << 8 | u32{data[2]} << 16 | u32{data[3]} << 24) ^ crc;
        const u32 high = u32{data[4]} | u32{data[5]} << 8 | u32{data[6]} << 16 | u32{data[7]} << 24;
        crc = kTables[7][low & 0xFF] ^ kTables[6][(low >> 8) & 0xFF] ^
              kTables[5][(low >> 16) & 0xFF] ^ kTables[4][low >> 24] ^ kTables[3][high & 0xFF] ^
              kTables[2][(high >> 8) & 0xFF] ^ kTables[1][(high >> 16) & 0xFF] ^
              kTables[0][high >> 24];
        data += 8;
        size -= 8;
    }
    while (size-- > 0)
        crc = (crc >> 8) ^ kTables[0][(crc ^ *data++) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__)

bool crc32c_hardware_available() {
    static const bool available = __builtin_cpu_supports("sse4.2");
    return available;
}

__attribute__((target("sse4.2"))) u32 crc32c_hardware(ByteSpan bytes, u32 crc) {
    ESTA_ASSERT(crc32c_hardware_available());
    u64 state = ~crc;
    const u8* data = bytes.data();
    std::size_t size = bytes.size();
    while (size >= 8) {
        u64 word;
        std::memcpy(&word, data, sizeof word);  // x86 is little-endian, as the CRC expects.
        state = _mm_crc32_u64(state, word);
        data += 8;
        size -= 8;
    }
    auto state32 = static_cast<u32>(state);
    while (size-- > 0)
        state32 = _mm_crc32_u8(state32, *data++);
    return ~state32;
}

#else

bool crc32c_hardware_available() {
    return false;
}

u32 crc32c_hardware(ByteSpan bytes, u32 crc) {
    ESTA_ASSERT(false && "crc32c_hardware is not available on this architecture");
    return crc32c_portable(bytes, crc);
}

#endif

u32 crc32c(ByteSpan bytes, u32 crc) {
    return crc32c_hardware_available() ? crc32c_hardware(bytes, crc) : crc32c_portable(bytes, crc);
}

}  // namespace esta::protocol
