// ByteReader: a bounds-checked cursor over bytes that never trusts a length it reads.
// Every read returns a Result; on failure the cursor does not move. LEB128 decoding follows
// the WebAssembly rules (at most ceil(N/7) bytes, unused bits of the last byte must be a
// sign or zero extension), so the wasm decoder and the wire codec share one reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "base/result.h"
#include "base/types.h"

namespace esta {

using ByteSpan = std::span<const u8>;

class ByteReader {
  public:
    ByteReader() = default;
    explicit ByteReader(ByteSpan bytes, std::size_t base_offset = 0)
        : m_bytes(bytes), m_base_offset(base_offset) {}

    // Offset of the cursor from the start of the outermost input (for error messages).
    std::size_t offset() const { return m_base_offset + m_position; }
    std::size_t position() const { return m_position; }
    std::size_t remaining() const { return m_bytes.size() - m_position; }
    bool at_end() const { return m_position == m_bytes.size(); }

    Result<u8> read_u8();
    Result<u32> read_u32_le();
    Result<u64> read_u64_le();
    Result<u32> read_leb_u32();
    Result<u64> read_leb_u64();
    Result<i32> read_leb_s32();
    Result<i64> read_leb_s33();  // Block types: a signed 33-bit value.
    Result<i64> read_leb_s64();

    // A view of the next `count` bytes; fails (without moving) if fewer remain.
    Result<ByteSpan> read_bytes(std::size_t count);
    // A length-prefixed (LEB128 u32) UTF-8 string; rejects invalid UTF-8.
    Result<std::string_view> read_name();
    // A sub-reader over the next `count` bytes, positioned in the same offset space.
    Result<ByteReader> sub_reader(std::size_t count);
    Result<void> skip(std::size_t count);

    template <class T>
    Result<T> read_le() {
        static_assert(std::is_trivially_copyable_v<T>);
        auto bytes = read_bytes(sizeof(T));
        if (!bytes) return bytes.error();
        T value;
        std::memcpy(&value, bytes->data(), sizeof(T));
        return value;
    }

  private:
    Result<u64> read_leb_unsigned(unsigned bits);
    Result<i64> read_leb_signed(unsigned bits);

    ByteSpan m_bytes;
    std::size_t m_position = 0;
    std::size_t m_base_offset = 0;
};

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool is_valid_utf8(ByteSpan text);

}  // namespace esta
