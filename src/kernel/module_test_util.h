// Test helper: small modules for the module loader's tests, built byte by byte, with the
// kernel's custom sections appended. Header-only; used by *_test.cc only.
#pragma once

#include <string_view>
#include <vector>

#include "kernel/abi_value.h"
#include "kernel/module_sections.h"
#include "wasm/binary_builder_test_util.h"

namespace esta::kernel::testing {

using wasm::test::BinaryBuilder;
using wasm::test::Bytes;

// A valid reactive module: `estalogic_handle: () -> i32` returning 0, nothing imported.
inline Bytes reactive_module() {
    using wasm::test::BinaryBuilder;
    using wasm::test::concat;
    using wasm::test::name;
    return BinaryBuilder()
        .section(1, {0x01, 0x60, 0x00, 0x01, 0x7f})
        .section(3, {0x01, 0x00})
        .section(7, concat({{0x01}, name("estalogic_handle"), {0x00, 0x00}}))
        .section(10, {0x01, 0x04, 0x00, 0x41, 0x00, 0x0b})
        .bytes();
}

inline Bytes with_section(Bytes module, std::string_view section_name, const Bytes& payload) {
    append_custom_section(module, section_name, payload);
    return module;
}

// The value-encoded manifest of a module needing a key-value store "kv" (read, write) and a
// topic "decisions" (write).
inline abi::AbiValue sample_manifest_value() {
    using abi::ValueList;
    using abi::ValueMap;
    return ValueMap{
        {"abi", i64{1}},
        {"name", "approvals"},
        {"version", "1.2.0"},
        {"needs",
         ValueMap{{"kv", ValueMap{{"kind", "keyspace"}, {"rights", ValueList{"read", "write"}}}},
                  {"decisions", ValueMap{{"kind", "topic"}, {"rights", ValueList{"write"}}}}}},
        {"exports", "reactive"},
    };
}

inline Bytes sample_manifest() {
    return abi::encode_value(sample_manifest_value());
}

}  // namespace esta::kernel::testing
