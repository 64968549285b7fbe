// ByteWriter: appends little-endian integers and length-prefixed strings to a byte vector
// it borrows; the write-side twin of base/bytes.h's ByteReader.
#pragma once

#include <cstring>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/types.h"

namespace esta::protocol {

class ByteWriter {
  public:
    explicit ByteWriter(std::vector<u8>& out) : m_out(out) {}

    std::size_t size() const { return m_out.size(); }

    void put_u8(u8 value) { m_out.push_back(value); }
    void put_u16(u16 value) { put_le(value); }
    void put_u32(u32 value) { put_le(value); }
    void put_u64(u64 value) { put_le(value); }
    void put_i32(i32 value) { put_le(static_cast<u32>(value)); }
    void put_i64(i64 value) { put_le(static_cast<u64>(value)); }
    void put_bytes(ByteSpan bytes) { m_out.insert(m_out.end(), bytes.begin(), bytes.end()); }
    // u32 length, then the bytes.
    void put_blob(ByteSpan bytes) {
        put_u32(static_cast<u32>(bytes.size()));
        put_bytes(bytes);
    }
    void put_string(std::string_view text) {
        put_blob(ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size()));
    }
    // Overwrites 4 bytes at `position` (a length or checksum written after its content).
    void patch_u32(std::size_t position, u32 value) {
        for (int i = 0; i < 4; ++i)
            m_out[position + i] = static_cast<u8>(value >> (8 * i));
    }

  private:
    template <class T>
    void put_le(T value) {
        // Byte by byte: the wire is little-endian whatever the host is.
        for (std::size_t i = 0; i < sizeof(T); ++i)
            m_out.push_back(static_cast<u8>(value >> (8 * i)));
    }

    std::vector<u8>& m_out;
};

}  // namespace esta::protocol
