// Every SIMD operator of ops_simd.h, once: `for_each_simd_operator(visitor)` calls
// `visitor.template operator()<Op>()` for each functor type, so tests, benchmarks and tables
// (a name -> operator map, a dispatch table) cover all of them without their own lists. The
// differential test checks this list against simd_opcodes.def, so it cannot fall behind.
#pragma once

#include "wasm/ops_simd.h"

namespace esta::wasm::ops::simd {

namespace detail {

template <AnyShape S, class Visitor>
constexpr void visit_shape_common(Visitor& visit) {
    visit.template operator()<Splat<S>>();
    visit.template operator()<ReplaceLane<S>>();
    visit.template operator()<Add<S>>();
    visit.template operator()<Sub<S>>();
    visit.template operator()<Neg<S>>();
    visit.template operator()<Abs<S>>();
    visit.template operator()<Eq<S>>();
    visit.template operator()<Ne<S>>();
    if constexpr (!std::same_as<S, I8x16>) visit.template operator()<Mul<S>>();
}

template <IntShape S, class Visitor>
constexpr void visit_int_shape(Visitor& visit) {
    visit_shape_common<S>(visit);
    visit.template operator()<AllTrue<S>>();
    visit.template operator()<Bitmask<S>>();
    visit.template operator()<Shl<S>>();
    visit.template operator()<ShrS<S>>();
    visit.template operator()<ShrU<S>>();
    visit.template operator()<LtS<S>>();
    visit.template operator()<GtS<S>>();
    visit.template operator()<LeS<S>>();
    visit.template operator()<GeS<S>>();
    visit.template operator()<LoadSplat<S>>();
    visit.template operator()<LoadLane<S>>();
    visit.template operator()<StoreLane<S>>();
    if constexpr (!std::same_as<S, I64x2>) {
        visit.template operator()<LtU<S>>();
        visit.template operator()<GtU<S>>();
        visit.template operator()<LeU<S>>();
        visit.template operator()<GeU<S>>();
        visit.template operator()<MinS<S>>();
        visit.template operator()<MinU<S>>();
        visit.template operator()<MaxS<S>>();
        visit.template operator()<MaxU<S>>();
    }
    if constexpr (std::same_as<S, I8x16> || std::same_as<S, I16x8>) {
        visit.template operator()<ExtractLaneS<S>>();
        visit.template operator()<ExtractLaneU<S>>();
        visit.template operator()<AvgrU<S>>();
        visit.template operator()<AddSatS<S>>();
        visit.template operator()<AddSatU<S>>();
        visit.template operator()<SubSatS<S>>();
        visit.template operator()<SubSatU<S>>();
        visit.template operator()<Narrow<S, true>>();
        visit.template operator()<Narrow<S, false>>();
    } else {
        visit.template operator()<ExtractLane<S>>();
    }
    if constexpr (!std::same_as<S, I8x16>) {
        visit.template operator()<Extend<S, false, true>>();
        visit.template operator()<Extend<S, true, true>>();
        visit.template operator()<Extend<S, false, false>>();
        visit.template operator()<Extend<S, true, false>>();
        visit.template operator()<ExtMul<S, false, true>>();
        visit.template operator()<ExtMul<S, true, true>>();
        visit.template operator()<ExtMul<S, false, false>>();
        visit.template operator()<ExtMul<S, true, false>>();
        visit.template operator()<LoadExtend<S, true>>();
        visit.template operator()<LoadExtend<S, false>>();
    }
    if constexpr (std::same_as<S, I16x8> || std::same_as<S, I32x4>) {
        visit.template operator()<ExtAddPairwise<S, true>>();
        visit.template operator()<ExtAddPairwise<S, false>>();
    }
    if constexpr (std::same_as<S, I32x4> || std::same_as<S, I64x2>) {
        visit.template operator()<LoadZero<S>>();
    }
}

template <FloatShape S, class Visitor>
constexpr void visit_float_shape(Visitor& visit) {
    visit_shape_common<S>(visit);
    visit.template operator()<ExtractLane<S>>();
    visit.template operator()<Lt<S>>();
    visit.template operator()<Gt<S>>();
    visit.template operator()<Le<S>>();
    visit.template operator()<Ge<S>>();
    visit.template operator()<Div<S>>();
    visit.template operator()<Min<S>>();
    visit.template operator()<Max<S>>();
    visit.template operator()<PMin<S>>();
    visit.template operator()<PMax<S>>();
    visit.template operator()<Sqrt<S>>();
    visit.template operator()<Ceil<S>>();
    visit.template operator()<Floor<S>>();
    visit.template operator()<Trunc<S>>();
    visit.template operator()<Nearest<S>>();
    visit.template operator()<TruncSat<S, true>>();
    visit.template operator()<TruncSat<S, false>>();
    visit.template operator()<Convert<S, true>>();
    visit.template operator()<Convert<S, false>>();
}

}  // namespace detail

template <class Visitor>
constexpr void for_each_simd_operator(Visitor&& visit) {
    detail::visit_int_shape<I8x16>(visit);
    detail::visit_int_shape<I16x8>(visit);
    detail::visit_int_shape<I32x4>(visit);
    detail::visit_int_shape<I64x2>(visit);
    detail::visit_float_shape<F32x4>(visit);
    detail::visit_float_shape<F64x2>(visit);
    visit.template operator()<Swizzle>();
    visit.template operator()<Shuffle>();
    visit.template operator()<Not>();
    visit.template operator()<And>();
    visit.template operator()<AndNot>();
    visit.template operator()<Or>();
    visit.template operator()<Xor>();
    visit.template operator()<Bitselect>();
    visit.template operator()<AnyTrue>();
    visit.template operator()<Popcnt>();
    visit.template operator()<Q15MulrSatS>();
    visit.template operator()<Dot>();
    visit.template operator()<DemoteZero>();
    visit.template operator()<PromoteLow>();
}

}  // namespace esta::wasm::ops::simd
