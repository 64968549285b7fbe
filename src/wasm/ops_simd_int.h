// SIMD lane arithmetic: add, sub, mul, neg and abs for every shape (the float instantiations
// canonicalize NaNs like their scalar counterparts), and the integer-only operators: min/max,
// avgr_u, saturating add/sub, shifts, popcnt, q15mulr_sat_s, dot, extmul, extadd_pairwise.
// Included by ops_simd.h; see ops_simd_common.h for the portable / host contract.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html#integer-operations
#pragma once

#include "wasm/ops_simd_common.h"

namespace esta::wasm::ops::simd {

namespace detail {

// Saturates a wide value to the range of lane type L read as signed (or unsigned).
template <class L, bool kSigned>
constexpr L saturate(i64 x) {
    using Limits =
        std::conditional_t<kSigned, std::numeric_limits<Signed<L>>, std::numeric_limits<L>>;
    const i64 low = static_cast<i64>(Limits::min());
    const i64 high = static_cast<i64>(Limits::max());
    return static_cast<L>(x < low ? low : (x > high ? high : x));
}

// Picks one of four names by (high half?, signed?), for extmul and friends.
constexpr std::string_view by_half(bool high, bool is_signed, std::string_view low_s,
                                   std::string_view high_s, std::string_view low_u,
                                   std::string_view high_u) {
    if (is_signed) return high ? high_s : low_s;
    return high ? high_u : low_u;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Shared with the float shapes.

template <AnyShape S>
struct Add : detail::Dispatch<Add<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "i8x16.add", "i16x8.add", "i32x4.add", "i64x2.add", "f32x4.add", "f64x2.add");
    static V128 portable(V128 a, V128 b) {
        if constexpr (S::kFloat) {
            return detail::map2<S>(a, b, ops::Add<typename S::Lane>{});
        } else {
            return detail::map2<S>(a, b, [](auto x, auto y) { return x + y; });
        }
    }
#if ESTA_SIMD_HOST
    // Integer lanes: compilers vectorize the portable loop as well as intrinsics would
    // (bench_simd), so only the float lanes, whose NaN fix-up they do not vectorize, have one.
    static V128 host(V128 a, V128 b) requires S::kFloat {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>)
            return from_ps(canonicalize(_mm_add_ps(to_ps(a), to_ps(b))));
        if constexpr (std::same_as<S, F64x2>)
            return from_pd(canonicalize(_mm_add_pd(to_pd(a), to_pd(b))));
    }
#endif
};

template <AnyShape S>
struct Sub : detail::Dispatch<Sub<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "i8x16.sub", "i16x8.sub", "i32x4.sub", "i64x2.sub", "f32x4.sub", "f64x2.sub");
    static V128 portable(V128 a, V128 b) {
        if constexpr (S::kFloat) {
            return detail::map2<S>(a, b, ops::Sub<typename S::Lane>{});
        } else {
            return detail::map2<S>(a, b, [](auto x, auto y) { return x - y; });
        }
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) requires S::kFloat {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>)
            return from_ps(canonicalize(_mm_sub_ps(to_ps(a), to_ps(b))));
        if constexpr (std::same_as<S, F64x2>)
            return from_pd(canonicalize(_mm_sub_pd(to_pd(a), to_pd(b))));
    }
#endif
};

// No i8x16.mul in wasm.
template <class S>
requires(AnyShape<S> && !std::same_as<S, I8x16>) struct Mul : detail::Dispatch<Mul<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>({}, "i16x8.mul", "i32x4.mul", "i64x2.mul", "f32x4.mul", "f64x2.mul");
    static V128 portable(V128 a, V128 b) {
        if constexpr (S::kFloat) {
            return detail::map2<S>(a, b, ops::Mul<typename S::Lane>{});
        } else {
            // Multiplied as u32 / u64, never as (promoted, signed) int, which could overflow.
            using Wide = std::conditional_t<sizeof(typename S::Lane) == 8, u64, u32>;
            return detail::map2<S>(a, b, [](auto x, auto y) { return static_cast<Wide>(x) * y; });
        }
    }
#if ESTA_SIMD_HOST
    // Float lanes only, as for Add.
    static V128 host(V128 a, V128 b) requires S::kFloat {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>)
            return from_ps(canonicalize(_mm_mul_ps(to_ps(a), to_ps(b))));
        if constexpr (std::same_as<S, F64x2>)
            return from_pd(canonicalize(_mm_mul_pd(to_pd(a), to_pd(b))));
    }
#endif
};

// Integer neg wraps (neg INT_MIN is INT_MIN); float neg flips the sign bit, NaNs included.
template <AnyShape S>
struct Neg : detail::Dispatch<Neg<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "i8x16.neg", "i16x8.neg", "i32x4.neg", "i64x2.neg", "f32x4.neg", "f64x2.neg");
    static V128 portable(V128 a) {
        using L = typename S::Lane;
        if constexpr (S::kFloat) {
            return detail::map1<S>(a, ops::Neg<L>{});
        } else {
            return detail::map1<S>(a, [](L x) { return static_cast<L>(L{0} - x); });
        }
    }
};

// Integer abs wraps (abs INT_MIN is INT_MIN); float abs clears the sign bit, NaNs included.
template <AnyShape S>
struct Abs : detail::Dispatch<Abs<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "i8x16.abs", "i16x8.abs", "i32x4.abs", "i64x2.abs", "f32x4.abs", "f64x2.abs");
    static V128 portable(V128 a) {
        using L = typename S::Lane;
        if constexpr (S::kFloat) {
            return detail::map1<S>(a, ops::Abs<L>{});
        } else {
            return detail::map1<S>(
                a, [](L x) { return detail::as_signed(x) < 0 ? static_cast<L>(L{0} - x) : x; });
        }
    }
#if ESTA_SIMD_HOST
    // i8x16, i16x8 and i32x4 only: the others gain nothing over the portable loop.
    static V128 host(V128 a) requires(!S::kFloat && !std::same_as<S, I64x2>) {
        using namespace detail;
        // (x ^ m) - m with m all ones in negative lanes: two's complement negation there.
        const __m128i v = to_i(a);
        __m128i m;
        if constexpr (std::same_as<S, I8x16>) m = _mm_cmpgt_epi8(_mm_setzero_si128(), v);
        if constexpr (std::same_as<S, I16x8>) m = _mm_srai_epi16(v, 15);
        if constexpr (std::same_as<S, I32x4>) m = _mm_srai_epi32(v, 31);
        const __m128i flipped = _mm_xor_si128(v, m);
        if constexpr (std::same_as<S, I8x16>) return from_i(_mm_sub_epi8(flipped, m));
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_sub_epi16(flipped, m));
        if constexpr (std::same_as<S, I32x4>) return from_i(_mm_sub_epi32(flipped, m));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Integer min / max (wasm has them for i8x16, i16x8 and i32x4).

template <class S>
concept MinMaxShape = std::same_as<S, I8x16> || std::same_as<S, I16x8> || std::same_as<S, I32x4>;

// No host paths: compilers vectorize these loops into pminsw & co. (bench_simd).
namespace detail {

template <MinMaxShape S, bool kSigned, bool kMin>
V128 portable_min_max(V128 a, V128 b) {
    using L = typename S::Lane;
    return map2<S>(a, b, [](L x, L y) {
        const bool x_less = kSigned ? as_signed(x) < as_signed(y) : x < y;
        return kMin == x_less ? x : y;
    });
}

}  // namespace detail

template <MinMaxShape S>
struct MinS : detail::Dispatch<MinS<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.min_s", "i16x8.min_s", "i32x4.min_s", {});
    static V128 portable(V128 a, V128 b) { return detail::portable_min_max<S, true, true>(a, b); }
};

template <MinMaxShape S>
struct MinU : detail::Dispatch<MinU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.min_u", "i16x8.min_u", "i32x4.min_u", {});
    static V128 portable(V128 a, V128 b) { return detail::portable_min_max<S, false, true>(a, b); }
};

template <MinMaxShape S>
struct MaxS : detail::Dispatch<MaxS<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.max_s", "i16x8.max_s", "i32x4.max_s", {});
    static V128 portable(V128 a, V128 b) { return detail::portable_min_max<S, true, false>(a, b); }
};

template <MinMaxShape S>
struct MaxU : detail::Dispatch<MaxU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.max_u", "i16x8.max_u", "i32x4.max_u", {});
    static V128 portable(V128 a, V128 b) { return detail::portable_min_max<S, false, false>(a, b); }
};

// ---------------------------------------------------------------------------------------------
// i8x16 and i16x8 only: rounding average and saturating add / sub.

template <class S>
concept NarrowShape = std::same_as<S, I8x16> || std::same_as<S, I16x8>;

// (a + b + 1) / 2 without overflow: computed in int.
template <NarrowShape S>
struct AvgrU : detail::Dispatch<AvgrU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.avgr_u", "i16x8.avgr_u", {}, {});
    static V128 portable(V128 a, V128 b) {
        return detail::map2<S>(a, b, [](auto x, auto y) { return (u32{x} + u32{y} + 1) >> 1; });
    }
};

template <NarrowShape S>
struct AddSatS : detail::Dispatch<AddSatS<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.add_sat_s", "i16x8.add_sat_s", {}, {});
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        return detail::map2<S>(a, b, [](L x, L y) {
            return detail::saturate<L, true>(i64{detail::as_signed(x)} + detail::as_signed(y));
        });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, I8x16>) return from_i(_mm_adds_epi8(to_i(a), to_i(b)));
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_adds_epi16(to_i(a), to_i(b)));
    }
#endif
};

template <NarrowShape S>
struct AddSatU : detail::Dispatch<AddSatU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.add_sat_u", "i16x8.add_sat_u", {}, {});
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        return detail::map2<S>(a, b,
                               [](L x, L y) { return detail::saturate<L, false>(i64{x} + y); });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, I8x16>) return from_i(_mm_adds_epu8(to_i(a), to_i(b)));
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_adds_epu16(to_i(a), to_i(b)));
    }
#endif
};

template <NarrowShape S>
struct SubSatS : detail::Dispatch<SubSatS<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.sub_sat_s", "i16x8.sub_sat_s", {}, {});
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        return detail::map2<S>(a, b, [](L x, L y) {
            return detail::saturate<L, true>(i64{detail::as_signed(x)} - detail::as_signed(y));
        });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, I8x16>) return from_i(_mm_subs_epi8(to_i(a), to_i(b)));
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_subs_epi16(to_i(a), to_i(b)));
    }
#endif
};

template <NarrowShape S>
struct SubSatU : detail::Dispatch<SubSatU<S>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.sub_sat_u", "i16x8.sub_sat_u", {}, {});
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        return detail::map2<S>(a, b,
                               [](L x, L y) { return detail::saturate<L, false>(i64{x} - y); });
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, I8x16>) return from_i(_mm_subs_epu8(to_i(a), to_i(b)));
        if constexpr (std::same_as<S, I16x8>) return from_i(_mm_subs_epu16(to_i(a), to_i(b)));
    }
#endif
};

}  // namespace esta::wasm::ops::simd
