#include "drivers/postgres/pg_types.h"

#include <bit>
#include <cstring>

namespace esta::drivers::pg {

namespace {

// PostgreSQL's epoch (2000-01-01) in microseconds since the Unix epoch.
constexpr i64 kPgEpochMicros = 946'684'800'000'000;

template <class T>
void put_big_endian(std::string& out, T value) {
    auto bits =
        std::bit_cast<std::make_unsigned_t<std::conditional_t<sizeof(T) == 8, i64, i32>>>(value);
    for (int shift = static_cast<int>(sizeof(T)) * 8 - 8; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((bits >> shift) & 0xff));
}

u64 get_big_endian(const char* data, int length) {
    u64 value = 0;
    for (int i = 0; i < length; ++i)
        value = (value << 8) | static_cast<u8>(data[i]);
    return value;
}

i64 floor_div(i64 value, i64 divisor) {
    i64 quotient = value / divisor;
    if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
    return quotient;
}

Result<Value> decode_numeric(const char* data, int length) {
    if (length < 8) return Err(Status::DriverError, "sql.numeric_size");
    auto ndigits = static_cast<i16>(get_big_endian(data, 2));
    auto weight = static_cast<i16>(get_big_endian(data + 2, 2));
    auto sign = static_cast<u16>(get_big_endian(data + 4, 2));
    auto dscale = static_cast<u16>(get_big_endian(data + 6, 2));
    if (sign == 0xC000) return Err(Status::DriverError, "sql.numeric_nan");
    if (ndigits < 0 || length != 8 + 2 * ndigits)
        return Err(Status::DriverError, "sql.numeric_size");
    auto digit = [&](int index) -> int {
        if (index < 0 || index >= ndigits) return 0;
        return static_cast<int>(get_big_endian(data + 8 + 2 * index, 2));
    };
    // Base-10000 groups: group i stands for 10000^(weight - i).
    std::string text = sign == 0x4000 ? "-" : "";
    if (weight < 0) {
        text += "0";
    } else {
        for (int group = 0; group <= weight; ++group) {
            std::string part = std::to_string(digit(group));
            if (group > 0) part.insert(0, 4 - part.size(), '0');
            text += part;
        }
    }
    if (dscale > 0) {
        text += ".";
        for (int k = 0; k < dscale; ++k) {
            int group = weight + 1 + k / 4;
            std::string part = std::to_string(digit(group));
            part.insert(0, 4 - part.size(), '0');
            text += part[static_cast<std::size_t>(k % 4)];
        }
    }
    return Value(ESTA_TRY(decimal_from_text(text)));
}

}  // namespace

Oid param_oid(SqlType type) {
    switch (type) {
        case SqlType::Bool:
            return kBool;
        case SqlType::Int:
            return kInt8;
        case SqlType::Float:
            return kFloat8;
        case SqlType::Text:
            return kText;
        case SqlType::Bytes:
            return kBytea;
        case SqlType::Uuid:
            return kUuid;
        case SqlType::Timestamp:
            return kTimestampTz;
        case SqlType::Decimal:
            return kNumeric;
        case SqlType::Json:
            return kJson;
    }
    return 0;
}

EncodedParam encode_param(SqlType type, const Value& value) {
    EncodedParam param;
    if (value.is_null()) {
        param.is_null = true;
        return param;
    }
    switch (type) {
        case SqlType::Bool:
            param.bytes.push_back(*value.get<bool>() ? 1 : 0);
            break;
        case SqlType::Int:
            put_big_endian(param.bytes, *value.get<i64>());
            break;
        case SqlType::Float:
            put_big_endian(param.bytes, value.get<f64>() != nullptr
                                            ? *value.get<f64>()
                                            : static_cast<f64>(*value.get<i64>()));
            break;
        case SqlType::Text:
        case SqlType::Json:
            param.bytes = *value.get<std::string>();
            break;
        case SqlType::Bytes: {
            const ByteString& bytes = *value.get<ByteString>();
            param.bytes.assign(bytes.begin(), bytes.end());
            break;
        }
        case SqlType::Uuid: {
            const auto& uuid = value.get<kernel::abi::Uuid>()->bytes;
            param.bytes.assign(uuid.begin(), uuid.end());
            break;
        }
        case SqlType::Timestamp: {
            // Microseconds since 2000-01-01; nanoseconds below a microsecond are dropped
            // (floor), which is PostgreSQL's resolution.
            i64 micros = floor_div(value.get<kernel::abi::Timestamp>()->ns, 1'000);
            put_big_endian(param.bytes, micros - kPgEpochMicros);
            break;
        }
        case SqlType::Decimal:
            param.bytes = decimal_to_text(*value.get<kernel::abi::Decimal>());
            param.binary = false;
            break;
    }
    return param;
}

Result<Value> decode_cell(Oid oid, const char* data, int length) {
    auto size_is = [&](int expected) -> Result<void> {
        if (length != expected) return Err(Status::DriverError, "sql.cell_size");
        return Ok();
    };
    switch (oid) {
        case kBool:
            ESTA_TRY(size_is(1));
            return Value(data[0] != 0);
        case kInt2:
            ESTA_TRY(size_is(2));
            return Value(static_cast<i64>(static_cast<i16>(get_big_endian(data, 2))));
        case kInt4:
            ESTA_TRY(size_is(4));
            return Value(static_cast<i64>(static_cast<i32>(get_big_endian(data, 4))));
        case kInt8:
            ESTA_TRY(size_is(8));
            return Value(static_cast<i64>(get_big_endian(data, 8)));
        case kFloat4:
            ESTA_TRY(size_is(4));
            return Value(
                static_cast<f64>(std::bit_cast<f32>(static_cast<u32>(get_big_endian(data, 4)))));
        case kFloat8:
            ESTA_TRY(size_is(8));
            return Value(std::bit_cast<f64>(get_big_endian(data, 8)));
        case kText:
        case kVarchar:
        case kBpchar:
        case kName:
        case kJson:
            return Value(std::string(data, static_cast<std::size_t>(length)));
        case kJsonb:
            // Binary jsonb is a version byte (1) and the text.
            if (length < 1 || data[0] != 1) return Err(Status::DriverError, "sql.jsonb_version");
            return Value(std::string(data + 1, static_cast<std::size_t>(length - 1)));
        case kBytea:
            return Value(ByteString(data, data + length));
        case kUuid: {
            ESTA_TRY(size_is(16));
            kernel::abi::Uuid uuid;
            std::memcpy(uuid.bytes.data(), data, 16);
            return Value(uuid);
        }
        case kTimestamp:
        case kTimestampTz: {
            ESTA_TRY(size_is(8));
            i64 micros = static_cast<i64>(get_big_endian(data, 8));
            return Value(kernel::abi::Timestamp{(micros + kPgEpochMicros) * 1'000});
        }
        case kNumeric:
            return decode_numeric(data, length);
        default:
            return Err(Status::NotSupported, "sql.column_type", Detail{.actual = oid});
    }
}

}  // namespace esta::drivers::pg
