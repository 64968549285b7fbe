#include "app/wast/values.h"

#include <initializer_list>

namespace esta::app::wast {

using wasm::TrapKind;
using wasm::ValType;
using wasm::Value;

// Spec: https://webassembly.github.io/spec/core/syntax/values.html#floating-point
// A canonical NaN has only the top mantissa bit set; an arithmetic NaN has at least that.
bool is_canonical_nan_f32(u32 bits) {
    return (bits & 0x7FFF'FFFFu) == 0x7FC0'0000u;
}
bool is_arithmetic_nan_f32(u32 bits) {
    return (bits & 0x7FC0'0000u) == 0x7FC0'0000u;
}
bool is_canonical_nan_f64(u64 bits) {
    return (bits & 0x7FFF'FFFF'FFFF'FFFFull) == 0x7FF8'0000'0000'0000ull;
}
bool is_arithmetic_nan_f64(u64 bits) {
    return (bits & 0x7FF8'0000'0000'0000ull) == 0x7FF8'0000'0000'0000ull;
}

Result<Value> to_engine_value(const ScriptValue& value) {
    if (value.pattern != ScriptValue::Pattern::Exact)
        return Err(Status::InvalidArgs, "wast.argument_pattern");
    switch (value.type) {
        case ValType::I32:
            return Value::i32(u32(value.bits));
        case ValType::I64:
            return Value::i64(value.bits);
        case ValType::F32:
            return Value::f32_bits(u32(value.bits));
        case ValType::F64:
            return Value::f64_bits(value.bits);
        case ValType::ExternRef:
            // Value reserves ~0 as a host value (it stores value + 1, with 0 meaning null).
            if (value.is_null) return Value::null(ValType::ExternRef);
            if (value.bits == ~u64{0}) return Err(Status::NotSupported, "wast.externref_value");
            return Value::externref(value.bits);
        case ValType::FuncRef:
            // A script cannot name a function by number; only null is meaningful.
            if (value.is_null) return Value::null(ValType::FuncRef);
            return Err(Status::NotSupported, "wast.funcref_argument");
        case ValType::V128:
            return Value::v128(wasm::V128::from_bytes(value.v128.data()));
    }
    return Err(Status::NotSupported, "wast.value_type");
}

bool matches(const ScriptValue& expected, const Value& actual) {
    if (expected.type != actual.type()) return false;
    switch (expected.pattern) {
        case ScriptValue::Pattern::CanonicalNan:
            return expected.type == ValType::F32 ? is_canonical_nan_f32(actual.f32_bits())
                                                 : is_canonical_nan_f64(actual.f64_bits());
        case ScriptValue::Pattern::ArithmeticNan:
            return expected.type == ValType::F32 ? is_arithmetic_nan_f32(actual.f32_bits())
                                                 : is_arithmetic_nan_f64(actual.f64_bits());
        case ScriptValue::Pattern::AnyReference:
            return !actual.is_null();
        case ScriptValue::Pattern::Exact:
            break;
    }
    switch (expected.type) {
        case ValType::I32:
        case ValType::F32:
            return actual.as_i32() == u32(expected.bits);
        case ValType::I64:
        case ValType::F64:
            return actual.as_i64() == expected.bits;
        case ValType::ExternRef:
            if (expected.is_null || actual.is_null()) return expected.is_null == actual.is_null();
            return actual.extern_value() == expected.bits;
        case ValType::FuncRef:
            // Scripts name no particular function, so any non-null one matches a non-null.
            return expected.is_null == actual.is_null();
        case ValType::V128:
            return matches_v128(expected, actual.as_v128().bytes);
    }
    return false;
}

bool matches_v128(const ScriptValue& expected, const std::array<u8, 16>& actual) {
    if (expected.type != ValType::V128) return false;
    int count = lane_count(expected.lane_type);
    int width = lane_width(expected.lane_type);
    for (int i = 0; i < count; ++i) {
        u64 bits = 0;
        u64 want = 0;
        for (int byte = 0; byte < width; ++byte) {
            bits |= u64(actual[i * width + byte]) << (8 * byte);
            want |= u64(expected.v128[i * width + byte]) << (8 * byte);
        }
        bool f32 = expected.lane_type == ScriptValue::LaneType::F32;
        bool ok = true;
        switch (expected.lane_patterns[i]) {
            case ScriptValue::Pattern::CanonicalNan:
                ok = f32 ? is_canonical_nan_f32(u32(bits)) : is_canonical_nan_f64(bits);
                break;
            case ScriptValue::Pattern::ArithmeticNan:
                ok = f32 ? is_arithmetic_nan_f32(u32(bits)) : is_arithmetic_nan_f64(bits);
                break;
            default:
                ok = bits == want;
                break;
        }
        if (!ok) return false;
    }
    return true;
}

std::string describe(const Value& value) {
    ScriptValue script;
    script.type = value.type();
    if (wasm::is_reference(value.type())) {
        script.is_null = value.is_null();
        if (!value.is_null()) {
            if (value.type() == ValType::FuncRef) return "funcref:non-null";
            script.bits = value.extern_value();
        }
    } else if (value.type() == ValType::V128) {
        // Shown as i32x4 lanes, whatever shape the script expected.
        script.v128 = value.as_v128().bytes;
        script.lane_type = ScriptValue::LaneType::I32;
    } else {
        script.bits = value.as_i64();
    }
    return to_string(script);
}

bool trap_matches(std::string_view text, TrapKind kind, std::string_view reason) {
    if (!reason.empty() && (text.starts_with(reason) || reason.starts_with(text))) return true;

    struct Meaning {
        std::string_view prefix;
        std::initializer_list<TrapKind> kinds;
    };
    // "undefined element" is a call_indirect index past the table's end: engines file it
    // either as an out-of-bounds table access or as a failed indirect call.
    static const Meaning kMeanings[] = {
        {"unreachable", {TrapKind::Unreachable}},
        {"integer divide by zero", {TrapKind::IntegerDivideByZero}},
        {"integer overflow", {TrapKind::IntegerOverflow}},
        {"invalid conversion to integer", {TrapKind::IntegerOverflow}},
        {"out of bounds", {TrapKind::OutOfBounds}},
        {"undefined element", {TrapKind::OutOfBounds, TrapKind::IndirectCallMismatch}},
        {"uninitialized element", {TrapKind::IndirectCallMismatch}},
        {"indirect call type mismatch", {TrapKind::IndirectCallMismatch}},
        {"call stack exhausted", {TrapKind::CallStackExhausted}},
    };
    for (const auto& meaning : kMeanings) {
        if (!text.starts_with(meaning.prefix)) continue;
        for (TrapKind candidate : meaning.kinds) {
            if (candidate == kind) return true;
        }
        return false;
    }
    // A message this table does not know: any trap other than a resource limit will do.
    return kind != TrapKind::FuelExhausted && kind != TrapKind::Timeout && kind != TrapKind::None;
}

}  // namespace esta::app::wast
