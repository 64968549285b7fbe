// SIMD integer shifts, popcnt, and the operators that multiply or add into wider lanes:
// q15mulr_sat_s, dot, extmul, extadd_pairwise. Included by ops_simd.h; see
// ops_simd_common.h for the portable / host contract.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#integer-operations
#pragma once

#include "wasm/ops_simd_int.h"

namespace esta::wasm::ops::simd {

// ---------------------------------------------------------------------------------------------
// Shifts. The count is an i32 taken modulo the lane width, as for the scalar shifts.

template <IntShape S>
struct Shl : detail::Dispatch<Shl<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.shl", "i16x8.shl", "i32x4.shl", "i64x2.shl");
    static V128 portable(V128 a, u32 count) {
        using L = typename S::Lane;
        const unsigned shift = count % S::kLaneBits;
        // Shifted as u32 / u64 so a promoted narrow lane never shifts into an int's sign bit.
        using Wide = std::conditional_t<sizeof(L) == 8, u64, u32>;
        return detail::map1<S>(a, [shift](L x) { return static_cast<Wide>(x) << shift; });
    }
#if ESTA_SIMD_HOST
    // i8x16 and i16x8 only: for wider lanes the portable loop is as fast (bench_simd).
    static V128 host(V128 a, u32 count) requires(std::same_as<S, I8x16> || std::same_as<S, I16x8>) {
        using namespace detail;
        const int shift = static_cast<int>(count % S::kLaneBits);
        const __m128i amount = _mm_cvtsi32_si128(shift);
        if constexpr (std::same_as<S, I8x16>) {
            // Shift 16-bit lanes, then clear the bits each high byte received from its neighbour.
            const __m128i kept = _mm_set1_epi8(static_cast<char>(0xFF << shift));
            return from_i(_mm_and_si128(_mm_sll_epi16(to_i(a), amount), kept));
        }
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_sll_epi16(to_i(a), amount));
    }
#endif
};

template <IntShape S>
struct ShrS : detail::Dispatch<ShrS<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.shr_s", "i16x8.shr_s", "i32x4.shr_s", "i64x2.shr_s");
    static V128 portable(V128 a, u32 count) {
        using L = typename S::Lane;
        const unsigned shift = count % S::kLaneBits;
        // C++20 defines >> of a negative value as arithmetic.
        return detail::map1<S>(
            a, [shift](L x) { return static_cast<L>(detail::as_signed(x) >> shift); });
    }
#if ESTA_SIMD_HOST
    // i8x16 and i16x8 only, as for Shl.
    static V128 host(V128 a, u32 count) requires(std::same_as<S, I8x16> || std::same_as<S, I16x8>) {
        using namespace detail;
        const int shift = static_cast<int>(count % S::kLaneBits);
        if constexpr (std::same_as<S, I8x16>) {
            // Each byte doubled into a 16-bit lane (x:x), shifted right by 8 + shift, is the
            // sign-extended byte shifted; packing back cannot saturate.
            const __m128i amount = _mm_cvtsi32_si128(shift + 8);
            const __m128i low = _mm_sra_epi16(_mm_unpacklo_epi8(to_i(a), to_i(a)), amount);
            const __m128i high = _mm_sra_epi16(_mm_unpackhi_epi8(to_i(a), to_i(a)), amount);
            return from_i(_mm_packs_epi16(low, high));
        }
        const __m128i amount = _mm_cvtsi32_si128(shift);
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_sra_epi16(to_i(a), amount));
    }
#endif
};

template <IntShape S>
struct ShrU : detail::Dispatch<ShrU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.shr_u", "i16x8.shr_u", "i32x4.shr_u", "i64x2.shr_u");
    static V128 portable(V128 a, u32 count) {
        using L = typename S::Lane;
        const unsigned shift = count % S::kLaneBits;
        return detail::map1<S>(a, [shift](L x) { return x >> shift; });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, u32 count) requires(std::same_as<S, I8x16> || std::same_as<S, I16x8>) {
        using namespace detail;
        const int shift = static_cast<int>(count % S::kLaneBits);
        const __m128i amount = _mm_cvtsi32_si128(shift);
        if constexpr (std::same_as<S, I8x16>) {
            const __m128i kept = _mm_set1_epi8(static_cast<char>(0xFF >> shift));
            return from_i(_mm_and_si128(_mm_srl_epi16(to_i(a), amount), kept));
        }
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_srl_epi16(to_i(a), amount));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Bit counting.

struct Popcnt : detail::Dispatch<Popcnt> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "i8x16.popcnt";
    static V128 portable(V128 a) {
        return detail::map1<I8x16>(a, [](u8 x) { return ops::Popcnt<u32>{}(x); });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a) {
        using namespace detail;
        // Bit-parallel counting within each byte; the masks drop bits that the 16-bit shifts
        // carry across byte boundaries.
        const __m128i x = to_i(a);
        const __m128i pairs =
            _mm_sub_epi8(x, _mm_and_si128(_mm_srli_epi16(x, 1), _mm_set1_epi8(0x55)));
        const __m128i nibbles =
            _mm_add_epi8(_mm_and_si128(pairs, _mm_set1_epi8(0x33)),
                         _mm_and_si128(_mm_srli_epi16(pairs, 2), _mm_set1_epi8(0x33)));
        return from_i(
            _mm_and_si128(_mm_add_epi8(nibbles, _mm_srli_epi16(nibbles, 4)), _mm_set1_epi8(0x0F)));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Multiplications into wider intermediates.

// Q15 fixed-point multiply: (a * b + 2^14) >> 15, saturated; only -1 * -1 (0x8000 squared)
// leaves the range.
struct Q15MulrSatS : detail::Dispatch<Q15MulrSatS> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "i16x8.q15mulr_sat_s";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<I16x8>(a, b, [](u16 x, u16 y) {
            const i64 product = i64{detail::as_signed(x)} * detail::as_signed(y);
            return detail::saturate<u16, true>((product + (1 << 14)) >> 15);
        });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
#if defined(__SSSE3__)
        // pmulhrsw computes the same rounding but wraps 0x8000 * 0x8000 to 0x8000.
        const __m128i product = _mm_mulhrs_epi16(to_i(a), to_i(b));
        const __m128i overflow = _mm_cmpeq_epi16(product, _mm_set1_epi16(INT16_MIN));
        return from_i(_mm_xor_si128(product, overflow));
#else
        // Full 32-bit products, rounded and shifted; packs saturates like the spec.
        const __m128i low = _mm_mullo_epi16(to_i(a), to_i(b));
        const __m128i high = _mm_mulhi_epi16(to_i(a), to_i(b));
        const __m128i round = _mm_set1_epi32(1 << 14);
        const __m128i first =
            _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(low, high), round), 15);
        const __m128i second =
            _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(low, high), round), 15);
        return from_i(_mm_packs_epi32(first, second));
#endif
    }
#endif
};

// i32x4.dot_i16x8_s: lane i is a[2i] * b[2i] + a[2i+1] * b[2i+1], signed, wrapping (only
// (-2^15)^2 * 2 = 2^31 wraps, to INT_MIN).
struct Dot : detail::Dispatch<Dot> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "i32x4.dot_i16x8_s";
    static V128 portable(V128 a, V128 b) {
        V128 result;
        for (unsigned i = 0; i < 4; ++i) {
            const i64 sum =
                i64{detail::as_signed(a.lane<u16>(2 * i))} * detail::as_signed(b.lane<u16>(2 * i)) +
                i64{detail::as_signed(a.lane<u16>(2 * i + 1))} *
                    detail::as_signed(b.lane<u16>(2 * i + 1));
            result.set_lane<u32>(i, static_cast<u32>(sum));
        }
        return result;
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        return detail::from_i(_mm_madd_epi16(detail::to_i(a), detail::to_i(b)));
    }
#endif
};

template <class S>
concept WideShape = std::same_as<S, I16x8> || std::same_as<S, I32x4> || std::same_as<S, I64x2>;

namespace detail {

// Lane i of the low or high half of `a`, as the narrow lane type of wide shape S, widened
// with or without sign to a 64-bit integer.
template <WideShape S, bool kHigh, bool kSigned>
i64 half_lane(V128 a, unsigned i) {
    using Narrow = UnsignedOfSize<sizeof(typename S::Lane) / 2>;
    const Narrow lane = a.lane<Narrow>(i + (kHigh ? S::kLanes : 0));
    if constexpr (kSigned) {
        return static_cast<i64>(as_signed(lane));
    } else {
        return static_cast<i64>(lane);
    }
}

}  // namespace detail

// extmul_{low,high}: the low or high half of each operand's narrow lanes, extended and
// multiplied into full-width lanes. S is the result shape. The products always fit.
template <WideShape S, bool kHigh, bool kSigned>
struct ExtMul : detail::Dispatch<ExtMul<S, kHigh, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        {},
        detail::by_half(kHigh, kSigned, "i16x8.extmul_low_i8x16_s", "i16x8.extmul_high_i8x16_s",
                        "i16x8.extmul_low_i8x16_u", "i16x8.extmul_high_i8x16_u"),
        detail::by_half(kHigh, kSigned, "i32x4.extmul_low_i16x8_s", "i32x4.extmul_high_i16x8_s",
                        "i32x4.extmul_low_i16x8_u", "i32x4.extmul_high_i16x8_u"),
        detail::by_half(kHigh, kSigned, "i64x2.extmul_low_i32x4_s", "i64x2.extmul_high_i32x4_s",
                        "i64x2.extmul_low_i32x4_u", "i64x2.extmul_high_i32x4_u"));
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            // |product| <= 2^62 for i32 operands: no i64 overflow; u32 * u32 < 2^64 wraps
            // correctly through the unsigned cast.
            const u64 product = static_cast<u64>(detail::half_lane<S, kHigh, kSigned>(a, i)) *
                                static_cast<u64>(detail::half_lane<S, kHigh, kSigned>(b, i));
            result.set_lane<L>(i, static_cast<L>(product));
        }
        return result;
    }
#if ESTA_SIMD_HOST
    // Not i64x2: two scalar 64-bit multiplies are as fast as pmuludq (bench_simd).
    static V128 host(V128 a, V128 b) requires(!std::same_as<S, I64x2>) {
        using namespace detail;
        const __m128i x = to_i(a);
        const __m128i y = to_i(b);
        if constexpr (std::same_as<S, I16x8>) {
            const __m128i zero = _mm_setzero_si128();
            const __m128i x_ext =
                kSigned ? (kHigh ? _mm_unpackhi_epi8(x, _mm_cmpgt_epi8(zero, x))
                                 : _mm_unpacklo_epi8(x, _mm_cmpgt_epi8(zero, x)))
                        : (kHigh ? _mm_unpackhi_epi8(x, zero) : _mm_unpacklo_epi8(x, zero));
            const __m128i y_ext =
                kSigned ? (kHigh ? _mm_unpackhi_epi8(y, _mm_cmpgt_epi8(zero, y))
                                 : _mm_unpacklo_epi8(y, _mm_cmpgt_epi8(zero, y)))
                        : (kHigh ? _mm_unpackhi_epi8(y, zero) : _mm_unpacklo_epi8(y, zero));
            return from_i(_mm_mullo_epi16(x_ext, y_ext));
        }
        if constexpr (std::same_as<S, I32x4>) {
            const __m128i low = _mm_mullo_epi16(x, y);
            const __m128i high = kSigned ? _mm_mulhi_epi16(x, y) : _mm_mulhi_epu16(x, y);
            return from_i(kHigh ? _mm_unpackhi_epi16(low, high) : _mm_unpacklo_epi16(low, high));
        }
    }
#endif
};

// extadd_pairwise: lane i is the sum of narrow lanes 2i and 2i+1, extended first. S is the
// result shape (i16x8 from i8x16, i32x4 from i16x8); the sums always fit.
template <class S, bool kSigned>
requires std::same_as<S, I16x8> || std::same_as<S, I32x4>
struct ExtAddPairwise : detail::Dispatch<ExtAddPairwise<S, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<S, I16x8>
            ? (kSigned ? "i16x8.extadd_pairwise_i8x16_s" : "i16x8.extadd_pairwise_i8x16_u")
            : (kSigned ? "i32x4.extadd_pairwise_i16x8_s" : "i32x4.extadd_pairwise_i16x8_u");
    static V128 portable(V128 a) {
        using L = typename S::Lane;
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            const i64 sum = detail::half_lane<S, false, kSigned>(a, 2 * i) +
                            detail::half_lane<S, false, kSigned>(a, 2 * i + 1);
            result.set_lane<L>(i, static_cast<L>(sum));
        }
        return result;
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a) {
        using namespace detail;
        const __m128i x = to_i(a);
        if constexpr (std::same_as<S, I16x8>) {
            const __m128i even = kSigned ? _mm_srai_epi16(_mm_slli_epi16(x, 8), 8)
                                         : _mm_and_si128(x, _mm_set1_epi16(0xFF));
            const __m128i odd = kSigned ? _mm_srai_epi16(x, 8) : _mm_srli_epi16(x, 8);
            return from_i(_mm_add_epi16(even, odd));
        } else if constexpr (kSigned) {
            return from_i(_mm_madd_epi16(x, _mm_set1_epi16(1)));
        } else {
            // Biased to signed, summed by pmaddwd, unbiased: (x0 - 2^15) + (x1 - 2^15) + 2^16.
            const __m128i sum = _mm_madd_epi16(flip16(x), _mm_set1_epi16(1));
            return from_i(_mm_add_epi32(sum, _mm_set1_epi32(1 << 16)));
        }
    }
#endif
};

}  // namespace esta::wasm::ops::simd
