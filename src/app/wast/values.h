// Between script values and engine values: building call arguments, and deciding whether
// a result matches an expectation (exact bits, NaN patterns, reference identity).
#pragma once

#include <optional>
#include <string>

#include "app/wast/script.h"
#include "base/result.h"
#include "wasm/wasm.h"

namespace esta::app::wast {

// The engine value for an argument. Status::NotSupported for values a script cannot pass
// (a non-null funcref).
Result<wasm::Value> to_engine_value(const ScriptValue& value);

// True when `actual` satisfies `expected`: same type, then bits, NaN pattern or reference.
bool matches(const ScriptValue& expected, const wasm::Value& actual);

// True when the 16 bytes `actual` satisfy the v128 `expected`, lane by lane (bits, or the
// lane's NaN pattern).
bool matches_v128(const ScriptValue& expected, const std::array<u8, 16>& actual);

// True for the canonical NaN (either sign) / any quiet NaN, of f32 or f64 bits.
bool is_canonical_nan_f32(u32 bits);
bool is_arithmetic_nan_f32(u32 bits);
bool is_canonical_nan_f64(u64 bits);
bool is_arithmetic_nan_f64(u64 bits);

// "i32:42 (0x0000002a)": the engine value in the same notation as to_string(ScriptValue).
std::string describe(const wasm::Value& value);

// True when a trap of `kind` with `reason` is what a script expecting `text` (the spec
// interpreter's message, e.g. "integer divide by zero") means. The reason text is compared
// first; failing that, the kind decides, so an engine free to word its reasons differently
// still passes while a trap of the wrong kind fails.
bool trap_matches(std::string_view text, wasm::TrapKind kind, std::string_view reason);

}  // namespace esta::app::wast
