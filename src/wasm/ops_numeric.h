// The numeric operators of scalar WebAssembly 2.0, as small functors the interpreter's handlers
// call (`binary<u32, ops::Add>(frame)`). Header-only so every call inlines into its handler.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html
//
// Contract shared by every operator:
// - Each functor is a class template over its operand type (or a pair `<To, From>` for
//   conversions) with `using Operand`, `using Result`, `static constexpr std::string_view name`
//   (the instruction's text name, "i32.add") and a const `operator()` taking one or two
//   `Operand`s. The same template may serve several instructions: `Add<u32>` is "i32.add",
//   `Add<f64>` is "f64.add".
// - Value representation: integers travel as unsigned `u32`/`u64` (the interpreter's slots are
//   untagged bits); the signed instructions reinterpret them as two's complement internally.
//   Floats travel as native `f32`/`f64`. On the supported targets (x86-64 with SSE2, AArch64)
//   moving a float through a register keeps its bits, signalling NaNs included; the checks below
//   refuse to build where that or IEEE 754 binary32/binary64 evaluation is not given.
// - Trapping operators (div/rem and the non-saturating float-to-int truncations) return
//   `Checked<Result>`: either `ok()` with a value, or a `TrapKind` plus the spec's wording of
//   the reason. No exceptions, no out-parameters; once inlined the struct lives in registers.
//   All other operators return the plain value.
// - Determinism (REQUIREMENTS T-5, E-3): every operator that computes a float and can produce a
//   NaN returns the canonical NaN with positive sign (f32 0x7FC00000, f64 0x7FF8000000000000),
//   whatever NaN the host's hardware would propagate. abs, neg, copysign and reinterpret work on
//   bits and keep NaN payloads exactly. Nothing here depends on the host's floating-point
//   environment beyond the default round-to-nearest-even (which + - * / sqrt and demote use, as
//   IEEE 754 defines them): `nearest` and the integer-to-float conversions round by hand, and
//   the libm functions used (ceil, floor, trunc, sqrt) are exact or correctly rounded.
//   `float_environment_is_default()` tells whether a thread's environment is that default.
// - No operator has undefined behaviour for any input: shift counts are taken modulo the width,
//   INT_MIN / -1 traps and INT_MIN % -1 is 0, and float-to-int range checks happen on the float
//   side before any conversion.
//
// Use from a handler, with `Op` a template template parameter or a complete functor type:
//   slot = ops::Add<u32>{}(a, b);                          // i32.add
//   const auto result = ops::DivS<u64>{}(a, b);            // i64.div_s
//   if (!result.ok()) return trap(result.trap, result.reason);
//   slot = ops::TruncSatU<u32, f64>{}(x);                  // i32.trunc_sat_f64_u
#pragma once

#include <bit>
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <concepts>
#include <limits>
#include <string_view>
#include <type_traits>

#include "base/types.h"
#include "wasm/trap.h"

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "wasm floats need IEEE 754 binary32 and binary64");
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "wasm floats need each operation evaluated in its own precision (FLT_EVAL_METHOD == 0)"
#endif
#if defined(__FAST_MATH__)
#error "fast-math breaks wasm float semantics (REQUIREMENTS T-5)"
#endif

namespace esta::wasm::ops {

// ---------------------------------------------------------------------------------------------
// Shared vocabulary.

template <class T>
concept WasmInt = std::same_as<T, u32> || std::same_as<T, u64>;
template <class T>
concept WasmFloat = std::same_as<T, f32> || std::same_as<T, f64>;
template <class T>
concept WasmNumber = WasmInt<T> || WasmFloat<T>;

// The spec's trap reasons, as its test suite spells them.
inline constexpr const char* kReasonDivideByZero = "integer divide by zero";
inline constexpr const char* kReasonIntegerOverflow = "integer overflow";
inline constexpr const char* kReasonInvalidConversion = "invalid conversion to integer";

// The result of an operator that may trap: a value when `ok()`, else a trap kind and reason.
template <class T>
struct [[nodiscard]] Checked {
    T value{};
    TrapKind trap = TrapKind::None;
    const char* reason = "";

    [[nodiscard]] constexpr bool ok() const { return trap == TrapKind::None; }
};

namespace detail {

template <class T>
constexpr Checked<T> trap(TrapKind kind, const char* reason) {
    return Checked<T>{T{}, kind, reason};
}

// Picks an operator's text name by its operand type, so one template serves i32 and i64 (or
// f32 and f64, or all four).
template <class T>
constexpr std::string_view by_type(std::string_view i32_name, std::string_view i64_name,
                                   std::string_view f32_name = {}, std::string_view f64_name = {}) {
    if constexpr (std::same_as<T, u32>) return i32_name;
    if constexpr (std::same_as<T, u64>) return i64_name;
    if constexpr (std::same_as<T, f32>) return f32_name;
    if constexpr (std::same_as<T, f64>) return f64_name;
}
template <class T>
constexpr std::string_view by_float_type(std::string_view f32_name, std::string_view f64_name) {
    return std::same_as<T, f32> ? f32_name : f64_name;
}
// Picks a conversion's text name by the widths of its result and operand.
template <class To, class From>
constexpr std::string_view by_widths(std::string_view to32_from32, std::string_view to32_from64,
                                     std::string_view to64_from32, std::string_view to64_from64) {
    if constexpr (sizeof(To) == 4) return sizeof(From) == 4 ? to32_from32 : to32_from64;
    if constexpr (sizeof(To) == 8) return sizeof(From) == 4 ? to64_from32 : to64_from64;
}

template <WasmInt T>
using Signed = std::make_signed_t<T>;
template <WasmInt T>
inline constexpr T kShiftMask = sizeof(T) * 8 - 1;

template <WasmFloat F>
using Bits = std::conditional_t<sizeof(F) == 4, u32, u64>;
template <WasmFloat F>
inline constexpr Bits<F> kSignBit = Bits<F>{1} << (sizeof(F) * 8 - 1);
template <WasmFloat F>
inline constexpr int kMantissaBits = std::numeric_limits<F>::digits - 1;  // 23 or 52.
template <WasmFloat F>
inline constexpr int kExponentBias = std::numeric_limits<F>::max_exponent - 1;  // 127 or 1023.

template <WasmFloat F>
constexpr Bits<F> bits(F value) {
    return std::bit_cast<Bits<F>>(value);
}
template <WasmFloat F>
constexpr F from_bits(Bits<F> value) {
    return std::bit_cast<F>(value);
}

// 2^exponent for a normal exponent, built from bits so no library call or rounding is involved.
template <WasmFloat F>
constexpr F power_of_two(int exponent) {
    return from_bits<F>(static_cast<Bits<F>>(exponent + kExponentBias<F>) << kMantissaBits<F>);
}

// The canonical NaN: quiet, positive, empty payload.
template <WasmFloat F>
constexpr F canonical_nan() {
    if constexpr (sizeof(F) == 4) {
        return from_bits<F>(0x7FC00000u);
    } else {
        return from_bits<F>(0x7FF8000000000000u);
    }
}

// A NaN test usable in constant expressions (std::isnan is not constexpr in C++20). Without
// fast-math, which the checks above exclude, a NaN is the only value unequal to itself.
template <WasmFloat F>
constexpr bool is_nan(F value) {
    return value != value;
}

// Every float result that may be a NaN passes through here (REQUIREMENTS T-5).
template <WasmFloat F>
constexpr F canonicalize(F value) {
    return is_nan(value) ? canonical_nan<F>() : value;
}

template <WasmFloat F>
constexpr F with_sign_of(F magnitude, F sign) {
    return from_bits<F>((bits(magnitude) & ~kSignBit<F>) | (bits(sign) & kSignBit<F>));
}

// Rounds sign * magnitude to the nearest F, ties to even, using integer arithmetic only, so
// the result does not depend on how the compiler lowers a 64-bit integer conversion (a detour
// through f64 would round twice for u64 -> f32) nor on the host's rounding mode.
template <WasmFloat F>
constexpr F round_integer(u64 magnitude, bool negative) {
    constexpr int kDigits = std::numeric_limits<F>::digits;  // 24 or 53 significant bits.
    const F sign = negative ? F{-1} : F{1};
    const int width = std::bit_width(magnitude);
    // Exact: the conversion does not round.
    if (width <= kDigits) return sign * static_cast<F>(magnitude);
    int shift = width - kDigits;
    u64 kept = magnitude >> shift;
    const u64 dropped = magnitude & ((u64{1} << shift) - 1);
    const u64 half = u64{1} << (shift - 1);
    if (dropped > half || (dropped == half && (kept & 1) != 0)) {
        ++kept;
        if (kept == (u64{1} << kDigits)) {  // Rounding carried into a new bit.
            kept >>= 1;
            ++shift;
        }
    }
    // Every factor is exact and the product (at most 2^64) is normal, so it is exact too.
    return sign * static_cast<F>(kept) * power_of_two<F>(shift);
}

// Whether x truncates to a value in [-2^(width-1), 2^(width-1)) (signed) or [0, 2^width)
// (unsigned). The bounds are compared on the float side, so the later conversion has no UB.
// NaN fails both comparisons.
template <WasmInt To, bool kSigned, WasmFloat From>
constexpr bool truncates_in_range(From x) {
    constexpr int kWidth = sizeof(To) * 8;
    if constexpr (kSigned) {
        constexpr From kUpper = power_of_two<From>(kWidth - 1);
        if constexpr (std::numeric_limits<From>::digits >= kWidth) {
            // -2^(width-1) - 1 is representable (f64 -> i32): everything above it truncates in.
            return x > -kUpper - From{1} && x < kUpper;
        } else {
            // No float lies strictly between -2^(width-1) - 1 and -2^(width-1).
            return x >= -kUpper && x < kUpper;
        }
    } else {
        constexpr From kUpper = power_of_two<From>(kWidth);
        return x > From{-1} && x < kUpper;
    }
}

}  // namespace detail

// Whether the calling thread's floating-point environment is the one these operators assume:
// round-to-nearest-even, and subnormals neither flushed to zero (FTZ) nor read as zero (DAZ).
// A library built with fast-math can change this behind the engine's back (it sets FTZ/DAZ in
// its startup code), so an embedder checks it once per thread before running guests. Cheap: a
// few float operations on volatile values, which keep the compiler from folding them away.
inline bool float_environment_is_default() {
    if (std::fegetround() != FE_TONEAREST) return false;
    volatile f32 smallest_normal = 0x1p-126f;
    volatile f32 half = 0.5f;
    volatile f32 smallest_subnormal = 0x1p-149f;
    const f32 produced = smallest_normal * half;               // Zero under FTZ.
    const f32 read = smallest_subnormal + smallest_subnormal;  // Zero under DAZ.
    // Compared as bits: under DAZ a float comparison would see both subnormals as zero.
    return std::bit_cast<u32>(produced) == 0x00400000u && std::bit_cast<u32>(read) == 2u;
}

// ---------------------------------------------------------------------------------------------
// Integer operators.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#integer-operations

template <WasmInt T>
struct Clz {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.clz", "i64.clz");
    constexpr T operator()(T a) const { return static_cast<T>(std::countl_zero(a)); }
};

template <WasmInt T>
struct Ctz {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.ctz", "i64.ctz");
    constexpr T operator()(T a) const { return static_cast<T>(std::countr_zero(a)); }
};

template <WasmInt T>
struct Popcnt {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.popcnt", "i64.popcnt");
    constexpr T operator()(T a) const { return static_cast<T>(std::popcount(a)); }
};

template <WasmInt T>
struct Eqz {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.eqz", "i64.eqz");
    constexpr u32 operator()(T a) const { return a == 0; }
};

// Unsigned arithmetic wraps modulo 2^width, which is exactly wasm's add/sub/mul. The float
// instantiations round to nearest and canonicalize NaNs.
template <WasmNumber T>
struct Add {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name =
        detail::by_type<T>("i32.add", "i64.add", "f32.add", "f64.add");
    constexpr T operator()(T a, T b) const {
        if constexpr (WasmFloat<T>) {
            return detail::canonicalize(a + b);
        } else {
            return a + b;
        }
    }
};

template <WasmNumber T>
struct Sub {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name =
        detail::by_type<T>("i32.sub", "i64.sub", "f32.sub", "f64.sub");
    constexpr T operator()(T a, T b) const {
        if constexpr (WasmFloat<T>) {
            return detail::canonicalize(a - b);
        } else {
            return a - b;
        }
    }
};

template <WasmNumber T>
struct Mul {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name =
        detail::by_type<T>("i32.mul", "i64.mul", "f32.mul", "f64.mul");
    constexpr T operator()(T a, T b) const {
        if constexpr (WasmFloat<T>) {
            return detail::canonicalize(a * b);
        } else {
            return a * b;
        }
    }
};

template <WasmInt T>
struct DivS {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.div_s", "i64.div_s");
    constexpr Checked<T> operator()(T a, T b) const {
        using S = detail::Signed<T>;
        if (b == 0) return detail::trap<T>(TrapKind::IntegerDivideByZero, kReasonDivideByZero);
        // INT_MIN / -1 = 2^(width-1) is not representable; C++ leaves it undefined.
        if (a == T{1} << (sizeof(T) * 8 - 1) && b == static_cast<T>(-1)) {
            return detail::trap<T>(TrapKind::IntegerOverflow, kReasonIntegerOverflow);
        }
        return {static_cast<T>(static_cast<S>(a) / static_cast<S>(b))};
    }
};

template <WasmInt T>
struct DivU {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.div_u", "i64.div_u");
    constexpr Checked<T> operator()(T a, T b) const {
        if (b == 0) return detail::trap<T>(TrapKind::IntegerDivideByZero, kReasonDivideByZero);
        return {a / b};
    }
};

template <WasmInt T>
struct RemS {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.rem_s", "i64.rem_s");
    constexpr Checked<T> operator()(T a, T b) const {
        using S = detail::Signed<T>;
        if (b == 0) return detail::trap<T>(TrapKind::IntegerDivideByZero, kReasonDivideByZero);
        // Anything % -1 is 0; answering early avoids INT_MIN % -1, which C++ leaves undefined
        // (and x86 faults on).
        if (b == static_cast<T>(-1)) return {T{0}};
        return {static_cast<T>(static_cast<S>(a) % static_cast<S>(b))};
    }
};

template <WasmInt T>
struct RemU {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.rem_u", "i64.rem_u");
    constexpr Checked<T> operator()(T a, T b) const {
        if (b == 0) return detail::trap<T>(TrapKind::IntegerDivideByZero, kReasonDivideByZero);
        return {a % b};
    }
};

template <WasmInt T>
struct And {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.and", "i64.and");
    constexpr T operator()(T a, T b) const { return a & b; }
};

template <WasmInt T>
struct Or {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.or", "i64.or");
    constexpr T operator()(T a, T b) const { return a | b; }
};

template <WasmInt T>
struct Xor {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.xor", "i64.xor");
    constexpr T operator()(T a, T b) const { return a ^ b; }
};

// Shift and rotate counts are taken modulo the width, as wasm requires (a C++ shift by the
// width or more would be undefined).
template <WasmInt T>
struct Shl {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.shl", "i64.shl");
    constexpr T operator()(T a, T b) const { return a << (b & detail::kShiftMask<T>); }
};

template <WasmInt T>
struct ShrS {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.shr_s", "i64.shr_s");
    constexpr T operator()(T a, T b) const {
        // C++20 defines >> of a negative value as an arithmetic shift.
        return static_cast<T>(static_cast<detail::Signed<T>>(a) >> (b & detail::kShiftMask<T>));
    }
};

template <WasmInt T>
struct ShrU {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.shr_u", "i64.shr_u");
    constexpr T operator()(T a, T b) const { return a >> (b & detail::kShiftMask<T>); }
};

template <WasmInt T>
struct Rotl {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.rotl", "i64.rotl");
    constexpr T operator()(T a, T b) const {
        return std::rotl(a, static_cast<int>(b & detail::kShiftMask<T>));
    }
};

template <WasmInt T>
struct Rotr {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.rotr", "i64.rotr");
    constexpr T operator()(T a, T b) const {
        return std::rotr(a, static_cast<int>(b & detail::kShiftMask<T>));
    }
};

// Sign extension from the low 8, 16 or 32 bits. C++20 defines the narrowing conversions as
// modulo 2^n, so the casts below are exact bit operations.
template <WasmInt T>
struct Extend8S {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.extend8_s", "i64.extend8_s");
    constexpr T operator()(T a) const { return static_cast<T>(static_cast<i8>(a)); }
};

template <WasmInt T>
struct Extend16S {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_type<T>("i32.extend16_s", "i64.extend16_s");
    constexpr T operator()(T a) const { return static_cast<T>(static_cast<i16>(a)); }
};

template <std::same_as<u64> T>
struct Extend32S {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = "i64.extend32_s";
    constexpr T operator()(T a) const { return static_cast<T>(static_cast<i32>(a)); }
};

// ---------------------------------------------------------------------------------------------
// Comparisons. All produce an i32 (u32) 0 or 1. Eq, Ne and the float orderings follow IEEE 754:
// any comparison with a NaN is false except Ne, and -0 == +0.

template <WasmNumber T>
struct Eq {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name =
        detail::by_type<T>("i32.eq", "i64.eq", "f32.eq", "f64.eq");
    constexpr u32 operator()(T a, T b) const { return a == b; }
};

template <WasmNumber T>
struct Ne {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name =
        detail::by_type<T>("i32.ne", "i64.ne", "f32.ne", "f64.ne");
    constexpr u32 operator()(T a, T b) const { return a != b; }
};

template <WasmInt T>
struct LtS {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.lt_s", "i64.lt_s");
    constexpr u32 operator()(T a, T b) const {
        return static_cast<detail::Signed<T>>(a) < static_cast<detail::Signed<T>>(b);
    }
};

template <WasmInt T>
struct LtU {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.lt_u", "i64.lt_u");
    constexpr u32 operator()(T a, T b) const { return a < b; }
};

template <WasmInt T>
struct GtS {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.gt_s", "i64.gt_s");
    constexpr u32 operator()(T a, T b) const {
        return static_cast<detail::Signed<T>>(a) > static_cast<detail::Signed<T>>(b);
    }
};

template <WasmInt T>
struct GtU {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.gt_u", "i64.gt_u");
    constexpr u32 operator()(T a, T b) const { return a > b; }
};

template <WasmInt T>
struct LeS {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.le_s", "i64.le_s");
    constexpr u32 operator()(T a, T b) const {
        return static_cast<detail::Signed<T>>(a) <= static_cast<detail::Signed<T>>(b);
    }
};

template <WasmInt T>
struct LeU {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.le_u", "i64.le_u");
    constexpr u32 operator()(T a, T b) const { return a <= b; }
};

template <WasmInt T>
struct GeS {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.ge_s", "i64.ge_s");
    constexpr u32 operator()(T a, T b) const {
        return static_cast<detail::Signed<T>>(a) >= static_cast<detail::Signed<T>>(b);
    }
};

template <WasmInt T>
struct GeU {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_type<T>("i32.ge_u", "i64.ge_u");
    constexpr u32 operator()(T a, T b) const { return a >= b; }
};

template <WasmFloat T>
struct Lt {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.lt", "f64.lt");
    constexpr u32 operator()(T a, T b) const { return a < b; }
};

template <WasmFloat T>
struct Gt {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.gt", "f64.gt");
    constexpr u32 operator()(T a, T b) const { return a > b; }
};

template <WasmFloat T>
struct Le {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.le", "f64.le");
    constexpr u32 operator()(T a, T b) const { return a <= b; }
};

template <WasmFloat T>
struct Ge {
    using Operand = T;
    using Result = u32;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.ge", "f64.ge");
    constexpr u32 operator()(T a, T b) const { return a >= b; }
};

// ---------------------------------------------------------------------------------------------
// Float operators. Add, Sub and Mul are above, shared with the integers.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#floating-point-operations

// abs, neg and copysign touch only the sign bit: they never canonicalize and keep NaN payloads.
template <WasmFloat T>
struct Abs {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.abs", "f64.abs");
    constexpr T operator()(T a) const {
        return detail::from_bits<T>(detail::bits(a) & ~detail::kSignBit<T>);
    }
};

template <WasmFloat T>
struct Neg {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.neg", "f64.neg");
    constexpr T operator()(T a) const {
        return detail::from_bits<T>(detail::bits(a) ^ detail::kSignBit<T>);
    }
};

template <WasmFloat T>
struct Copysign {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name =
        detail::by_float_type<T>("f32.copysign", "f64.copysign");
    constexpr T operator()(T a, T b) const { return detail::with_sign_of(a, b); }
};

// ceil, floor and trunc produce an exact result (never rounded), so the libm functions do not
// depend on the rounding mode. They keep the sign of zero: ceil(-0.5) is -0.
template <WasmFloat T>
struct Ceil {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.ceil", "f64.ceil");
    T operator()(T a) const { return detail::canonicalize(std::ceil(a)); }
};

template <WasmFloat T>
struct Floor {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.floor", "f64.floor");
    T operator()(T a) const { return detail::canonicalize(std::floor(a)); }
};

template <WasmFloat T>
struct Trunc {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.trunc", "f64.trunc");
    T operator()(T a) const { return detail::canonicalize(std::trunc(a)); }
};

// Round to the nearest integer, ties to even, done by hand on the bits: std::nearbyint would
// follow whatever rounding mode the host thread happens to have (and is a library call on
// baseline x86-64).
template <WasmFloat T>
struct Nearest {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.nearest", "f64.nearest");
    constexpr T operator()(T a) const {
        using Bits = detail::Bits<T>;
        constexpr int kMantissaBits = detail::kMantissaBits<T>;
        const Bits raw = detail::bits(a);
        const Bits sign = raw & detail::kSignBit<T>;
        const int exponent = static_cast<int>((raw & ~detail::kSignBit<T>) >> kMantissaBits) -
                             detail::kExponentBias<T>;
        // From 2^mantissa_bits up every float is an integer; infinities and NaNs are here too.
        if (exponent >= kMantissaBits) return detail::canonicalize(a);
        // |a| < 0.5 rounds to a zero, 0.5 <= |a| < 1 to a zero (exactly 0.5, a tie) or a one.
        // Both keep the sign: nearest(-0.5) is -0.
        if (exponent < -1) return detail::from_bits<T>(sign);
        if (exponent == -1) {
            const bool above_half = (raw & ~detail::kSignBit<T>) > detail::bits(T{0.5});
            return detail::from_bits<T>(sign | (above_half ? detail::bits(T{1}) : Bits{0}));
        }
        // 1 <= |a| < 2^mantissa_bits: the low `kMantissaBits - exponent` bits are the fraction
        // and `unit` is the integer part's lowest bit. For exponent 0 that is the exponent
        // field's lowest bit, which is 1 like the integer part (the bias is odd), so the
        // parity test below holds there too.
        const Bits unit = Bits{1} << (kMantissaBits - exponent);
        const Bits fraction = raw & (unit - 1);
        const Bits half = unit >> 1;
        Bits whole = raw & ~(unit - 1);
        // A carry out of the mantissa increments the exponent: the next power of two, exactly.
        if (fraction > half || (fraction == half && (whole & unit) != 0)) whole += unit;
        return detail::from_bits<T>(whole);
    }
};

template <WasmFloat T>
struct Sqrt {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.sqrt", "f64.sqrt");
    // IEEE 754 requires sqrt to be correctly rounded; sqrt(-x) yields the host's default NaN,
    // which is negative on x86, hence the canonicalization.
    T operator()(T a) const { return detail::canonicalize(std::sqrt(a)); }
};

template <WasmFloat T>
struct Div {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.div", "f64.div");
    constexpr T operator()(T a, T b) const { return detail::canonicalize(a / b); }
};

// wasm's min and max differ from std::fmin/fmax and from `a < b ? a : b`: a NaN operand makes
// the result NaN, and -0 is less than +0.
template <WasmFloat T>
struct Min {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.min", "f64.min");
    constexpr T operator()(T a, T b) const {
        if (detail::is_nan(a) || detail::is_nan(b)) return detail::canonical_nan<T>();
        // Equal operands differ at most in the sign of zero; OR-ing the bits picks -0.
        if (a == b) return detail::from_bits<T>(detail::bits(a) | detail::bits(b));
        return a < b ? a : b;
    }
};

template <WasmFloat T>
struct Max {
    using Operand = T;
    using Result = T;
    static constexpr std::string_view name = detail::by_float_type<T>("f32.max", "f64.max");
    constexpr T operator()(T a, T b) const {
        if (detail::is_nan(a) || detail::is_nan(b)) return detail::canonical_nan<T>();
        // Equal operands differ at most in the sign of zero; AND-ing the bits picks +0.
        if (a == b) return detail::from_bits<T>(detail::bits(a) & detail::bits(b));
        return a > b ? a : b;
    }
};

// ---------------------------------------------------------------------------------------------
// Conversions: plain functors where the types are fixed, `<To, From>` templates for the families
// that span several. Integers are still passed as u32/u64; `S`/`U` in the name says how the
// integer side is read.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#conversions

struct Wrap {
    using Operand = u64;
    using Result = u32;
    static constexpr std::string_view name = "i32.wrap_i64";
    constexpr u32 operator()(u64 a) const { return static_cast<u32>(a); }
};

struct ExtendS {
    using Operand = u32;
    using Result = u64;
    static constexpr std::string_view name = "i64.extend_i32_s";
    constexpr u64 operator()(u32 a) const { return static_cast<u64>(static_cast<i32>(a)); }
};

struct ExtendU {
    using Operand = u32;
    using Result = u64;
    static constexpr std::string_view name = "i64.extend_i32_u";
    constexpr u64 operator()(u32 a) const { return a; }
};

// Float to integer, trapping: NaN is an invalid conversion, a value whose truncation does not
// fit is an overflow. Both are TrapKind::IntegerOverflow (4003) with different reasons.
template <WasmInt To, WasmFloat From>
struct TruncS {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "i32.trunc_f32_s", "i32.trunc_f64_s", "i64.trunc_f32_s", "i64.trunc_f64_s");
    constexpr Checked<To> operator()(From a) const {
        if (!detail::truncates_in_range<To, true>(a)) {
            if (detail::is_nan(a)) {
                return detail::trap<To>(TrapKind::IntegerOverflow, kReasonInvalidConversion);
            }
            return detail::trap<To>(TrapKind::IntegerOverflow, kReasonIntegerOverflow);
        }
        return {static_cast<To>(static_cast<detail::Signed<To>>(a))};
    }
};

template <WasmInt To, WasmFloat From>
struct TruncU {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "i32.trunc_f32_u", "i32.trunc_f64_u", "i64.trunc_f32_u", "i64.trunc_f64_u");
    constexpr Checked<To> operator()(From a) const {
        if (!detail::truncates_in_range<To, false>(a)) {
            if (detail::is_nan(a)) {
                return detail::trap<To>(TrapKind::IntegerOverflow, kReasonInvalidConversion);
            }
            return detail::trap<To>(TrapKind::IntegerOverflow, kReasonIntegerOverflow);
        }
        return {static_cast<To>(a)};
    }
};

// Float to integer, saturating: NaN becomes 0, out-of-range values the nearest bound.
template <WasmInt To, WasmFloat From>
struct TruncSatS {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "i32.trunc_sat_f32_s", "i32.trunc_sat_f64_s", "i64.trunc_sat_f32_s", "i64.trunc_sat_f64_s");
    constexpr To operator()(From a) const {
        using S = detail::Signed<To>;
        if (detail::truncates_in_range<To, true>(a)) return static_cast<To>(static_cast<S>(a));
        if (detail::is_nan(a)) return 0;
        return static_cast<To>(a < 0 ? std::numeric_limits<S>::min()
                                     : std::numeric_limits<S>::max());
    }
};

template <WasmInt To, WasmFloat From>
struct TruncSatU {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_u", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_u");
    constexpr To operator()(From a) const {
        if (detail::truncates_in_range<To, false>(a)) return static_cast<To>(a);
        if (detail::is_nan(a)) return 0;
        return a < 0 ? To{0} : std::numeric_limits<To>::max();
    }
};

// Integer to float, correctly rounded (ties to even) by detail::round_integer.
template <WasmFloat To, WasmInt From>
struct ConvertS {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "f32.convert_i32_s", "f32.convert_i64_s", "f64.convert_i32_s", "f64.convert_i64_s");
    constexpr To operator()(From a) const {
        const bool negative = static_cast<detail::Signed<From>>(a) < 0;
        // Unsigned negation is modular, so INT_MIN maps to its magnitude 2^(width-1).
        const u64 magnitude = negative ? static_cast<u64>(From{0} - a) : static_cast<u64>(a);
        return detail::round_integer<To>(magnitude, negative);
    }
};

template <WasmFloat To, WasmInt From>
struct ConvertU {
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_widths<To, From>(
        "f32.convert_i32_u", "f32.convert_i64_u", "f64.convert_i32_u", "f64.convert_i64_u");
    constexpr To operator()(From a) const { return detail::round_integer<To>(a, false); }
};

// f64 -> f32 rounds to nearest (IEEE 754 conversion; overflow gives infinity); f32 -> f64 is
// exact. Either way a NaN comes out canonical.
struct Demote {
    using Operand = f64;
    using Result = f32;
    static constexpr std::string_view name = "f32.demote_f64";
    constexpr f32 operator()(f64 a) const { return detail::canonicalize(static_cast<f32>(a)); }
};

struct Promote {
    using Operand = f32;
    using Result = f64;
    static constexpr std::string_view name = "f64.promote_f32";
    constexpr f64 operator()(f32 a) const { return detail::canonicalize(static_cast<f64>(a)); }
};

// Bit-exact reinterpretation between a float and the integer of the same width.
template <WasmNumber To, WasmNumber From>
struct Reinterpret {
    static_assert(sizeof(To) == sizeof(From) && WasmInt<To> != WasmInt<From>,
                  "reinterpret pairs a float with the integer of the same width");
    using Operand = From;
    using Result = To;
    static constexpr std::string_view name = detail::by_type<To>(
        "i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64");
    constexpr To operator()(From a) const { return std::bit_cast<To>(a); }
};

}  // namespace esta::wasm::ops
