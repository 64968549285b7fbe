// SIMD float lane operators beyond add / sub / mul / neg / abs (ops_simd_int.h): div, sqrt,
// min, max, pmin, pmax, the roundings, and the conversions between float and integer vectors.
// Like the scalar operators, every NaN an operation produces is the positive canonical NaN
// (REQUIREMENTS T-5); pmin and pmax only select an operand, so they keep its bits.
// Included by ops_simd.h; see ops_simd_common.h for the portable / host contract.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#floating-point-operations
#pragma once

#include "wasm/ops_simd_common.h"

namespace esta::wasm::ops::simd {

template <FloatShape S>
struct Div : detail::Dispatch<Div<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.div" : "f64x2.div";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, ops::Div<typename S::Lane>{});
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>)
            return from_ps(canonicalize(_mm_div_ps(to_ps(a), to_ps(b))));
        if constexpr (std::same_as<S, F64x2>)
            return from_pd(canonicalize(_mm_div_pd(to_pd(a), to_pd(b))));
    }
#endif
};

template <FloatShape S>
struct Sqrt : detail::Dispatch<Sqrt<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.sqrt" : "f64x2.sqrt";
    static V128 portable(V128 a) { return detail::map1<S>(a, ops::Sqrt<typename S::Lane>{}); }
#if ESTA_SIMD_HOST
    static V128 host(V128 a) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) return from_ps(canonicalize(_mm_sqrt_ps(to_ps(a))));
        if constexpr (std::same_as<S, F64x2>) return from_pd(canonicalize(_mm_sqrt_pd(to_pd(a))));
    }
#endif
};

// wasm's min / max: a NaN operand gives the canonical NaN and -0 < +0. SSE's minps / maxps
// return the second operand when either is NaN and when both are zeros, so they run both ways
// round: OR-ing the two results picks -0 (AND picks +0), and NaN lanes are replaced after.
template <FloatShape S>
struct Min : detail::Dispatch<Min<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.min" : "f64x2.min";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, ops::Min<typename S::Lane>{});
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) {
            const __m128 x = to_ps(a);
            const __m128 y = to_ps(b);
            const __m128 either = _mm_or_ps(_mm_min_ps(x, y), _mm_min_ps(y, x));
            return from_ps(select(_mm_cmpunord_ps(x, y),
                                  _mm_set1_ps(ops::detail::canonical_nan<f32>()), either));
        } else {
            const __m128d x = to_pd(a);
            const __m128d y = to_pd(b);
            const __m128d either = _mm_or_pd(_mm_min_pd(x, y), _mm_min_pd(y, x));
            return from_pd(select(_mm_cmpunord_pd(x, y),
                                  _mm_set1_pd(ops::detail::canonical_nan<f64>()), either));
        }
    }
#endif
};

template <FloatShape S>
struct Max : detail::Dispatch<Max<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.max" : "f64x2.max";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, ops::Max<typename S::Lane>{});
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) {
            const __m128 x = to_ps(a);
            const __m128 y = to_ps(b);
            const __m128 both = _mm_and_ps(_mm_max_ps(x, y), _mm_max_ps(y, x));
            return from_ps(select(_mm_cmpunord_ps(x, y),
                                  _mm_set1_ps(ops::detail::canonical_nan<f32>()), both));
        } else {
            const __m128d x = to_pd(a);
            const __m128d y = to_pd(b);
            const __m128d both = _mm_and_pd(_mm_max_pd(x, y), _mm_max_pd(y, x));
            return from_pd(select(_mm_cmpunord_pd(x, y),
                                  _mm_set1_pd(ops::detail::canonical_nan<f64>()), both));
        }
    }
#endif
};

// Pseudo-min: b < a ? b : a, exactly C++'s std::min with its operands swapped; a NaN in
// either operand fails the test and yields a, bits unchanged. This is what minps(b, a)
// computes, so the host path needs no correction.
template <FloatShape S>
struct PMin : detail::Dispatch<PMin<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.pmin" : "f64x2.pmin";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, [](auto x, auto y) { return y < x ? y : x; });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) return from_ps(_mm_min_ps(to_ps(b), to_ps(a)));
        if constexpr (std::same_as<S, F64x2>) return from_pd(_mm_min_pd(to_pd(b), to_pd(a)));
    }
#endif
};

// Pseudo-max: a < b ? b : a; maxps(b, a).
template <FloatShape S>
struct PMax : detail::Dispatch<PMax<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = std::same_as<S, F32x4> ? "f32x4.pmax" : "f64x2.pmax";
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, [](auto x, auto y) { return x < y ? y : x; });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) return from_ps(_mm_max_ps(to_ps(b), to_ps(a)));
        if constexpr (std::same_as<S, F64x2>) return from_pd(_mm_max_pd(to_pd(b), to_pd(a)));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Rounding to an integral value. The portable path is the scalar functors (nearest rounds by
// hand, ties to even); SSE4.1's roundps computes the same, with the rounding direction in the
// instruction rather than the host's mode, and only needs its NaNs canonicalized.

enum class Rounding : u8 { Ceil, Floor, Trunc, Nearest };

template <FloatShape S, Rounding R>
struct Round : detail::Dispatch<Round<S, R>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<S, F32x4>
            ? std::array<std::string_view, 4>{"f32x4.ceil", "f32x4.floor", "f32x4.trunc",
                                              "f32x4.nearest"}[static_cast<unsigned>(R)]
            : std::array<std::string_view, 4>{"f64x2.ceil", "f64x2.floor", "f64x2.trunc",
                                              "f64x2.nearest"}[static_cast<unsigned>(R)];
    static V128 portable(V128 a) {
        using L = typename S::Lane;
        if constexpr (R == Rounding::Ceil) return detail::map1<S>(a, ops::Ceil<L>{});
        if constexpr (R == Rounding::Floor) return detail::map1<S>(a, ops::Floor<L>{});
        if constexpr (R == Rounding::Trunc) return detail::map1<S>(a, ops::Trunc<L>{});
        if constexpr (R == Rounding::Nearest) return detail::map1<S>(a, ops::Nearest<L>{});
    }
#if ESTA_SIMD_HOST
    // SSE4.1 when compiled for it, else SSE2 for f32x4 (its lanes fit cvttps2dq); f64x2 on
    // SSE2 stays portable.
    static V128 host(V128 a) requires(kHostSse41 || std::same_as<S, F32x4>) {
        using namespace detail;
#if ESTA_SSE41
        constexpr int kMode = (R == Rounding::Ceil    ? _MM_FROUND_TO_POS_INF
                               : R == Rounding::Floor ? _MM_FROUND_TO_NEG_INF
                               : R == Rounding::Trunc ? _MM_FROUND_TO_ZERO
                                                      : _MM_FROUND_TO_NEAREST_INT) |
                              _MM_FROUND_NO_EXC;
        if constexpr (std::same_as<S, F32x4>) {
            return from_ps(canonicalize(_mm_round_ps(to_ps(a), kMode)));
        } else {
            return from_pd(canonicalize(_mm_round_pd(to_pd(a), kMode)));
        }
#else
        return from_ps(round_f32x4_sse2(to_ps(a)));
#endif
    }

  private:
    // Only lanes with |x| < 2^23 have a fraction; they go through cvttps2dq and back (exact),
    // then get corrected by comparisons, independent of the host's rounding mode. Zero takes
    // the operand's sign back (ceil(-0.5) is -0); the other lanes are x, NaNs canonicalized.
    static __m128 round_f32x4_sse2(__m128 x) {
        using namespace detail;
        const __m128 sign_bit = _mm_set1_ps(-0.0f);
        const __m128 one = _mm_set1_ps(1.0f);
        const __m128 sign = _mm_and_ps(x, sign_bit);
        const __m128 has_fraction = _mm_cmplt_ps(_mm_andnot_ps(sign_bit, x), _mm_set1_ps(0x1p23f));
        const __m128 small = _mm_and_ps(x, has_fraction);  // Other lanes become 0: in range.
        const __m128i whole = _mm_cvttps_epi32(small);
        __m128 rounded = _mm_cvtepi32_ps(whole);  // trunc(x), exact.
        if constexpr (R == Rounding::Floor) {
            rounded = _mm_sub_ps(rounded, _mm_and_ps(_mm_cmpgt_ps(rounded, small), one));
        } else if constexpr (R == Rounding::Ceil) {
            rounded = _mm_add_ps(rounded, _mm_and_ps(_mm_cmplt_ps(rounded, small), one));
        } else if constexpr (R == Rounding::Nearest) {
            // Away from zero when the dropped fraction is above one half, or exactly one half
            // and the truncated integer is odd (ties to even). x - trunc(x) is exact.
            const __m128 fraction = _mm_andnot_ps(sign_bit, _mm_sub_ps(small, rounded));
            const __m128 half = _mm_set1_ps(0.5f);
            const __m128 odd = _mm_castsi128_ps(
                _mm_cmpeq_epi32(_mm_and_si128(whole, _mm_set1_epi32(1)), _mm_set1_epi32(1)));
            const __m128 away = _mm_or_ps(_mm_cmpgt_ps(fraction, half),
                                          _mm_and_ps(_mm_cmpeq_ps(fraction, half), odd));
            rounded = _mm_add_ps(rounded, _mm_and_ps(away, _mm_or_ps(one, sign)));
        }
        return select(has_fraction, _mm_or_ps(rounded, sign), canonicalize(x));
    }
#endif
};

template <FloatShape S>
using Ceil = Round<S, Rounding::Ceil>;
template <FloatShape S>
using Floor = Round<S, Rounding::Floor>;
template <FloatShape S>
using Trunc = Round<S, Rounding::Trunc>;
template <FloatShape S>
using Nearest = Round<S, Rounding::Nearest>;

// ---------------------------------------------------------------------------------------------
// Conversions. From is the float shape read; f64x2 sources fill lanes 0 and 1 of the i32x4 /
// f32x4 result and zero lanes 2 and 3 ("_zero"); f64x2 results read lanes 0 and 1 ("_low").

// i32x4.trunc_sat_f32x4_s/u, i32x4.trunc_sat_f64x2_s/u_zero: NaN to 0, out of range to the
// nearest bound, like the scalar trunc_sat.
template <FloatShape From, bool kSigned>
struct TruncSat : detail::Dispatch<TruncSat<From, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<From, F32x4>
            ? (kSigned ? "i32x4.trunc_sat_f32x4_s" : "i32x4.trunc_sat_f32x4_u")
            : (kSigned ? "i32x4.trunc_sat_f64x2_s_zero" : "i32x4.trunc_sat_f64x2_u_zero");
    static V128 portable(V128 a) {
        using F = typename From::Lane;
        using Scalar = std::conditional_t<kSigned, ops::TruncSatS<u32, F>, ops::TruncSatU<u32, F>>;
        V128 result;
        for (unsigned i = 0; i < From::kLanes; ++i)
            result.set_lane<u32>(i, Scalar{}(a.lane<F>(i)));
        return result;
    }
#if ESTA_SIMD_HOST
    // The unsigned f64 variant has no short SSE2 sequence; it stays portable.
    static V128 host(V128 a) requires(std::same_as<From, F32x4> || kSigned) {
        using namespace detail;
        // Every lane is clamped into i32's range before cvttps2dq / cvttpd2dq: their
        // out-of-range answer (0x80000000) is not something to rely on, since compilers
        // constant-fold the conversion as saturating or undefined instead.
        if constexpr (std::same_as<From, F32x4>) {
            const __m128 raw = to_ps(a);
            const __m128 x = _mm_and_ps(raw, _mm_cmpord_ps(raw, raw));  // NaN lanes to +0.
            const __m128 below_two31 = _mm_set1_ps(0x1.fffffep30f);     // The largest f32 < 2^31.
            const __m128 two31 = _mm_set1_ps(0x1p31f);
            const __m128i large = _mm_castps_si128(_mm_cmple_ps(two31, x));
            if constexpr (kSigned) {
                const __m128i in_range =
                    _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(x, _mm_set1_ps(-0x1p31f)), below_two31));
                return from_i(select(large, _mm_set1_epi32(INT32_MAX), in_range));
            } else {
                // Lanes in [2^31, 2^32) are converted after subtracting 2^31 (exact there);
                // lanes >= 2^32 saturate to all ones.
                const __m128 zero = _mm_setzero_ps();
                const __m128i too_large = _mm_castps_si128(_mm_cmple_ps(_mm_set1_ps(0x1p32f), x));
                const __m128i small =
                    _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(x, zero), below_two31));
                const __m128 rebased =
                    _mm_min_ps(_mm_max_ps(_mm_sub_ps(x, two31), zero), below_two31);
                const __m128i shifted =
                    _mm_xor_si128(_mm_cvttps_epi32(rebased), _mm_set1_epi32(INT32_MIN));
                return from_i(_mm_or_si128(select(large, shifted, small), too_large));
            }
        } else {
            // NaN lanes to +0, then clamp into i32's range; cvttpd2dq zeroes lanes 2 and 3.
            __m128d x = to_pd(a);
            x = _mm_and_pd(x, _mm_cmpord_pd(x, x));
            x = _mm_min_pd(_mm_max_pd(x, _mm_set1_pd(-0x1p31)), _mm_set1_pd(0x1p31 - 1));
            return from_i(_mm_cvttpd_epi32(x));
        }
    }
#endif
};

// f32x4.convert_i32x4_s/u, f64x2.convert_low_i32x4_s/u: correctly rounded (ties to even) like
// the scalar conversions; into f64 they are exact.
template <FloatShape To, bool kSigned>
struct Convert : detail::Dispatch<Convert<To, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<To, F32x4>
            ? (kSigned ? "f32x4.convert_i32x4_s" : "f32x4.convert_i32x4_u")
            : (kSigned ? "f64x2.convert_low_i32x4_s" : "f64x2.convert_low_i32x4_u");
    static V128 portable(V128 a) {
        using F = typename To::Lane;
        using Scalar = std::conditional_t<kSigned, ops::ConvertS<F, u32>, ops::ConvertU<F, u32>>;
        V128 result;
        for (unsigned i = 0; i < To::kLanes; ++i)
            result.set_lane<F>(i, Scalar{}(a.lane<u32>(i)));
        return result;
    }
#if ESTA_SIMD_HOST
    // cvtdq2ps rounds by the host's mode, round-to-nearest-even by default, the environment
    // every float operator here assumes (ops::float_environment_is_default). Not the unsigned
    // f64 conversion: the portable loop is as fast (bench_simd).
    static V128 host(V128 a) requires(std::same_as<To, F32x4> || kSigned) {
        using namespace detail;
        const __m128i x = to_i(a);
        if constexpr (std::same_as<To, F32x4> && kSigned) {
            return from_ps(_mm_cvtepi32_ps(x));
        } else if constexpr (std::same_as<To, F32x4>) {
            // high * 2^16 and low are exact floats; their sum is rounded once.
            const __m128 high =
                _mm_mul_ps(_mm_cvtepi32_ps(_mm_srli_epi32(x, 16)), _mm_set1_ps(65536.0f));
            const __m128 low = _mm_cvtepi32_ps(_mm_and_si128(x, _mm_set1_epi32(0xFFFF)));
            return from_ps(_mm_add_ps(high, low));
        } else {
            return from_pd(_mm_cvtepi32_pd(x));
        }
    }
#endif
};

// f32x4.demote_f64x2_zero: rounds to nearest, NaNs canonical, lanes 2 and 3 zero.
struct DemoteZero : detail::Dispatch<DemoteZero> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "f32x4.demote_f64x2_zero";
    static V128 portable(V128 a) {
        V128 result;
        for (unsigned i = 0; i < 2; ++i)
            result.set_lane<f32>(i, ops::Demote{}(a.lane<f64>(i)));
        return result;
    }
};

// f64x2.promote_low_f32x4: exact, NaNs canonical.
struct PromoteLow : detail::Dispatch<PromoteLow> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "f64x2.promote_low_f32x4";
    static V128 portable(V128 a) {
        V128 result;
        for (unsigned i = 0; i < 2; ++i)
            result.set_lane<f64>(i, ops::Promote{}(a.lane<f32>(i)));
        return result;
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a) {
        return detail::from_pd(detail::canonicalize(_mm_cvtps_pd(detail::to_ps(a))));
    }
#endif
};

}  // namespace esta::wasm::ops::simd
