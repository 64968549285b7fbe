// The C SDK's value builders and readers (sdk/c/estalogic_value.h), compiled natively,
// against the kernel's own codec (kernel/abi_value.h): every tag byte for byte, random trees
// both ways, and the same accept/reject verdict on mutated and truncated inputs.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "estalogic_message.h"
#include "estalogic_value.h"
#include "kernel/abi_value.h"
#include "sdk_value_c.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;

AbiValue all_tags() {
    abi::Uuid uuid;
    for (int i = 0; i < 16; ++i)
        uuid.bytes[i] = static_cast<u8>(i);
    uuid.bytes[15] = 0xFF;
    return AbiValue(abi::ValueMap{
        {"null", AbiValue()},
        {"false", AbiValue(false)},
        {"true", AbiValue(true)},
        {"i64", AbiValue(i64{-1234567890123})},
        {"f64", AbiValue(f64{-0.5})},
        {"text", AbiValue(std::string("h\xC3\xA9llo"))},
        {"bytes", AbiValue(abi::ByteString{0, 1, 0xFF})},
        {"list", AbiValue(abi::ValueList{AbiValue(i64{1}), AbiValue(abi::ValueList{})})},
        {"map", AbiValue(abi::ValueMap{{"k", AbiValue(std::string())}})},
        {"timestamp", AbiValue(abi::Timestamp{1700000000123456789})},
        {"uuid", AbiValue(uuid)},
        {"decimal", AbiValue(abi::Decimal{-12345, 2})},
    });
}

// Writes a kernel value tree with the SDK's builders.
void write(const AbiValue& value, esta_writer* w) {
    struct Visitor {
        esta_writer* w;
        void operator()(std::monostate) { esta_put_null(w); }
        void operator()(bool flag) { esta_put_bool(w, flag); }
        void operator()(i64 number) { esta_put_i64(w, number); }
        void operator()(f64 number) { esta_put_f64(w, number); }
        void operator()(const std::string& text) {
            esta_put_text(w, text.data(), static_cast<esta_u32>(text.size()));
        }
        void operator()(const abi::ByteString& bytes) {
            esta_put_bytes(w, bytes.data(), static_cast<esta_u32>(bytes.size()));
        }
        void operator()(const abi::ValueList& list) {
            esta_put_list(w, static_cast<esta_u32>(list.size()));
            for (const AbiValue& item : list)
                write(item, w);
        }
        void operator()(const abi::ValueMap& map) {
            esta_put_map(w, static_cast<esta_u32>(map.size()));
            for (const auto& [key, item] : map) {
                esta_put_key(w, key.data(), static_cast<esta_u32>(key.size()));
                write(item, w);
            }
        }
        void operator()(abi::Timestamp time) { esta_put_timestamp(w, time.ns); }
        void operator()(const abi::Uuid& uuid) { esta_put_uuid(w, uuid.bytes.data()); }
        void operator()(abi::Decimal decimal) {
            esta_put_decimal(w, decimal.unscaled, decimal.scale);
        }
    };
    std::visit(Visitor{w}, value.data);
}

// Reads one value with the SDK's readers into a kernel value tree (recursion is fine here:
// the SDK's own checks bound what reaches it, and tests use shallow trees).
AbiValue read(esta_reader* r) {
    esta_u32 n = 0;
    switch (esta_peek_tag(r)) {
        case ESTA_VALUE_NULL:
            esta_get_null(r);
            return AbiValue();
        case ESTA_VALUE_FALSE:
        case ESTA_VALUE_TRUE:
            return AbiValue(esta_get_bool(r) != 0);
        case ESTA_VALUE_I64:
            return AbiValue(i64{esta_get_i64(r)});
        case ESTA_VALUE_F64:
            return AbiValue(f64{esta_get_f64(r)});
        case ESTA_VALUE_TEXT: {
            const char* text = esta_get_text(r, &n);
            return AbiValue(text ? std::string(text, n) : std::string());
        }
        case ESTA_VALUE_BYTES: {
            const esta_u8* bytes = esta_get_bytes(r, &n);
            return AbiValue(bytes ? abi::ByteString(bytes, bytes + n) : abi::ByteString());
        }
        case ESTA_VALUE_LIST: {
            abi::ValueList list;
            n = esta_get_list(r);
            for (esta_u32 i = 0; i < n && !r->error; ++i)
                list.push_back(read(r));
            return AbiValue(std::move(list));
        }
        case ESTA_VALUE_MAP: {
            abi::ValueMap map;
            esta_u32 count = esta_get_map(r);
            for (esta_u32 i = 0; i < count && !r->error; ++i) {
                const char* key = esta_get_key(r, &n);
                std::string name = key ? std::string(key, n) : std::string();
                map.emplace_back(std::move(name), read(r));
            }
            return AbiValue(std::move(map));
        }
        case ESTA_VALUE_TIMESTAMP:
            return AbiValue(abi::Timestamp{esta_get_timestamp(r)});
        case ESTA_VALUE_UUID: {
            abi::Uuid uuid;
            esta_get_uuid(r, uuid.bytes.data());
            return AbiValue(uuid);
        }
        case ESTA_VALUE_DECIMAL: {
            abi::Decimal decimal;
            esta_get_decimal(r, &decimal.unscaled, &decimal.scale);
            return AbiValue(decimal);
        }
        default:
            esta_reader_fail(r);
            return AbiValue();
    }
}

std::vector<u8> sdk_encode(const AbiValue& value) {
    std::vector<u8> out(abi::encode_value(value).size() + 16);
    esta_writer w;
    esta_writer_init(&w, out.data(), static_cast<esta_u32>(out.size()));
    write(value, &w);
    esta_i32 len = esta_writer_finish(&w);
    EXPECT_GE(len, 0);
    out.resize(len < 0 ? 0 : static_cast<std::size_t>(len));
    return out;
}

// The SDK's verdict on an input: skip one value, then nothing may remain.
bool sdk_accepts(const std::vector<u8>& bytes) {
    esta_reader r;
    esta_reader_init(&r, bytes.data(), static_cast<esta_u32>(bytes.size()));
    esta_skip_value(&r);
    return esta_reader_finish(&r) == 0;
}

class RandomValues {
  public:
    explicit RandomValues(u32 seed) : m_random(seed) {}

    AbiValue value(int depth) {
        int tag = pick(depth >= 3 ? 6 : 11);
        switch (tag) {
            case 0:
                return AbiValue();
            case 1:
                return AbiValue(pick(1) == 1);
            case 2:
                return AbiValue(static_cast<i64>(static_cast<u64>(m_random()) << 32 | m_random()));
            case 3: {
                u64 bits = static_cast<u64>(m_random()) << 32 | m_random();
                f64 number;
                std::memcpy(&number, &bits, sizeof number);
                return AbiValue(number);
            }
            case 4:
                return AbiValue(text());
            case 5: {
                abi::ByteString bytes(pick(20));
                for (u8& byte : bytes)
                    byte = static_cast<u8>(m_random());
                return AbiValue(std::move(bytes));
            }
            case 6:
                return AbiValue(abi::Timestamp{static_cast<i64>(m_random()) - (i64{1} << 30)});
            case 7: {
                abi::Uuid uuid;
                for (u8& byte : uuid.bytes)
                    byte = static_cast<u8>(m_random());
                return AbiValue(uuid);
            }
            case 8:
                return AbiValue(abi::Decimal{static_cast<i64>(m_random()) - (i64{1} << 30),
                                             static_cast<u8>(m_random())});
            case 9: {
                abi::ValueList list;
                for (int i = pick(4); i > 0; --i)
                    list.push_back(value(depth + 1));
                return AbiValue(std::move(list));
            }
            default: {
                abi::ValueMap map;
                for (int i = pick(4); i > 0; --i)
                    map.emplace_back(text(), value(depth + 1));
                return AbiValue(std::move(map));
            }
        }
    }

    int pick(int max) { return static_cast<int>(m_random() % static_cast<u32>(max + 1)); }
    u32 next() { return m_random(); }

  private:
    std::string text() {
        static const char* kPieces[] = {
            "a", "Z", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E"};
        std::string out;
        for (int i = pick(6); i > 0; --i)
            out += kPieces[pick(5)];
        return out;
    }
    std::mt19937 m_random;
};

TEST(SdkValue, K20_EveryTagWrittenByTheCSdkIsWhatTheKernelEncodes) {
    std::vector<u8> expected = abi::encode_value(all_tags());
    std::vector<u8> out(256);
    esta_i32 len = sdk_c_write_all_tags(out.data(), static_cast<esta_u32>(out.size()));
    ASSERT_EQ(len, static_cast<esta_i32>(expected.size()));
    out.resize(static_cast<std::size_t>(len));
    EXPECT_EQ(out, expected);                     // Compiled as C by the host compiler.
    EXPECT_EQ(sdk_encode(all_tags()), expected);  // The same header compiled as C++.
    auto decoded = abi::decode_value(ByteSpan(out.data(), out.size()));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, all_tags());

    esta_i64 sum = 0;
    EXPECT_EQ(sdk_c_read_all_tags(expected.data(), static_cast<esta_u32>(expected.size()), &sum),
              0);
    EXPECT_EQ(sum, -1234567890123 + -12345 + 2);
    esta_reader r;
    esta_reader_init(&r, expected.data(), static_cast<esta_u32>(expected.size()));
    EXPECT_EQ(read(&r), all_tags());
    EXPECT_EQ(esta_reader_finish(&r), 0);
}

TEST(SdkValue, K20_RandomTreesRoundTripBetweenTheSdkAndTheKernel) {
    RandomValues random(20261128);
    for (int round = 0; round < 2000; ++round) {
        AbiValue value = random.value(0);
        std::vector<u8> kernel = abi::encode_value(value);
        ASSERT_EQ(sdk_encode(value), kernel) << "round " << round;
        esta_reader r;
        esta_reader_init(&r, kernel.data(), static_cast<esta_u32>(kernel.size()));
        AbiValue back = read(&r);
        ASSERT_EQ(esta_reader_finish(&r), 0) << "round " << round;
        // Compared through the encoding: a NaN payload is kept bit for bit but is not ==.
        ASSERT_EQ(abi::encode_value(back), kernel) << "round " << round;
        ASSERT_TRUE(sdk_accepts(kernel));
    }
}

TEST(SdkValue, K20_SdkAcceptsExactlyWhatTheKernelDecodes) {
    RandomValues random(7);
    int rejected = 0;
    for (int round = 0; round < 3000; ++round) {
        std::vector<u8> bytes = abi::encode_value(random.value(0));
        switch (round % 4) {
            case 0:  // Truncated.
                bytes.resize(static_cast<std::size_t>(random.pick(static_cast<int>(bytes.size()))));
                break;
            case 1:  // One byte changed.
                bytes[random.next() % bytes.size()] = static_cast<u8>(random.next());
                break;
            case 2:  // A byte appended.
                bytes.push_back(static_cast<u8>(random.next()));
                break;
            default:  // A small count or length made large.
                bytes[random.next() % bytes.size()] = 0xFF;
                break;
        }
        bool kernel = abi::decode_value(ByteSpan(bytes.data(), bytes.size())).has_value();
        ASSERT_EQ(sdk_accepts(bytes), kernel) << "round " << round;
        rejected += kernel ? 0 : 1;
    }
    EXPECT_GT(rejected, 1000);  // The mutations did exercise rejection.
}

TEST(SdkValue, K20_NestingAndUtf8LimitsMatchTheKernel) {
    for (u32 depth : {31u, 32u, 33u, 40u}) {
        for (bool empty_innermost : {true, false}) {
            std::vector<u8> bytes;
            for (u32 i = 0; i < depth; ++i)
                bytes.insert(bytes.end(), {ESTA_VALUE_LIST, 1, 0, 0, 0});
            if (empty_innermost) {
                bytes.insert(bytes.end(), {ESTA_VALUE_LIST, 0, 0, 0, 0});
            } else {
                bytes.push_back(ESTA_VALUE_NULL);
            }
            bool kernel = abi::decode_value(ByteSpan(bytes.data(), bytes.size())).has_value();
            EXPECT_EQ(sdk_accepts(bytes), kernel) << depth << " " << empty_innermost;
        }
    }
    const std::vector<std::string> texts = {
        "ok",       "\xC0\x80",         "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xE2\x82", "\xF0\x9D\x84\x9E", "\x80",         "\xEF\xBF\xBF"};
    for (const std::string& text : texts) {
        std::vector<u8> bytes = {ESTA_VALUE_TEXT, static_cast<u8>(text.size()), 0, 0, 0};
        bytes.insert(bytes.end(), text.begin(), text.end());
        bool kernel = abi::decode_value(ByteSpan(bytes.data(), bytes.size())).has_value();
        EXPECT_EQ(sdk_accepts(bytes), kernel) << text;
        std::vector<u8> map = {ESTA_VALUE_MAP, 1, 0, 0, 0, static_cast<u8>(text.size()), 0, 0, 0};
        map.insert(map.end(), text.begin(), text.end());
        map.push_back(ESTA_VALUE_NULL);
        kernel = abi::decode_value(ByteSpan(map.data(), map.size())).has_value();
        EXPECT_EQ(sdk_accepts(map), kernel) << "key " << text;
    }
}

TEST(SdkValue, WriterStopsAtItsCapacityAndReportsItOnce) {
    std::vector<u8> expected = abi::encode_value(all_tags());
    for (std::size_t cap = 0; cap < expected.size(); ++cap) {
        std::vector<u8> out(cap + 8, 0xAA);
        esta_writer w;
        esta_writer_init(&w, out.data(), static_cast<esta_u32>(cap));
        write(all_tags(), &w);
        ASSERT_EQ(esta_writer_finish(&w), -ESTA_BUFFER_TOO_SMALL) << cap;
        for (std::size_t i = cap; i < out.size(); ++i)
            ASSERT_EQ(out[i], 0xAA) << "wrote past capacity " << cap;
    }
    std::vector<u8> exact(expected.size());
    EXPECT_EQ(sdk_c_write_all_tags(exact.data(), static_cast<esta_u32>(exact.size())),
              static_cast<esta_i32>(expected.size()));
}

TEST(SdkValue, ReaderErrorsAreStickyAndReadNothingFurther) {
    std::vector<u8> bytes = abi::encode_value(AbiValue(abi::ValueList{AbiValue(i64{5})}));
    esta_reader r;
    esta_reader_init(&r, bytes.data(), static_cast<esta_u32>(bytes.size()));
    esta_u32 n = 7;
    EXPECT_EQ(esta_get_text(&r, &n), nullptr);  // A list is there.
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(r.error, ESTA_INVALID_ARGS);
    EXPECT_EQ(esta_get_list(&r), 0u);  // Would be right, but the error sticks.
    EXPECT_EQ(esta_get_i64(&r), 0);
    EXPECT_EQ(r.pos, 0u);
    EXPECT_EQ(esta_reader_finish(&r), -ESTA_INVALID_ARGS);

    esta_reader_init(&r, bytes.data(), static_cast<esta_u32>(bytes.size()));
    EXPECT_EQ(esta_get_list(&r), 1u);
    EXPECT_EQ(esta_reader_finish(&r), -ESTA_INVALID_ARGS);  // The item is still unread.
    EXPECT_EQ(esta_get_i64(&r), 5);
    EXPECT_EQ(esta_reader_finish(&r), 0);
}

TEST(SdkValue, MapFindGivesAReaderOverOneEntry) {
    std::vector<u8> bytes = abi::encode_value(all_tags());
    esta_reader r;
    esta_reader_init(&r, bytes.data(), static_cast<esta_u32>(bytes.size()));
    esta_reader value;
    ASSERT_EQ(esta_map_find(&r, "list", 4, &value), 1);
    EXPECT_EQ(read(&value), *all_tags().find("list"));
    EXPECT_EQ(esta_reader_finish(&value), 0);
    EXPECT_EQ(esta_map_find(&r, "lis", 3, &value), 0);
    EXPECT_EQ(r.pos, 0u);  // The map's reader did not move.
    bytes.resize(bytes.size() - 1);
    esta_reader_init(&r, bytes.data(), static_cast<esta_u32>(bytes.size()));
    EXPECT_EQ(esta_map_find(&r, "absent", 6, &value), -ESTA_INVALID_ARGS);
}

TEST(SdkMessage, InfoRecordDecodesInAbiOrder) {
    u8 raw[ESTA_LIMIT_INFO_SIZE];
    for (u32 i = 0; i < sizeof raw; ++i)
        raw[i] = static_cast<u8>(i);
    raw[0] = ESTA_LIMIT_INFO_SIZE, raw[1] = raw[2] = raw[3] = 0;
    esta_info info;
    ASSERT_EQ(sdk_c_decode_info(raw, sizeof raw, &info), 0);
    esta_info direct;
    std::memcpy(&direct, raw, sizeof direct);  // The struct is the record on little-endian.
    EXPECT_EQ(std::memcmp(&info, &direct, sizeof info), 0);
    EXPECT_EQ(info.seq, 0x1716151413121110u);
    EXPECT_EQ(esta_info_priority(&info), (0x0F0E0D0Cu >> 8) & 7u);
    EXPECT_EQ(esta_info_handle_count(&info), 4u);  // handles_n is 0x27262524: clamped.
    EXPECT_EQ(esta_info_handle(&info, 4), -ESTA_NOT_FOUND);
    EXPECT_EQ(sdk_c_decode_info(raw, sizeof raw - 1, &info), -ESTA_INVALID_ARGS);
    raw[0] = 71;
    EXPECT_EQ(sdk_c_decode_info(raw, sizeof raw, &info), -ESTA_INVALID_ARGS);
}

TEST(SdkMessage, StatusAndHandleHelpers) {
    EXPECT_EQ(esta_status(-ESTA_REVOKED), ESTA_REVOKED);
    EXPECT_EQ(esta_status(7), ESTA_OK);
    EXPECT_TRUE(esta_failed(-1));
    EXPECT_FALSE(esta_is_handle(0));
    EXPECT_TRUE(esta_is_handle(0x10001));
    esta_handle_list list;
    esta_handle_list_init(&list);
    for (int i = 1; i <= 5; ++i)
        esta_handle_list_add(&list, i);
    EXPECT_EQ(list.count, 4u);
    EXPECT_EQ(list.error, ESTA_LIMIT);
}

}  // namespace
}  // namespace esta::kernel
