// SIMD operators that move lanes rather than compute on them: splat, lane access, shuffle,
// swizzle, the bitwise operators, any_true / all_true / bitmask, and the lane shaping of the
// SIMD loads and stores (the memory access itself is the interpreter's). Included by
// ops_simd.h; see ops_simd_common.h for the portable / host contract.
// Spec: https://webassembly.github.io/spec/core/exec/instructions.html#vector-instructions
#pragma once

#include <algorithm>

#include "wasm/ops_simd_common.h"

namespace esta::wasm::ops::simd {

// ---------------------------------------------------------------------------------------------
// Splat and lane access. i8 and i16 lanes travel as i32: splat and replace_lane keep the low
// bits, extract_lane_s / _u widen back. Float lanes move as bits: NaN payloads are kept.

template <AnyShape S>
struct Splat : detail::Dispatch<Splat<S>> {
    using Operand = detail::Scalar<typename S::Lane>;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "i8x16.splat", "i16x8.splat", "i32x4.splat", "i64x2.splat", "f32x4.splat", "f64x2.splat");
    static V128 portable(Operand x) {
        using L = typename S::Lane;
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i)
            result.set_lane<L>(i, static_cast<L>(x));
        return result;
    }
};

template <class S>
requires std::same_as<S, I8x16> || std::same_as<S, I16x8>
struct ExtractLaneS {
    using Operand = V128;
    using Result = u32;
    static constexpr std::string_view name =
        std::same_as<S, I8x16> ? "i8x16.extract_lane_s" : "i16x8.extract_lane_s";
    static u32 portable(V128 a, unsigned lane) {
        using L = typename S::Lane;
        return static_cast<u32>(static_cast<i32>(static_cast<detail::Signed<L>>(a.lane<L>(lane))));
    }
    u32 operator()(V128 a, unsigned lane) const { return portable(a, lane); }
};

template <class S>
requires std::same_as<S, I8x16> || std::same_as<S, I16x8>
struct ExtractLaneU {
    using Operand = V128;
    using Result = u32;
    static constexpr std::string_view name =
        std::same_as<S, I8x16> ? "i8x16.extract_lane_u" : "i16x8.extract_lane_u";
    static u32 portable(V128 a, unsigned lane) { return a.lane<typename S::Lane>(lane); }
    u32 operator()(V128 a, unsigned lane) const { return portable(a, lane); }
};

template <class S>
requires(AnyShape<S> && sizeof(typename S::Lane) >= 4) struct ExtractLane {
    using Operand = V128;
    using Result = typename S::Lane;
    static constexpr std::string_view name =
        detail::by_shape<S>({}, {}, "i32x4.extract_lane", "i64x2.extract_lane",
                            "f32x4.extract_lane", "f64x2.extract_lane");
    static Result portable(V128 a, unsigned lane) { return a.lane<Result>(lane); }
    Result operator()(V128 a, unsigned lane) const { return portable(a, lane); }
};

template <AnyShape S>
struct ReplaceLane {
    using Operand = V128;
    using LaneOperand = detail::Scalar<typename S::Lane>;  // The value put into the lane.
    using Result = V128;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.replace_lane", "i16x8.replace_lane", "i32x4.replace_lane",
                            "i64x2.replace_lane", "f32x4.replace_lane", "f64x2.replace_lane");
    static V128 portable(V128 a, detail::Scalar<typename S::Lane> x, unsigned lane) {
        a.set_lane<typename S::Lane>(lane, static_cast<typename S::Lane>(x));
        return a;
    }
    V128 operator()(V128 a, detail::Scalar<typename S::Lane> x, unsigned lane) const {
        return portable(a, x, lane);
    }
};

// ---------------------------------------------------------------------------------------------
// Byte permutations.

// Lane i of the result is byte lanes[i] of the 32-byte concatenation a ++ b. Validation
// proved every index < 32; a larger one is read modulo 32 rather than out of bounds.
struct Shuffle : detail::Dispatch<Shuffle> {
    using Operand = V128;
    using Result = V128;
    using Lanes = std::array<u8, 16>;
    static constexpr std::string_view name = "i8x16.shuffle";
    static V128 portable(V128 a, V128 b, const Lanes& lanes) {
        // Indexing one 32-byte table keeps the loop free of data-dependent branches.
        std::array<u8, 32> table;
        std::memcpy(table.data(), a.bytes.data(), 16);
        std::memcpy(table.data() + 16, b.bytes.data(), 16);
        V128 result;
        for (unsigned i = 0; i < 16; ++i)
            result.bytes[i] = table[lanes[i] & 31u];
        return result;
    }
#if ESTA_SIMD_HOST && defined(__SSSE3__)
    static V128 host(V128 a, V128 b, const Lanes& lanes) {
        // pshufb zeroes a byte whose index has bit 7 set and otherwise reads index & 15.
        const __m128i index = _mm_and_si128(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(lanes.data())), _mm_set1_epi8(31));
        const __m128i from_b = _mm_cmpgt_epi8(index, _mm_set1_epi8(15));
        const __m128i low = _mm_shuffle_epi8(detail::to_i(a), _mm_or_si128(index, from_b));
        const __m128i high = _mm_shuffle_epi8(
            detail::to_i(b), _mm_or_si128(index, _mm_xor_si128(from_b, _mm_set1_epi8(-1))));
        // Each byte came from exactly one of them; the other is zero.
        return detail::from_i(_mm_or_si128(low, high));
    }
#endif
};

// Lane i of the result is byte s[i] of a, or 0 when s[i] >= 16.
struct Swizzle : detail::Dispatch<Swizzle> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "i8x16.swizzle";
    static V128 portable(V128 a, V128 s) {
        // Indices >= 16 all read the zero at position 16: no data-dependent branches.
        std::array<u8, 17> table{};
        std::memcpy(table.data(), a.bytes.data(), 16);
        V128 result;
        for (unsigned i = 0; i < 16; ++i)
            result.bytes[i] = table[std::min<unsigned>(s.bytes[i], 16)];
        return result;
    }
#if ESTA_SIMD_HOST && defined(__SSSE3__)
    static V128 host(V128 a, V128 s) {
        // Adding 0x70 with unsigned saturation sets bit 7 exactly for indices >= 16.
        const __m128i index = _mm_adds_epu8(detail::to_i(s), _mm_set1_epi8(0x70));
        return detail::from_i(_mm_shuffle_epi8(detail::to_i(a), index));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Bitwise operators, on the two 64-bit halves (the compiler turns these into vector
// instructions where it can; the host paths say it explicitly).

struct Not : detail::Dispatch<Not> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.not";
    static V128 portable(V128 a) { return V128::from_halves(~a.low(), ~a.high()); }
};

struct And : detail::Dispatch<And> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.and";
    static V128 portable(V128 a, V128 b) {
        return V128::from_halves(a.low() & b.low(), a.high() & b.high());
    }
};

// a & ~b (note the operand order: SSE's andnot complements its first operand).
struct AndNot : detail::Dispatch<AndNot> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.andnot";
    static V128 portable(V128 a, V128 b) {
        return V128::from_halves(a.low() & ~b.low(), a.high() & ~b.high());
    }
};

struct Or : detail::Dispatch<Or> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.or";
    static V128 portable(V128 a, V128 b) {
        return V128::from_halves(a.low() | b.low(), a.high() | b.high());
    }
};

struct Xor : detail::Dispatch<Xor> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.xor";
    static V128 portable(V128 a, V128 b) {
        return V128::from_halves(a.low() ^ b.low(), a.high() ^ b.high());
    }
};

// Bits of a where the mask c is 1, bits of b where it is 0.
struct Bitselect : detail::Dispatch<Bitselect> {
    using Operand = V128;
    using Result = V128;
    static constexpr std::string_view name = "v128.bitselect";
    static V128 portable(V128 a, V128 b, V128 c) {
        return V128::from_halves((a.low() & c.low()) | (b.low() & ~c.low()),
                                 (a.high() & c.high()) | (b.high() & ~c.high()));
    }
};

struct AnyTrue : detail::Dispatch<AnyTrue> {
    using Operand = V128;
    using Result = u32;
    static constexpr std::string_view name = "v128.any_true";
    static u32 portable(V128 a) { return (a.low() | a.high()) != 0; }
};

// ---------------------------------------------------------------------------------------------
// Lane reductions.

template <IntShape S>
struct AllTrue : detail::Dispatch<AllTrue<S>> {
    using Operand = V128;
    using Result = u32;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.all_true", "i16x8.all_true", "i32x4.all_true", "i64x2.all_true");
    static u32 portable(V128 a) {
        for (unsigned i = 0; i < S::kLanes; ++i) {
            if (a.lane<typename S::Lane>(i) == 0) return 0;
        }
        return 1;
    }
#if ESTA_SIMD_HOST
    // Not i64x2: the portable loop is as fast there (bench_simd).
    static u32 host(V128 a) requires(!std::same_as<S, I64x2>) {
        const __m128i v = detail::to_i(a);
        const __m128i zero = _mm_setzero_si128();
        __m128i is_zero;
        if constexpr (std::same_as<S, I8x16>) is_zero = _mm_cmpeq_epi8(v, zero);
        if constexpr (std::same_as<S, I16x8>) is_zero = _mm_cmpeq_epi16(v, zero);
        if constexpr (std::same_as<S, I32x4>) is_zero = _mm_cmpeq_epi32(v, zero);
        return _mm_movemask_epi8(is_zero) == 0;
    }
#endif
};

// Bit i of the result is the sign bit of lane i.
template <IntShape S>
struct Bitmask : detail::Dispatch<Bitmask<S>> {
    using Operand = V128;
    using Result = u32;
    static constexpr std::string_view name =
        detail::by_shape<S>("i8x16.bitmask", "i16x8.bitmask", "i32x4.bitmask", "i64x2.bitmask");
    static u32 portable(V128 a) {
        using L = typename S::Lane;
        u32 result = 0;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            result |= static_cast<u32>(a.lane<L>(i) >> (S::kLaneBits - 1)) << i;
        }
        return result;
    }
#if ESTA_SIMD_HOST
    static u32 host(V128 a) {
        if constexpr (std::same_as<S, I8x16>)
            return static_cast<u32>(_mm_movemask_epi8(detail::to_i(a)));
        if constexpr (std::same_as<S, I16x8>) {
            // Signed saturation to bytes keeps each lane's sign.
            const __m128i v = detail::to_i(a);
            return static_cast<u32>(_mm_movemask_epi8(_mm_packs_epi16(v, v))) & 0xFFu;
        }
        if constexpr (std::same_as<S, I32x4>)
            return static_cast<u32>(_mm_movemask_ps(detail::to_ps(a)));
        if constexpr (std::same_as<S, I64x2>)
            return static_cast<u32>(_mm_movemask_pd(detail::to_pd(a)));
    }
#endif
};

// ---------------------------------------------------------------------------------------------
// Lane shaping for the SIMD loads and stores. The interpreter reads (or writes) the bytes,
// bounds-checked, and passes them as the little-endian integer they form.
// Spec: https://webassembly.github.io/spec/core/exec/instructions.html#memory-instructions

// v128.loadMxN_s/u: 8 bytes read as N lanes of M bits, each extended to twice its width.
template <class S, bool kSigned>
requires std::same_as<S, I16x8> || std::same_as<S, I32x4> || std::same_as<S, I64x2>
struct LoadExtend {
    using Operand = u64;
    using Result = V128;
    static constexpr std::string_view name =
        kSigned ? detail::by_shape<S>({}, "v128.load8x8_s", "v128.load16x4_s", "v128.load32x2_s")
                : detail::by_shape<S>({}, "v128.load8x8_u", "v128.load16x4_u", "v128.load32x2_u");
    static V128 portable(u64 bytes) {
        using Wide = typename S::Lane;
        using Narrow = detail::UnsignedOfSize<sizeof(Wide) / 2>;
        const V128 source = V128::from_halves(bytes, 0);
        V128 result;
        for (unsigned i = 0; i < S::kLanes; ++i) {
            const Narrow lane = source.lane<Narrow>(i);
            if constexpr (kSigned) {
                result.set_lane<Wide>(i,
                                      static_cast<Wide>(static_cast<detail::Signed<Narrow>>(lane)));
            } else {
                result.set_lane<Wide>(i, lane);
            }
        }
        return result;
    }
    V128 operator()(u64 bytes) const { return portable(bytes); }
};

// v128.loadN_splat: the loaded N-bit value in every lane.
template <IntShape S>
struct LoadSplat {
    using Operand = detail::Scalar<typename S::Lane>;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "v128.load8_splat", "v128.load16_splat", "v128.load32_splat", "v128.load64_splat");
    static V128 portable(Operand x) { return Splat<S>::portable(x); }
    V128 operator()(Operand x) const { return Splat<S>{}(x); }
};

// v128.load32_zero / load64_zero: the value in lane 0, zeros elsewhere.
template <class S>
requires std::same_as<S, I32x4> || std::same_as<S, I64x2>
struct LoadZero {
    using Operand = typename S::Lane;
    using Result = V128;
    static constexpr std::string_view name =
        std::same_as<S, I32x4> ? "v128.load32_zero" : "v128.load64_zero";
    static V128 portable(Operand x) {
        V128 result;
        result.set_lane<Operand>(0, x);
        return result;
    }
    V128 operator()(Operand x) const { return portable(x); }
};

// v128.loadN_lane: the loaded value replaces one lane.
template <IntShape S>
struct LoadLane {
    using Operand = V128;
    using LaneOperand = detail::Scalar<typename S::Lane>;
    using Result = V128;
    static constexpr std::string_view name = detail::by_shape<S>(
        "v128.load8_lane", "v128.load16_lane", "v128.load32_lane", "v128.load64_lane");
    static V128 portable(V128 a, detail::Scalar<typename S::Lane> x, unsigned lane) {
        return ReplaceLane<S>::portable(a, x, lane);
    }
    V128 operator()(V128 a, detail::Scalar<typename S::Lane> x, unsigned lane) const {
        return portable(a, x, lane);
    }
};

// v128.storeN_lane: the lane's bits, which the interpreter stores as N bits.
template <IntShape S>
struct StoreLane {
    using Operand = V128;
    using Result = detail::Scalar<typename S::Lane>;
    static constexpr std::string_view name = detail::by_shape<S>(
        "v128.store8_lane", "v128.store16_lane", "v128.store32_lane", "v128.store64_lane");
    static Result portable(V128 a, unsigned lane) { return a.lane<typename S::Lane>(lane); }
    Result operator()(V128 a, unsigned lane) const { return portable(a, lane); }
};

}  // namespace esta::wasm::ops::simd
