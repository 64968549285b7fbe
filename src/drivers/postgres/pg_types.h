// PostgreSQL wire values in binary format: typed parameters out, typed results in
// (ABI.md's mapping: bool, int2/4/8, float4/8, text/varchar, bytea, uuid, json/jsonb as
// text, timestamp(tz) as ns since the epoch, numeric as decimal).
#pragma once

#include <libpq-fe.h>

#include <string>

#include "drivers/sql_driver.h"

namespace esta::drivers::pg {

inline constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                     kJson = 114, kFloat4 = 700, kFloat8 = 701, kVarchar = 1043, kTimestamp = 1114,
                     kTimestampTz = 1184, kNumeric = 1700, kUuid = 2950, kJsonb = 3802,
                     kBpchar = 1042, kName = 19;

// The type a declared parameter is sent as.
Oid param_oid(SqlType type);

// One encoded parameter: bytes and whether they are binary (numeric goes as text).
struct EncodedParam {
    std::string bytes;
    bool is_null = false;
    bool binary = true;
};
EncodedParam encode_param(SqlType type, const Value& value);

// Decodes one binary result cell of type `oid`. Unknown types are NotSupported.
Result<Value> decode_cell(Oid oid, const char* data, int length);

}  // namespace esta::drivers::pg
