#include "observe/value.h"

#include <cstring>

#include "observe/json.h"
#include "observe/log_format.h"

namespace esta::observe {

ValueKind Value::kind() const {
    constexpr ValueKind kByIndex[] = {
        ValueKind::Null,      ValueKind::Bool,  ValueKind::I64,     ValueKind::F64,
        ValueKind::Text,      ValueKind::Bytes, ValueKind::List,    ValueKind::Map,
        ValueKind::Timestamp, ValueKind::Uuid,  ValueKind::Decimal,
    };
    return kByIndex[m_storage.index()];
}

const Value* Value::find(std::string_view key) const {
    const Map* entries = as_map();
    if (entries == nullptr) return nullptr;
    auto it = entries->find(key);
    return it == entries->end() ? nullptr : &it->second;
}

namespace {

void put_u32(std::vector<u8>& out, u32 value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

void put_u64(std::vector<u8>& out, u64 value) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

void put_sized(std::vector<u8>& out, const void* data, std::size_t size) {
    // Lengths above 4 GiB cannot be encoded; nothing that large is ever audited.
    ESTA_ASSERT(size <= 0xFFFF'FFFFu);
    put_u32(out, static_cast<u32>(size));
    auto bytes = static_cast<const u8*>(data);
    out.insert(out.end(), bytes, bytes + size);
}

Result<u32> read_count(ByteReader& reader, std::size_t min_element_size) {
    const u32 count = ESTA_TRY(reader.read_u32_le());
    // Each element needs at least min_element_size bytes: a count larger than what is left
    // is a lie, and refusing it here bounds every allocation by the input size.
    if (static_cast<u64>(count) * min_element_size > reader.remaining()) {
        return Err(Status::Malformed, "value.count",
                   {.limit = reader.remaining(), .actual = count});
    }
    return count;
}

Result<std::string> read_text(ByteReader& reader) {
    const u32 length = ESTA_TRY(read_count(reader, 1));
    ByteSpan bytes = ESTA_TRY(reader.read_bytes(length));
    if (!is_valid_utf8(bytes)) return Err(Status::Malformed, "value.text_utf8");
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Result<Value> decode_one(ByteReader& reader, const DecodeLimits& limits, u32 depth) {
    if (depth > limits.max_depth) return Err(Status::Malformed, "value.depth");
    const u8 tag = ESTA_TRY(reader.read_u8());
    switch (tag) {
        case 0:
            return Value();
        case 1:
            return Value::boolean(false);
        case 2:
            return Value::boolean(true);
        case 3:
            return Value::integer(static_cast<i64>(ESTA_TRY(reader.read_u64_le())));
        case 4: {
            if (!limits.allow_floats) return Err(Status::Malformed, "value.float_refused");
            const u64 bits = ESTA_TRY(reader.read_u64_le());
            f64 real;
            std::memcpy(&real, &bits, sizeof real);
            return Value::real(real);
        }
        case 5:
            return Value::text(ESTA_TRY(read_text(reader)));
        case 6: {
            const u32 length = ESTA_TRY(read_count(reader, 1));
            return Value::bytes(ESTA_TRY(reader.read_bytes(length)));
        }
        case 7: {
            const u32 count = ESTA_TRY(read_count(reader, 1));
            Value::List items;
            items.reserve(count);
            for (u32 i = 0; i < count; ++i) {
                items.push_back(ESTA_TRY(decode_one(reader, limits, depth + 1)));
            }
            return Value::list(std::move(items));
        }
        case 8: {
            const u32 count = ESTA_TRY(read_count(reader, 5));
            Value::Map entries;
            const std::string* previous = nullptr;
            for (u32 i = 0; i < count; ++i) {
                std::string key = ESTA_TRY(read_text(reader));
                if (previous != nullptr && !(*previous < key)) {
                    return Err(Status::Malformed, "value.map_key_order", {.index = i});
                }
                Value item = ESTA_TRY(decode_one(reader, limits, depth + 1));
                auto inserted =
                    entries.emplace_hint(entries.end(), std::move(key), std::move(item));
                previous = &inserted->first;
            }
            return Value::map(std::move(entries));
        }
        case 9:
            return Value::timestamp(static_cast<i64>(ESTA_TRY(reader.read_u64_le())));
        case 10: {
            ByteSpan bytes = ESTA_TRY(reader.read_bytes(16));
            std::array<u8, 16> uuid;
            std::memcpy(uuid.data(), bytes.data(), 16);
            return Value::uuid(uuid);
        }
        case 11: {
            const i64 unscaled = static_cast<i64>(ESTA_TRY(reader.read_u64_le()));
            return Value::decimal(unscaled, ESTA_TRY(reader.read_u8()));
        }
        default:
            return Err(Status::Malformed, "value.tag", {.actual = tag});
    }
}

std::string decimal_text(const Value::Decimal& decimal) {
    const bool negative = decimal.unscaled < 0;
    // Magnitude as u64 so the most negative i64 does not overflow.
    const u64 magnitude =
        negative ? u64{0} - static_cast<u64>(decimal.unscaled) : static_cast<u64>(decimal.unscaled);
    std::string digits = std::to_string(magnitude);
    if (decimal.scale > 0) {
        if (digits.size() <= decimal.scale) {
            digits.insert(0, decimal.scale - digits.size() + 1, '0');
        }
        digits.insert(digits.size() - decimal.scale, 1, '.');
    }
    return negative ? "-" + digits : digits;
}

}  // namespace

void encode_value(const Value& value, std::vector<u8>& out) {
    switch (value.kind()) {
        case ValueKind::Null:
            out.push_back(0);
            return;
        case ValueKind::Bool:
            out.push_back(*value.as_bool() ? 2 : 1);
            return;
        case ValueKind::I64:
            out.push_back(3);
            put_u64(out, static_cast<u64>(*value.as_i64()));
            return;
        case ValueKind::F64: {
            out.push_back(4);
            u64 bits;
            std::memcpy(&bits, value.as_f64(), sizeof bits);
            put_u64(out, bits);
            return;
        }
        case ValueKind::Text:
            out.push_back(5);
            put_sized(out, value.as_text()->data(), value.as_text()->size());
            return;
        case ValueKind::Bytes:
            out.push_back(6);
            put_sized(out, value.as_bytes()->data.data(), value.as_bytes()->data.size());
            return;
        case ValueKind::List:
            out.push_back(7);
            put_u32(out, static_cast<u32>(value.as_list()->size()));
            for (const Value& item : *value.as_list())
                encode_value(item, out);
            return;
        case ValueKind::Map:
            // std::map iterates in key byte order, which is exactly the canonical order.
            out.push_back(8);
            put_u32(out, static_cast<u32>(value.as_map()->size()));
            for (const auto& [key, item] : *value.as_map()) {
                put_sized(out, key.data(), key.size());
                encode_value(item, out);
            }
            return;
        case ValueKind::Timestamp:
            out.push_back(9);
            put_u64(out, static_cast<u64>(value.as_timestamp()->ns));
            return;
        case ValueKind::Uuid:
            out.push_back(10);
            out.insert(out.end(), value.as_uuid()->bytes.begin(), value.as_uuid()->bytes.end());
            return;
        case ValueKind::Decimal:
            out.push_back(11);
            put_u64(out, static_cast<u64>(value.as_decimal()->unscaled));
            out.push_back(value.as_decimal()->scale);
            return;
    }
}

std::vector<u8> encode_value(const Value& value) {
    std::vector<u8> out;
    encode_value(value, out);
    return out;
}

Result<Value> decode_value(ByteSpan bytes, DecodeLimits limits) {
    ByteReader reader(bytes);
    Value value = ESTA_TRY(decode_one(reader, limits, 0));
    if (!reader.at_end()) {
        return Err(Status::Malformed, "value.trailing_bytes", {.offset = reader.offset()});
    }
    return value;
}

bool contains_float(const Value& value) {
    if (value.kind() == ValueKind::F64) return true;
    if (const auto* items = value.as_list()) {
        for (const Value& item : *items) {
            if (contains_float(item)) return true;
        }
    }
    if (const auto* entries = value.as_map()) {
        for (const auto& [key, item] : *entries) {
            if (contains_float(item)) return true;
        }
    }
    return false;
}

void append_value_json(std::string& out, const Value& value) {
    constexpr i64 kExact = i64{1} << 53;
    switch (value.kind()) {
        case ValueKind::Null:
            out += "null";
            return;
        case ValueKind::Bool:
            out += *value.as_bool() ? "true" : "false";
            return;
        case ValueKind::I64: {
            const i64 number = *value.as_i64();
            const bool exact = number >= -kExact && number <= kExact;
            if (!exact) out.push_back('"');
            out += std::to_string(number);
            if (!exact) out.push_back('"');
            return;
        }
        case ValueKind::F64:
            append_json_double(out, *value.as_f64());
            return;
        case ValueKind::Text:
            append_json_string(out, *value.as_text());
            return;
        case ValueKind::Bytes:
            out.push_back('"');
            out += to_hex(value.as_bytes()->data);
            out.push_back('"');
            return;
        case ValueKind::List: {
            out.push_back('[');
            bool first = true;
            for (const Value& item : *value.as_list()) {
                if (!first) out.push_back(',');
                first = false;
                append_value_json(out, item);
            }
            out.push_back(']');
            return;
        }
        case ValueKind::Map: {
            out.push_back('{');
            bool first = true;
            for (const auto& [key, item] : *value.as_map()) {
                if (!first) out.push_back(',');
                first = false;
                append_json_string(out, key);
                out.push_back(':');
                append_value_json(out, item);
            }
            out.push_back('}');
            return;
        }
        case ValueKind::Timestamp:
            out.push_back('"');
            out += format_timestamp(value.as_timestamp()->ns);
            out.push_back('"');
            return;
        case ValueKind::Uuid:
            out.push_back('"');
            out += to_hex(value.as_uuid()->bytes);
            out.push_back('"');
            return;
        case ValueKind::Decimal:
            out.push_back('"');
            out += decimal_text(*value.as_decimal());
            out.push_back('"');
            return;
    }
}

}  // namespace esta::observe
