#include "base/bytes.h"

namespace esta {

namespace {
Error truncated(std::size_t offset) {
    return Err(Status::Malformed, "unexpected end of input", Detail{.offset = offset});
}
}  // namespace

Result<u8> ByteReader::read_u8() {
    if (m_position >= m_bytes.size()) return truncated(offset());
    return m_bytes[m_position++];
}

Result<u32> ByteReader::read_u32_le() {
    return read_le<u32>();
}
Result<u64> ByteReader::read_u64_le() {
    return read_le<u64>();
}

Result<u64> ByteReader::read_leb_unsigned(unsigned bits) {
    const std::size_t start = m_position;
    const unsigned max_bytes = (bits + 6) / 7;
    u64 result = 0;
    for (unsigned i = 0; i < max_bytes; ++i) {
        if (m_position >= m_bytes.size()) {
            m_position = start;
            return truncated(m_base_offset + start);
        }
        const u8 byte = m_bytes[m_position++];
        const unsigned shift = 7 * i;
        if (i == max_bytes - 1) {
            // The last byte may only carry the bits that remain; the rest must be zero.
            const unsigned used = bits - shift;
            if ((byte & 0x80) != 0) {
                m_position = start;
                return Err(Status::Malformed, "integer representation too long",
                           Detail{.offset = m_base_offset + start});
            }
            if (used < 7 && (byte >> used) != 0) {
                m_position = start;
                return Err(Status::Malformed, "integer too large",
                           Detail{.offset = m_base_offset + start});
            }
        }
        result |= static_cast<u64>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) return result;
    }
    ESTA_UNREACHABLE();
}

Result<i64> ByteReader::read_leb_signed(unsigned bits) {
    const std::size_t start = m_position;
    const unsigned max_bytes = (bits + 6) / 7;
    u64 result = 0;
    for (unsigned i = 0; i < max_bytes; ++i) {
        if (m_position >= m_bytes.size()) {
            m_position = start;
            return truncated(m_base_offset + start);
        }
        const u8 byte = m_bytes[m_position++];
        const unsigned shift = 7 * i;
        if (i == max_bytes - 1) {
            if ((byte & 0x80) != 0) {
                m_position = start;
                return Err(Status::Malformed, "integer representation too long",
                           Detail{.offset = m_base_offset + start});
            }
            // Bits above the value's width must all equal its sign bit.
            const unsigned used = bits - shift;  // 1..7 value bits in this byte
            if (used < 7) {
                const u8 sign_and_unused = static_cast<u8>(byte >> (used - 1)) & 0x7F;
                const u8 all_ones = static_cast<u8>(0x7F >> (used - 1));
                if (sign_and_unused != 0 && sign_and_unused != all_ones) {
                    m_position = start;
                    return Err(Status::Malformed, "integer too large",
                               Detail{.offset = m_base_offset + start});
                }
            }
        }
        result |= static_cast<u64>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) {
            const unsigned total = shift + 7;
            if (total < 64 && (byte & 0x40) != 0) result |= ~u64{0} << total;
            return static_cast<i64>(result);
        }
    }
    ESTA_UNREACHABLE();
}

Result<u32> ByteReader::read_leb_u32() {
    // Fast path: most encoded values (indices, small sizes) fit in one byte.
    if (m_position < m_bytes.size() && m_bytes[m_position] < 0x80) return m_bytes[m_position++];
    auto value = read_leb_unsigned(32);
    if (!value) return value.error();
    return static_cast<u32>(*value);
}
Result<u64> ByteReader::read_leb_u64() {
    return read_leb_unsigned(64);
}
Result<i32> ByteReader::read_leb_s32() {
    auto value = read_leb_signed(32);
    if (!value) return value.error();
    return static_cast<i32>(*value);
}
Result<i64> ByteReader::read_leb_s33() {
    return read_leb_signed(33);
}
Result<i64> ByteReader::read_leb_s64() {
    return read_leb_signed(64);
}

Result<ByteSpan> ByteReader::read_bytes(std::size_t count) {
    if (count > remaining()) return truncated(offset());
    ByteSpan view = m_bytes.subspan(m_position, count);
    m_position += count;
    return view;
}

Result<std::string_view> ByteReader::read_name() {
    const std::size_t start = m_position;
    auto length = read_leb_u32();
    if (!length) return length.error();
    auto bytes = read_bytes(*length);
    if (!bytes) {
        m_position = start;
        return bytes.error();
    }
    if (!is_valid_utf8(*bytes)) {
        m_position = start;
        return Err(Status::Malformed, "malformed UTF-8 encoding",
                   Detail{.offset = m_base_offset + start});
    }
    return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Result<ByteReader> ByteReader::sub_reader(std::size_t count) {
    const std::size_t start_offset = offset();
    auto bytes = read_bytes(count);
    if (!bytes) return bytes.error();
    return ByteReader(*bytes, start_offset);
}

Result<void> ByteReader::skip(std::size_t count) {
    auto bytes = read_bytes(count);
    if (!bytes) return bytes.error();
    return Ok();
}

bool is_valid_utf8(ByteSpan text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const u8 lead = text[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        unsigned length;
        u32 code_point;
        if ((lead & 0xE0) == 0xC0) {
            length = 2;
            code_point = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            code_point = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            code_point = lead & 0x07;
        } else {
            return false;
        }
        if (text.size() - i < length) return false;
        for (unsigned k = 1; k < length; ++k) {
            const u8 next = text[i + k];
            if ((next & 0xC0) != 0x80) return false;
            code_point = (code_point << 6) | (next & 0x3F);
        }
        static constexpr u32 kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code_point < kMinimum[length]) return false;                 // overlong
        if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;  // surrogate
        if (code_point > 0x10FFFF) return false;
        i += length;
    }
    return true;
}

}  // namespace esta
