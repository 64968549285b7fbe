// Shared vocabulary of the SIMD operators (ops_simd.h): lane loops for the portable path, the
// host-SIMD switch, conversions between V128 and the host's vector registers, and the dispatch
// that picks a path. Spec: https://webassembly.github.io/spec/core/exec/numerics.html
//
// Two paths, one result (REQUIREMENTS T-5, E-3). Every operator has a `portable` static member:
// plain loops over lanes, reusing the scalar functors of ops_numeric.h, the reference the spec
// reads like. Operators where host vector instructions are clearly faster also have a `host`
// member; `operator()` calls `host` when ESTA_SIMD_HOST is 1, `portable` otherwise. `host` must
// give bit-identical results for every input (canonical NaNs, -0 < +0, saturation), which the
// randomized differential test (ops_simd_random_test.cc) checks operator by operator.
//
// ESTA_SIMD_HOST defaults to 1 on x86-64, where SSE2 is part of the baseline ABI, so the host
// path needs no CPU check and inlines into the interpreter's handlers. Instructions from later
// extensions (SSSE3, SSE4.1) are used only when the compiler targets them (`-msse4.1`,
// `-march=...`); the build does not, and each such use has an SSE2 or portable fallback. Define
// ESTA_SIMD_HOST=0 to build the portable path alone.
//
// Why no run-time CPU dispatch (target attributes plus a CPU check, as crc32c.cc does): a
// function compiled for another target cannot inline into the handler, and for one 16-byte
// operation the call costs more than it saves. Measured with bench_simd: i8x16.swizzle runs
// at 1.75 G/s with pshufb inlined, 166 M/s portable, and 80 M/s through a dispatched call.
#pragma once

#include <array>
#include <bit>
#include <concepts>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include "base/types.h"
#include "wasm/ops_numeric.h"
#include "wasm/v128.h"

#ifndef ESTA_SIMD_HOST
#if defined(__SSE2__) && defined(__x86_64__)
#define ESTA_SIMD_HOST 1
#else
#define ESTA_SIMD_HOST 0
#endif
#endif

#if ESTA_SIMD_HOST
#include <emmintrin.h>
#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif
#endif

// Whether the host path may use SSE4.1 (only when the compiler targets it).
#if ESTA_SIMD_HOST && defined(__SSE4_1__)
#define ESTA_SSE41 1
#else
#define ESTA_SSE41 0
#endif

namespace esta::wasm::ops::simd {

// Whether this build runs operators' host paths (for reports and benchmarks).
inline constexpr bool kHostPath = ESTA_SIMD_HOST != 0;
// Whether host paths use SSE4.1 (for constraints: a macro is an int, a constraint needs bool).
inline constexpr bool kHostSse41 = ESTA_SSE41 != 0;

namespace detail {

// Picks an operator's text name by its shape, like ops::detail::by_type for scalars.
template <AnyShape S>
constexpr std::string_view by_shape(std::string_view i8x16, std::string_view i16x8,
                                    std::string_view i32x4, std::string_view i64x2,
                                    std::string_view f32x4 = {}, std::string_view f64x2 = {}) {
    if constexpr (std::same_as<S, I8x16>) return i8x16;
    if constexpr (std::same_as<S, I16x8>) return i16x8;
    if constexpr (std::same_as<S, I32x4>) return i32x4;
    if constexpr (std::same_as<S, I64x2>) return i64x2;
    if constexpr (std::same_as<S, F32x4>) return f32x4;
    if constexpr (std::same_as<S, F64x2>) return f64x2;
}

// The wasm value type a lane travels as outside the vector (splat, extract_lane,
// replace_lane): i8 and i16 lanes travel as i32.
template <class Lane>
using Scalar = std::conditional_t<std::is_floating_point_v<Lane>, Lane,
                                  std::conditional_t<sizeof(Lane) == 8, u64, u32>>;

template <class Lane>
using Signed = std::make_signed_t<Lane>;

// The unsigned integer lane type of a given width in bytes.
template <unsigned kBytes>
using UnsignedOfSize = std::conditional_t<
    kBytes == 1, u8,
    std::conditional_t<kBytes == 2, u16, std::conditional_t<kBytes == 4, u32, u64>>>;

// The signed reading of an integer lane (two's complement).
template <class Lane>
constexpr Signed<Lane> as_signed(Lane x) {
    return static_cast<Signed<Lane>>(x);
}

// A comparison result lane: all ones when true.
template <class Lane>
constexpr Lane lane_mask(bool condition) {
    return condition ? static_cast<Lane>(~Lane{0}) : Lane{0};
}

// Lane loops. The lambdas take and return lane values; narrow integer lanes are promoted to int
// by C++ arithmetic, and the cast back to the lane type wraps modulo 2^width, as wasm wants.
template <AnyShape S, class F>
V128 map1(V128 a, F f) {
    using L = typename S::Lane;
    V128 result;
    for (unsigned i = 0; i < S::kLanes; ++i)
        result.set_lane<L>(i, static_cast<L>(f(a.lane<L>(i))));
    return result;
}
template <AnyShape S, class F>
V128 map2(V128 a, V128 b, F f) {
    using L = typename S::Lane;
    V128 result;
    for (unsigned i = 0; i < S::kLanes; ++i) {
        result.set_lane<L>(i, static_cast<L>(f(a.lane<L>(i), b.lane<L>(i))));
    }
    return result;
}

// Calls `host` where the build has a host path for the operator, `portable` everywhere else.
// Operators inherit it (`struct Add : detail::Dispatch<Add<S>>`) and declare only their paths.
template <class Self>
struct Dispatch {
    template <class... Args>
    auto operator()(const Args&... args) const {
#if ESTA_SIMD_HOST
        if constexpr (requires { Self::host(args...); }) return Self::host(args...);
#endif
        return Self::portable(args...);
    }
};

// Whether an operator has a host path in this build.
template <class Op, class... Args>
inline constexpr bool kHasHost = ESTA_SIMD_HOST != 0 && requires(Args... args) {
    Op::host(args...);
};

#if ESTA_SIMD_HOST
// V128 <-> host registers. V128 is 16-byte aligned, so these are single aligned moves (or
// nothing, once inlined into a register-to-register sequence).
inline __m128i to_i(V128 v) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(v.bytes.data()));
}
inline __m128 to_ps(V128 v) {
    return _mm_load_ps(reinterpret_cast<const float*>(v.bytes.data()));
}
inline __m128d to_pd(V128 v) {
    return _mm_load_pd(reinterpret_cast<const double*>(v.bytes.data()));
}
inline V128 from_i(__m128i v) {
    V128 result;
    _mm_store_si128(reinterpret_cast<__m128i*>(result.bytes.data()), v);
    return result;
}
inline V128 from_ps(__m128 v) {
    V128 result;
    _mm_store_ps(reinterpret_cast<float*>(result.bytes.data()), v);
    return result;
}
inline V128 from_pd(__m128d v) {
    V128 result;
    _mm_store_pd(reinterpret_cast<double*>(result.bytes.data()), v);
    return result;
}

// (mask & when_set) | (~mask & when_clear): SSE2 has no blend.
inline __m128i select(__m128i mask, __m128i when_set, __m128i when_clear) {
    return _mm_or_si128(_mm_and_si128(mask, when_set), _mm_andnot_si128(mask, when_clear));
}
inline __m128 select(__m128 mask, __m128 when_set, __m128 when_clear) {
    return _mm_or_ps(_mm_and_ps(mask, when_set), _mm_andnot_ps(mask, when_clear));
}
inline __m128d select(__m128d mask, __m128d when_set, __m128d when_clear) {
    return _mm_or_pd(_mm_and_pd(mask, when_set), _mm_andnot_pd(mask, when_clear));
}

// Replaces every NaN lane by the canonical NaN (REQUIREMENTS T-5): the host's instructions
// return the default NaN (negative on x86) or an operand's payload.
inline __m128 canonicalize(__m128 v) {
    const __m128 nan = _mm_cmpunord_ps(v, v);
    return select(nan, _mm_set1_ps(ops::detail::canonical_nan<f32>()), v);
}
inline __m128d canonicalize(__m128d v) {
    const __m128d nan = _mm_cmpunord_pd(v, v);
    return select(nan, _mm_set1_pd(ops::detail::canonical_nan<f64>()), v);
}

// Flips the sign bit of every lane, so signed comparisons order unsigned lanes.
inline __m128i flip8(__m128i v) {
    return _mm_xor_si128(v, _mm_set1_epi8(static_cast<char>(0x80)));
}
inline __m128i flip16(__m128i v) {
    return _mm_xor_si128(v, _mm_set1_epi16(static_cast<short>(0x8000)));
}
inline __m128i flip32(__m128i v) {
    return _mm_xor_si128(v, _mm_set1_epi32(INT32_MIN));
}
#endif

}  // namespace detail
}  // namespace esta::wasm::ops::simd
