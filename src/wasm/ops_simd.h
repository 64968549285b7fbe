// The SIMD (v128) operators of WebAssembly 2.0, as functors over V128 (v128.h) that the
// interpreter's handlers call, like the scalar ones of ops_numeric.h:
//   slot_pair = ops::simd::Add<I32x4>{}(a, b);              // i32x4.add
//   slot_pair = ops::simd::ExtMul<I64x2, true, false>{}(a, b);   // i64x2.extmul_high_i32x4_u
//   i32_slot = ops::simd::ExtractLaneS<I8x16>{}(a, lane);   // i8x16.extract_lane_s
// Spec: https://webassembly.github.io/spec/core/exec/numerics.html
//
// Contract (ops_simd_common.h has the details):
// - Each functor has `using Operand`, `using Result` and `static constexpr std::string_view
//   name`, the instruction's text name; immediates (lane index, shuffle lanes) come last in
//   the call. Templates over a shape (I8x16 ... F64x2) serve one instruction per shape.
// - Every functor has a static `portable` path and may have a `host` path (SSE2 on x86-64,
//   more with -msse4.1); both give bit-identical results, canonical NaNs included.
// - No SIMD operator traps: nothing here returns Checked<>.
//
// Families: ops_simd_lanes.h (splat, lane access, shuffle, swizzle, bitwise, any/all_true,
// bitmask, load/store lane shaping), ops_simd_int.h (add, sub, mul, neg, abs for all shapes;
// min/max, avgr, saturating arithmetic), ops_simd_shift_mul.h (shifts, popcnt, q15mulr, dot,
// extmul, extadd_pairwise), ops_simd_compare.h (comparisons, narrow, extend),
// ops_simd_float.h (div, sqrt, min/max, pmin/pmax, rounding, conversions).
#pragma once

#include "wasm/ops_simd_compare.h"
#include "wasm/ops_simd_float.h"
#include "wasm/ops_simd_int.h"
#include "wasm/ops_simd_lanes.h"
#include "wasm/ops_simd_shift_mul.h"
