#include "kernel/abi_value.h"

#include <bit>
#include <cstring>

namespace esta::kernel::abi {

namespace {

// The tags of ABI.md's value encoding (listed with their meaning in abi_table.cc).
enum Tag : u8 {
    kNull = 0,
    kFalse = 1,
    kTrue = 2,
    kI64 = 3,
    kF64 = 4,
    kText = 5,
    kBytes = 6,
    kList = 7,
    kMap = 8,
    kTimestamp = 9,
    kUuid = 10,
    kDecimal = 11,
};

void put_u32(std::vector<u8>& out, u32 value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}
void put_u64(std::vector<u8>& out, u64 value) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}
void put_string(std::vector<u8>& out, std::string_view text) {
    put_u32(out, static_cast<u32>(text.size()));
    out.insert(out.end(), text.begin(), text.end());
}

Error malformed(const char* context, std::size_t offset) {
    return Err(Status::InvalidArgs, context, Detail{.offset = offset});
}

class Decoder {
  public:
    explicit Decoder(ByteSpan bytes) : m_reader(bytes) {}

    Result<AbiValue> value(u32 depth) {
        if (depth > kMaxValueDepth) return malformed("value: nested too deep", offset());
        u8 tag = ESTA_TRY(byte());
        switch (tag) {
            case kNull:
                return AbiValue();
            case kFalse:
                return AbiValue(false);
            case kTrue:
                return AbiValue(true);
            case kI64:
                return AbiValue(static_cast<i64>(ESTA_TRY(u64_le())));
            case kF64:
                return AbiValue(std::bit_cast<f64>(ESTA_TRY(u64_le())));
            case kText:
                return AbiValue(ESTA_TRY(text()));
            case kBytes: {
                ByteSpan span = ESTA_TRY(counted_bytes());
                return AbiValue(ByteString(span.begin(), span.end()));
            }
            case kList:
                return list(depth);
            case kMap:
                return map(depth);
            case kTimestamp:
                return AbiValue(Timestamp{static_cast<i64>(ESTA_TRY(u64_le()))});
            case kUuid: {
                ByteSpan span = ESTA_TRY(bytes(16));
                Uuid uuid;
                std::memcpy(uuid.bytes.data(), span.data(), 16);
                return AbiValue(uuid);
            }
            case kDecimal: {
                i64 unscaled = static_cast<i64>(ESTA_TRY(u64_le()));
                return AbiValue(Decimal{unscaled, ESTA_TRY(byte())});
            }
            default:
                return malformed("value: unknown tag", offset() - 1);
        }
    }

    bool at_end() const { return m_reader.at_end(); }
    std::size_t offset() const { return m_reader.offset(); }

  private:
    Result<u8> byte() {
        auto read = m_reader.read_u8();
        if (!read) return malformed("value: truncated", offset());
        return *read;
    }
    Result<u64> u64_le() {
        auto read = m_reader.read_u64_le();
        if (!read) return malformed("value: truncated", offset());
        return *read;
    }
    Result<ByteSpan> bytes(std::size_t count) {
        auto read = m_reader.read_bytes(count);
        if (!read) return malformed("value: length past the end", offset());
        return *read;
    }
    Result<ByteSpan> counted_bytes() {
        auto length = m_reader.read_u32_le();
        if (!length) return malformed("value: truncated", offset());
        return bytes(*length);
    }
    Result<std::string> text() {
        ByteSpan span = ESTA_TRY(counted_bytes());
        if (!is_valid_utf8(span)) return malformed("value: text is not UTF-8", offset());
        return std::string(span.begin(), span.end());
    }
    // A count must be plausible before anything is reserved: every element takes at least
    // one byte (a map entry at least five), so a count beyond that is malformed.
    Result<u32> count(std::size_t min_element_size) {
        auto read = m_reader.read_u32_le();
        if (!read) return malformed("value: truncated", offset());
        if (u64{*read} * min_element_size > m_reader.remaining()) {
            return malformed("value: count past the end", offset());
        }
        return *read;
    }
    Result<AbiValue> list(u32 depth) {
        u32 n = ESTA_TRY(count(1));
        ValueList items;
        items.reserve(n);
        for (u32 i = 0; i < n; ++i)
            items.push_back(ESTA_TRY(value(depth + 1)));
        return AbiValue(std::move(items));
    }
    Result<AbiValue> map(u32 depth) {
        u32 n = ESTA_TRY(count(5));
        ValueMap entries;
        entries.reserve(n);
        for (u32 i = 0; i < n; ++i) {
            std::string key = ESTA_TRY(text());
            entries.emplace_back(std::move(key), ESTA_TRY(value(depth + 1)));
        }
        return AbiValue(std::move(entries));
    }

    ByteReader m_reader;
};

}  // namespace

const AbiValue* AbiValue::find(std::string_view key) const {
    const ValueMap* entries = get<ValueMap>();
    if (!entries) return nullptr;
    for (const auto& [name, value] : *entries) {
        if (name == key) return &value;
    }
    return nullptr;
}

void encode_value(const AbiValue& value, std::vector<u8>& out) {
    struct Visitor {
        std::vector<u8>& out;
        void operator()(std::monostate) { out.push_back(kNull); }
        void operator()(bool flag) { out.push_back(flag ? kTrue : kFalse); }
        void operator()(i64 number) {
            out.push_back(kI64);
            put_u64(out, static_cast<u64>(number));
        }
        void operator()(f64 number) {
            out.push_back(kF64);
            put_u64(out, std::bit_cast<u64>(number));
        }
        void operator()(const std::string& text) {
            out.push_back(kText);
            put_string(out, text);
        }
        void operator()(const ByteString& bytes) {
            out.push_back(kBytes);
            put_u32(out, static_cast<u32>(bytes.size()));
            out.insert(out.end(), bytes.begin(), bytes.end());
        }
        void operator()(const ValueList& items) {
            out.push_back(kList);
            put_u32(out, static_cast<u32>(items.size()));
            for (const AbiValue& item : items)
                encode_value(item, out);
        }
        void operator()(const ValueMap& entries) {
            out.push_back(kMap);
            put_u32(out, static_cast<u32>(entries.size()));
            for (const auto& [key, item] : entries) {
                put_string(out, key);
                encode_value(item, out);
            }
        }
        void operator()(Timestamp time) {
            out.push_back(kTimestamp);
            put_u64(out, static_cast<u64>(time.ns));
        }
        void operator()(const Uuid& uuid) {
            out.push_back(kUuid);
            out.insert(out.end(), uuid.bytes.begin(), uuid.bytes.end());
        }
        void operator()(Decimal decimal) {
            out.push_back(kDecimal);
            put_u64(out, static_cast<u64>(decimal.unscaled));
            out.push_back(decimal.scale);
        }
    };
    std::visit(Visitor{out}, value.data);
}

std::vector<u8> encode_value(const AbiValue& value) {
    std::vector<u8> out;
    encode_value(value, out);
    return out;
}

Result<AbiValue> decode_value(ByteSpan bytes) {
    Decoder decoder(bytes);
    AbiValue value = ESTA_TRY(decoder.value(0));
    if (!decoder.at_end()) return malformed("value: trailing bytes", decoder.offset());
    return value;
}

}  // namespace esta::kernel::abi
