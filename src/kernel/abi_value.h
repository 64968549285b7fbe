// The ABI's value encoding (ABI.md "Value encoding"; tags in abi_table.cc): what driver
// requests and replies, cap_derive's restrictions, spawn's grants and cap_info's records are
// written in. A tag byte, then the value; integers little-endian; a map's keys are UTF-8
// text written without their tag.
//
// Decoding never trusts a length or count: each is checked against the bytes that remain
// before anything is allocated, nesting is bounded (kMaxValueDepth), and the whole input
// must be one value. Anything malformed is INVALID_ARGS (what the guest sees).
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

namespace esta::kernel::abi {

inline constexpr u32 kMaxValueDepth = 32;

struct AbiValue;
using ValueList = std::vector<AbiValue>;
using ValueMap = std::vector<std::pair<std::string, AbiValue>>;  // Keeps the wire order.
struct Timestamp {
    i64 ns = 0;
    bool operator==(const Timestamp&) const = default;
};
struct Uuid {
    std::array<u8, 16> bytes{};
    bool operator==(const Uuid&) const = default;
};
struct Decimal {
    i64 unscaled = 0;
    u8 scale = 0;
    bool operator==(const Decimal&) const = default;
};
using ByteString = std::vector<u8>;

struct AbiValue {
    std::variant<std::monostate, bool, i64, f64, std::string, ByteString, ValueList, ValueMap,
                 Timestamp, Uuid, Decimal>
        data;

    AbiValue() = default;
    template <class T>
    requires(!std::is_same_v<std::decay_t<T>, AbiValue>) AbiValue(T value)
        : data(std::move(value)) {}                          // NOLINT: implicit, for literal trees
    AbiValue(const char* text) : data(std::string(text)) {}  // NOLINT

    bool is_null() const { return std::holds_alternative<std::monostate>(data); }
    template <class T>
    const T* get() const {
        return std::get_if<T>(&data);
    }
    // The value under `key` in a map, or nullptr (also when this is not a map).
    const AbiValue* find(std::string_view key) const;

    bool operator==(const AbiValue&) const = default;
};

void encode_value(const AbiValue& value, std::vector<u8>& out);
std::vector<u8> encode_value(const AbiValue& value);
// Exactly one value spanning all of `bytes`.
Result<AbiValue> decode_value(ByteSpan bytes);

}  // namespace esta::kernel::abi
