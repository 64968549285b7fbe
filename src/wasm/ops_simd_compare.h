// SIMD lane comparisons (all-ones lane when true), and the integer lane-width changes:
// narrow (saturating) and extend (low or high half). Included by ops_simd.h; see
// ops_simd_common.h for the portable / host contract.
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html
#pragma once

#include <algorithm>

#include "wasm/ops_simd_common.h"

namespace esta::wasm::ops::simd {

// ---------------------------------------------------------------------------------------------
// Comparisons. One template per shape and relation; the aliases below give each instruction
// its usual name (`LtS<I8x16>` is "i8x16.lt_s"). Float comparisons are IEEE 754's: any
// comparison with a NaN is false except ne, and -0 == +0.

enum class Relation : u8 { Eq, Ne, LtS, LtU, GtS, GtU, LeS, LeU, GeS, GeU, Lt, Gt, Le, Ge };

namespace detail {

constexpr std::string_view relation_text(Relation relation) {
    constexpr std::array<std::string_view, 14> kTexts = {"eq",   "ne",   "lt_s", "lt_u", "gt_s",
                                                         "gt_u", "le_s", "le_u", "ge_s", "ge_u",
                                                         "lt",   "gt",   "le",   "ge"};
    return kTexts[static_cast<unsigned>(relation)];
}

// "i8x16" + "." + "lt_s", built at compile time into static storage.
struct JoinedName {
    std::array<char, 24> text{};
    std::size_t size = 0;
    [[nodiscard]] constexpr std::string_view view() const { return {text.data(), size}; }
};
constexpr JoinedName join_name(std::string_view prefix, std::string_view suffix) {
    JoinedName name;
    for (const char c : prefix)
        name.text[name.size++] = c;
    name.text[name.size++] = '.';
    for (const char c : suffix)
        name.text[name.size++] = c;
    return name;
}
template <AnyShape S, Relation R>
inline constexpr JoinedName kCompareName = join_name(S::prefix, relation_text(R));

template <class Lane>
constexpr bool compare(Relation relation, Lane x, Lane y) {
    if constexpr (std::is_floating_point_v<Lane>) {
        switch (relation) {
            case Relation::Eq:
                return x == y;
            case Relation::Ne:
                return x != y;
            case Relation::Lt:
                return x < y;
            case Relation::Gt:
                return x > y;
            case Relation::Le:
                return x <= y;
            case Relation::Ge:
                return x >= y;
            default:
                return false;
        }
    } else {
        const auto sx = as_signed(x);
        const auto sy = as_signed(y);
        switch (relation) {
            case Relation::Eq:
                return x == y;
            case Relation::Ne:
                return x != y;
            case Relation::LtS:
                return sx < sy;
            case Relation::LtU:
                return x < y;
            case Relation::GtS:
                return sx > sy;
            case Relation::GtU:
                return x > y;
            case Relation::LeS:
                return sx <= sy;
            case Relation::LeU:
                return x <= y;
            case Relation::GeS:
                return sx >= sy;
            case Relation::GeU:
                return x >= y;
            default:
                return false;
        }
    }
}

template <AnyShape S, Relation R>
constexpr bool kValidRelation = S::kFloat
                                    ? (R == Relation::Eq || R == Relation::Ne || R >= Relation::Lt)
                                    : (R < Relation::Lt &&
                                       // i64x2 has only the signed relations.
                                       !(std::same_as<S, I64x2> &&
                                         (R == Relation::LtU || R == Relation::GtU ||
                                          R == Relation::LeU || R == Relation::GeU)));

#if ESTA_SIMD_HOST
// Integer lane equality; i64x2 from two 32-bit halves without SSE4.1.
template <IntShape S>
__m128i host_eq(__m128i x, __m128i y) {
    if constexpr (std::same_as<S, I8x16>) return _mm_cmpeq_epi8(x, y);
    if constexpr (std::same_as<S, I16x8>) return _mm_cmpeq_epi16(x, y);
    if constexpr (std::same_as<S, I32x4>) return _mm_cmpeq_epi32(x, y);
    if constexpr (std::same_as<S, I64x2>) {
#if ESTA_SSE41
        return _mm_cmpeq_epi64(x, y);
#else
        const __m128i halves = _mm_cmpeq_epi32(x, y);
        return _mm_and_si128(halves, _mm_shuffle_epi32(halves, _MM_SHUFFLE(2, 3, 0, 1)));
#endif
    }
}
#endif

}  // namespace detail

template <AnyShape S, Relation R>
requires detail::kValidRelation<S, R>
struct Compare : detail::Dispatch<Compare<S, R>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::kCompareName<S, R>.view();
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        using Mask = detail::UnsignedOfSize<sizeof(L)>;
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            result.set_lane<Mask>(
                i, detail::lane_mask<Mask>(detail::compare(R, a.lane<L>(i), b.lane<L>(i))));
        }
        return result;
    }
#if ESTA_SIMD_HOST
    // Floats, and i64x2 eq / ne. For the other integer relations the compiler vectorizes the
    // portable loop as well as these sequences would (bench_simd).
    static V128 host(V128 a,
                     V128 b) requires(S::kFloat || (std::same_as<S, I64x2> &&
                                                    (R == Relation::Eq || R == Relation::Ne))) {
        using namespace detail;
        if constexpr (std::same_as<S, F32x4>) {
            const __m128 x = to_ps(a);
            const __m128 y = to_ps(b);
            if constexpr (R == Relation::Eq) return from_ps(_mm_cmpeq_ps(x, y));
            if constexpr (R == Relation::Ne) return from_ps(_mm_cmpneq_ps(x, y));
            if constexpr (R == Relation::Lt) return from_ps(_mm_cmplt_ps(x, y));
            if constexpr (R == Relation::Gt) return from_ps(_mm_cmplt_ps(y, x));
            if constexpr (R == Relation::Le) return from_ps(_mm_cmple_ps(x, y));
            if constexpr (R == Relation::Ge) return from_ps(_mm_cmple_ps(y, x));
        } else if constexpr (std::same_as<S, F64x2>) {
            const __m128d x = to_pd(a);
            const __m128d y = to_pd(b);
            if constexpr (R == Relation::Eq) return from_pd(_mm_cmpeq_pd(x, y));
            if constexpr (R == Relation::Ne) return from_pd(_mm_cmpneq_pd(x, y));
            if constexpr (R == Relation::Lt) return from_pd(_mm_cmplt_pd(x, y));
            if constexpr (R == Relation::Gt) return from_pd(_mm_cmplt_pd(y, x));
            if constexpr (R == Relation::Le) return from_pd(_mm_cmple_pd(x, y));
            if constexpr (R == Relation::Ge) return from_pd(_mm_cmple_pd(y, x));
        } else {
            const __m128i equal = host_eq<S>(to_i(a), to_i(b));
            if constexpr (R == Relation::Eq) return from_i(equal);
            if constexpr (R == Relation::Ne)
                return from_i(_mm_xor_si128(equal, _mm_set1_epi32(-1)));
        }
    }
#endif
};

template <AnyShape S>
using Eq = Compare<S, Relation::Eq>;
template <AnyShape S>
using Ne = Compare<S, Relation::Ne>;
template <IntShape S>
using LtS = Compare<S, Relation::LtS>;
template <IntShape S>
using LtU = Compare<S, Relation::LtU>;
template <IntShape S>
using GtS = Compare<S, Relation::GtS>;
template <IntShape S>
using GtU = Compare<S, Relation::GtU>;
template <IntShape S>
using LeS = Compare<S, Relation::LeS>;
template <IntShape S>
using LeU = Compare<S, Relation::LeU>;
template <IntShape S>
using GeS = Compare<S, Relation::GeS>;
template <IntShape S>
using GeU = Compare<S, Relation::GeU>;
template <FloatShape S>
using Lt = Compare<S, Relation::Lt>;
template <FloatShape S>
using Gt = Compare<S, Relation::Gt>;
template <FloatShape S>
using Le = Compare<S, Relation::Le>;
template <FloatShape S>
using Ge = Compare<S, Relation::Ge>;

// ---------------------------------------------------------------------------------------------
// Narrow: the lanes of a then b, read as signed, saturated to half width, signed or unsigned.
// S is the result shape (i8x16 from i16x8, i16x8 from i32x4).

template <class S, bool kSigned>
requires std::same_as<S, I8x16> || std::same_as<S, I16x8>
struct Narrow : detail::Dispatch<Narrow<S, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<S, I8x16> ? (kSigned ? "i8x16.narrow_i16x8_s" : "i8x16.narrow_i16x8_u")
                               : (kSigned ? "i16x8.narrow_i32x4_s" : "i16x8.narrow_i32x4_u");
    static V128 portable(V128 a, V128 b) {
        using L = typename S::Lane;
        using Wide = detail::UnsignedOfSize<sizeof(L) * 2>;
        constexpr unsigned kHalf = S::kLanes / 2;
        static constexpr i64 kLow = kSigned ? std::numeric_limits<detail::Signed<L>>::min() : 0;
        static constexpr i64 kHigh =
            kSigned ? std::numeric_limits<detail::Signed<L>>::max() : std::numeric_limits<L>::max();
        const auto saturate = [](Wide lane) {
            return static_cast<L>(std::clamp<i64>(detail::as_signed(lane), kLow, kHigh));
        };
        V128 result;
        for (unsigned i = 0; i < kHalf; ++i) {
            result.set_lane<L>(i, saturate(a.lane<Wide>(i)));
            result.set_lane<L>(i + kHalf, saturate(b.lane<Wide>(i)));
        }
        return result;
    }
#if ESTA_SIMD_HOST
    static V128 host(V128 a, V128 b) {
        using namespace detail;
        if constexpr (std::same_as<S, I8x16>) {
            return from_i(kSigned ? _mm_packs_epi16(to_i(a), to_i(b))
                                  : _mm_packus_epi16(to_i(a), to_i(b)));
        } else if constexpr (kSigned) {
            return from_i(_mm_packs_epi32(to_i(a), to_i(b)));
        } else {
#if ESTA_SSE41
            return from_i(_mm_packus_epi32(to_i(a), to_i(b)));
#else
            // packusdw is SSE4.1: clamp to [0, 65535] by hand, bias into the signed range so
            // packssdw cannot saturate, and unbias the 16-bit results.
            const auto clamp = [](__m128i x) {
                const __m128i max = _mm_set1_epi32(0xFFFF);
                const __m128i positive = _mm_and_si128(x, _mm_cmpgt_epi32(x, _mm_setzero_si128()));
                const __m128i clamped = select(_mm_cmpgt_epi32(positive, max), max, positive);
                return _mm_sub_epi32(clamped, _mm_set1_epi32(0x8000));
            };
            return from_i(flip16(_mm_packs_epi32(clamp(to_i(a)), clamp(to_i(b)))));
#endif
        }
    }
#endif
};

// Extend: the low or high half of the narrow lanes, sign- or zero-extended to twice the width.
// S is the result shape (i16x8, i32x4, i64x2).
template <class S, bool kHigh, bool kSigned>
requires std::same_as<S, I16x8> || std::same_as<S, I32x4> || std::same_as<S, I64x2>
struct Extend : detail::Dispatch<Extend<S, kHigh, kSigned>> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        {},
        kSigned ? (kHigh ? "i16x8.extend_high_i8x16_s" : "i16x8.extend_low_i8x16_s")
                : (kHigh ? "i16x8.extend_high_i8x16_u" : "i16x8.extend_low_i8x16_u"),
        kSigned ? (kHigh ? "i32x4.extend_high_i16x8_s" : "i32x4.extend_low_i16x8_s")
                : (kHigh ? "i32x4.extend_high_i16x8_u" : "i32x4.extend_low_i16x8_u"),
        kSigned ? (kHigh ? "i64x2.extend_high_i32x4_s" : "i64x2.extend_low_i32x4_s")
                : (kHigh ? "i64x2.extend_high_i32x4_u" : "i64x2.extend_low_i32x4_u"));
    static V128 portable(V128 a) {
        using L = typename S::Lane;
        using Narrow = detail::UnsignedOfSize<sizeof(L) / 2>;
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            const Narrow lane = a.lane<Narrow>(i + (kHigh ? S::kLanes : 0));
            if constexpr (kSigned) {
                result.set_lane<L>(i, static_cast<L>(static_cast<detail::Signed<Narrow>>(lane)));
            } else {
                result.set_lane<L>(i, lane);
            }
        }
        return result;
    }
#if ESTA_SIMD_HOST
    // Not i64x2: the portable loop is faster there (bench_simd).
    static V128 host(V128 a) requires(!std::same_as<S, I64x2>) {
        using namespace detail;
        const __m128i x = to_i(a);
        // Interleaving with zeros zero-extends; with the lanes' sign masks, sign-extends.
        __m128i high_part = _mm_setzero_si128();
        if constexpr (kSigned) {
            if constexpr (std::same_as<S, I16x8>) high_part = _mm_cmpgt_epi8(high_part, x);
            if constexpr (std::same_as<S, I32x4>) high_part = _mm_srai_epi16(x, 15);
        }
        if constexpr (std::same_as<S, I16x8>)
            return from_i(kHigh ? _mm_unpackhi_epi8(x, high_part)
                                : _mm_unpacklo_epi8(x, high_part));
        if constexpr (std::same_as<S, I32x4>)
            return from_i(kHigh ? _mm_unpackhi_epi16(x, high_part)
                                : _mm_unpacklo_epi16(x, high_part));
    }
#endif
};

}  // namespace esta::wasm::ops::simd
