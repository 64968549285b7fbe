// Value: the canonical value encoding that audit records are made of (REQUIREMENTS O-2),
// the same tags as the ABI's value encoding (ABI.md, "Value encoding"), so a guest's
// `audit` call maps onto it one to one.
//
// Canonical form (what encode_value writes and the only form decode_value accepts):
//   tag u8, then: 0 null | 1 false | 2 true | 3 i64 (8 bytes LE) | 4 f64 (8 bytes LE)
//   | 5 text (u32 LE length + UTF-8) | 6 bytes (u32 LE length + bytes)
//   | 7 list (u32 LE count + values) | 8 map (u32 LE count + count x (u32 LE key length +
//   UTF-8 key, value)), keys unique and in strictly increasing byte order
//   | 9 timestamp (i64 LE ns since the epoch) | 10 uuid (16 bytes) | 11 decimal (i64 LE
//   unscaled + u8 scale).
// One value has exactly one encoding, so equal values hash equally. docs/AUDIT.md has more.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

namespace esta::observe {

enum class ValueKind : u8 {
    Null = 0,
    Bool = 1,  // Encoded as tag 1 (false) or 2 (true).
    I64 = 3,
    F64 = 4,
    Text = 5,
    Bytes = 6,
    List = 7,
    Map = 8,
    Timestamp = 9,
    Uuid = 10,
    Decimal = 11,
};

class Value {
  public:
    using List = std::vector<Value>;
    using Map = std::map<std::string, Value, std::less<>>;  // Byte order, as encoded.
    struct Bytes {
        std::vector<u8> data;
        bool operator==(const Bytes&) const = default;
    };
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

    Value() = default;  // null
    static Value boolean(bool value) { return Value(std::in_place_type<bool>, value); }
    static Value integer(i64 value) { return Value(std::in_place_type<i64>, value); }
    static Value real(f64 value) { return Value(std::in_place_type<f64>, value); }
    static Value text(std::string value) {
        return Value(std::in_place_type<std::string>, std::move(value));
    }
    static Value bytes(ByteSpan value) {
        return Value(std::in_place_type<Bytes>, Bytes{{value.begin(), value.end()}});
    }
    static Value list(List value) { return Value(std::in_place_type<List>, std::move(value)); }
    static Value map(Map value) { return Value(std::in_place_type<Map>, std::move(value)); }
    static Value timestamp(i64 ns) { return Value(std::in_place_type<Timestamp>, Timestamp{ns}); }
    static Value uuid(const std::array<u8, 16>& value) {
        return Value(std::in_place_type<Uuid>, Uuid{value});
    }
    static Value decimal(i64 unscaled, u8 scale) {
        return Value(std::in_place_type<Decimal>, Decimal{unscaled, scale});
    }

    ValueKind kind() const;
    bool is_null() const { return std::holds_alternative<std::monostate>(m_storage); }

    // Typed access: a pointer to the payload, or nullptr when the value has another kind.
    const bool* as_bool() const { return std::get_if<bool>(&m_storage); }
    const i64* as_i64() const { return std::get_if<i64>(&m_storage); }
    const f64* as_f64() const { return std::get_if<f64>(&m_storage); }
    const std::string* as_text() const { return std::get_if<std::string>(&m_storage); }
    const Bytes* as_bytes() const { return std::get_if<Bytes>(&m_storage); }
    const List* as_list() const { return std::get_if<List>(&m_storage); }
    const Map* as_map() const { return std::get_if<Map>(&m_storage); }
    const Timestamp* as_timestamp() const { return std::get_if<Timestamp>(&m_storage); }
    const Uuid* as_uuid() const { return std::get_if<Uuid>(&m_storage); }
    const Decimal* as_decimal() const { return std::get_if<Decimal>(&m_storage); }

    // For maps: the value under `key`, or nullptr (also when this is not a map).
    const Value* find(std::string_view key) const;

    bool operator==(const Value&) const = default;

  private:
    using Storage = std::variant<std::monostate, bool, i64, f64, std::string, Bytes, List, Map,
                                 Timestamp, Uuid, Decimal>;
    // Built in place: constructing a temporary variant and moving it trips g++ 12's
    // -Wmaybe-uninitialized at -O2.
    template <class T, class Arg>
    Value(std::in_place_type_t<T> type, Arg&& value) : m_storage(type, std::forward<Arg>(value)) {}

    Storage m_storage;
};

// Appends the canonical encoding of `value` to `out`.
void encode_value(const Value& value, std::vector<u8>& out);
std::vector<u8> encode_value(const Value& value);

struct DecodeLimits {
    u32 max_depth = 32;        // Nesting of lists and maps.
    bool allow_floats = true;  // Audit records refuse floats (O-2: "no floats").
};

// Decodes exactly one value spanning all of `bytes`. Refuses anything non-canonical
// (unsorted or duplicate keys, invalid UTF-8, bool tags other than 1/2, trailing bytes) with
// Malformed; never trusts a length or count it reads.
Result<Value> decode_value(ByteSpan bytes, DecodeLimits limits = {});

// True when `value` or anything inside it is a float.
bool contains_float(const Value& value);

// JSON for humans and tools: bytes and uuids as hex strings, timestamps as RFC 3339 strings,
// decimals as strings ("12.50"), i64 beyond 2^53 as strings.
void append_value_json(std::string& out, const Value& value);

}  // namespace esta::observe
