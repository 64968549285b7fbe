// Test helper: assembles small WebAssembly binaries byte by byte, so decoder and validator
// tests state exactly the bytes they feed in. Used only by *_test.cc files.
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/types.h"

namespace esta::wasm::test {

using Bytes = std::vector<u8>;

inline Bytes leb(u64 value) {
    Bytes out;
    do {
        u8 byte = value & 0x7F;
        value >>= 7;
        if (value != 0) byte |= 0x80;
        out.push_back(byte);
    } while (value != 0);
    return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

// A length-prefixed name.
inline Bytes name(std::string_view text) {
    return concat({leb(text.size()), Bytes(text.begin(), text.end())});
}

class BinaryBuilder {
  public:
    BinaryBuilder() : m_bytes{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00} {}

    BinaryBuilder& section(u8 id, const Bytes& contents) {
        m_bytes.push_back(id);
        const Bytes size = leb(contents.size());
        m_bytes.insert(m_bytes.end(), size.begin(), size.end());
        m_bytes.insert(m_bytes.end(), contents.begin(), contents.end());
        return *this;
    }
    BinaryBuilder& raw(const Bytes& bytes) {
        m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
        return *this;
    }
    const Bytes& bytes() const { return m_bytes; }

  private:
    Bytes m_bytes;
};

// A code section entry: local runs {count, type}... then the body (without final `end`,
// which is appended).
inline Bytes code_entry(const Bytes& locals, u32 runs, const Bytes& body) {
    const Bytes contents = concat({leb(runs), locals, body, {0x0B}});
    return concat({leb(contents.size()), contents});
}

// A module with one function of type params -> results, the given locals and body, plus
// one memory of one page (so memory instructions validate).
inline Bytes function_module(const Bytes& params, const Bytes& results, const Bytes& body,
                             const Bytes& locals = {}, u32 runs = 0) {
    return BinaryBuilder()
        .section(1,
                 concat({{0x01, 0x60}, leb(params.size()), params, leb(results.size()), results}))
        .section(3, {0x01, 0x00})
        .section(5, {0x01, 0x00, 0x01})
        .section(10, concat({{0x01}, code_entry(locals, runs, body)}))
        .bytes();
}

}  // namespace esta::wasm::test
