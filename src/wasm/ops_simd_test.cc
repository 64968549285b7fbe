// The SIMD operators against the spec's definitions, on hand-picked lanes. Each expectation is
// checked on both paths: `both<Op>(args...)` fails if the portable and the dispatched (host
// where available) results differ, and returns the result for the spec expectation.
#include <gtest/gtest.h>

#include "wasm/opcodes.h"
#include "wasm/ops_simd.h"

namespace esta::wasm::ops::simd {
namespace {

template <class T>
auto raw_bits(T value) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::bit_cast<std::conditional_t<sizeof(T) == 4, u32, u64>>(value);
    } else {
        return value;
    }
}

template <class Op, class... Args>
auto both(const Args&... args) {
    const auto portable = Op::portable(args...);
    const auto dispatched = Op{}(args...);
    EXPECT_EQ(raw_bits(portable), raw_bits(dispatched)) << Op::name << ": paths disagree";
    return dispatched;
}

template <class Lane, class... Values>
V128 lanes(Values... values) {
    static_assert(sizeof...(Values) == 16 / sizeof(Lane));
    return V128::from_lanes<Lane>({static_cast<Lane>(values)...});
}
V128 f32s(f32 a, f32 b, f32 c, f32 d) {
    return V128::from_lanes<f32>({a, b, c, d});
}
V128 f64s(f64 a, f64 b) {
    return V128::from_lanes<f64>({a, b});
}
V128 f32_bits(u32 a, u32 b, u32 c, u32 d) {
    return lanes<u32>(a, b, c, d);
}

constexpr u32 kCanonicalF32 = 0x7FC00000;
constexpr u64 kCanonicalF64 = 0x7FF8000000000000;

// ---------------------------------------------------------------------------------------------
// The value type.

TEST(OpsSimd, V128LanesAreLittleEndianInMemoryOrder) {
    const V128 v = V128::from_halves(0x0706050403020100u, 0x0F0E0D0C0B0A0908u);
    for (unsigned i = 0; i < 16; ++i)
        EXPECT_EQ(v.bytes[i], i);
    EXPECT_EQ(v.lane<u16>(1), 0x0302u);
    EXPECT_EQ(v.lane<u32>(3), 0x0F0E0D0Cu);
    EXPECT_EQ(v.lane<u64>(1), 0x0F0E0D0C0B0A0908u);
    EXPECT_EQ(v.low(), 0x0706050403020100u);
    EXPECT_EQ(v.high(), 0x0F0E0D0C0B0A0908u);
    V128 w = v;
    w.set_lane<u16>(7, 0xBEEF);
    EXPECT_EQ(w.bytes[14], 0xEF);
    EXPECT_EQ(w.bytes[15], 0xBE);
    EXPECT_TRUE(std::is_trivially_copyable_v<V128>);
}

TEST(OpsSimd, FloatLanesKeepTheirBits) {
    V128 v;
    v.set_lane<u32>(2, 0x7FA00001u);  // A signalling NaN with a payload.
    EXPECT_EQ(std::bit_cast<u32>(v.lane<f32>(2)), 0x7FA00001u);
    EXPECT_EQ(std::bit_cast<u32>(both<ExtractLane<F32x4>>(v, 2u)), 0x7FA00001u);
    const V128 replaced =
        both<ReplaceLane<F64x2>>(V128{}, std::bit_cast<f64>(u64{0xFFF0000000000001}), 1u);
    EXPECT_EQ(replaced.high(), 0xFFF0000000000001u);
}

// ---------------------------------------------------------------------------------------------
// Lane access and permutations.

TEST(OpsSimd, SplatExtractReplace) {
    EXPECT_EQ(both<Splat<I8x16>>(u32{0x1234}),
              V128::from_halves(0x3434343434343434u, 0x3434343434343434u));
    EXPECT_EQ(both<Splat<I64x2>>(u64{5}), V128::from_halves(5, 5));
    const V128 v = lanes<u8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x80);
    EXPECT_EQ(both<ExtractLaneS<I8x16>>(v, 15u), 0xFFFFFF80u);
    EXPECT_EQ(both<ExtractLaneU<I8x16>>(v, 15u), 0x80u);
    EXPECT_EQ(both<ExtractLaneS<I16x8>>(lanes<u16>(0, 0, 0, 0x8001, 0, 0, 0, 0), 3u), 0xFFFF8001u);
    EXPECT_EQ(both<ExtractLaneU<I16x8>>(lanes<u16>(0, 0, 0, 0x8001, 0, 0, 0, 0), 3u), 0x8001u);
    EXPECT_EQ(both<ReplaceLane<I8x16>>(V128{}, u32{0x1FF}, 1u), V128::from_halves(0xFF00, 0));
}

TEST(OpsSimd, ShuffleReadsBothOperands) {
    const V128 a = lanes<u8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const V128 b = lanes<u8>(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    const Shuffle::Lanes reverse = {31, 30, 29, 28, 27, 26, 25, 24, 7, 6, 5, 4, 3, 2, 1, 0};
    EXPECT_EQ(both<Shuffle>(a, b, reverse),
              lanes<u8>(31, 30, 29, 28, 27, 26, 25, 24, 7, 6, 5, 4, 3, 2, 1, 0));
}

TEST(OpsSimd, SwizzleZeroesOutOfRangeIndices) {
    const V128 a = lanes<u8>(10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
    const V128 s = lanes<u8>(0, 15, 16, 0x80, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x70, 0x8F);
    EXPECT_EQ(both<Swizzle>(a, s),
              lanes<u8>(10, 25, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0, 0));
}

TEST(OpsSimd, BitwiseAndReductions) {
    const V128 a = V128::from_halves(0xFF00FF00FF00FF00u, 0x0123456789ABCDEFu);
    const V128 b = V128::from_halves(0x0F0F0F0F0F0F0F0Fu, 0xFFFFFFFF00000000u);
    EXPECT_EQ(both<AndNot>(a, b), V128::from_halves(0xF000F000F000F000u, 0x0000000089ABCDEFu));
    EXPECT_EQ(both<Bitselect>(a, b, V128::from_halves(~u64{0}, 0)),
              V128::from_halves(a.low(), b.high()));
    EXPECT_EQ(both<Not>(V128{}), V128::from_halves(~u64{0}, ~u64{0}));
    EXPECT_EQ(both<AnyTrue>(V128::from_halves(0, 1)), 1u);
    EXPECT_EQ(both<AnyTrue>(V128{}), 0u);
    EXPECT_EQ(both<AllTrue<I8x16>>(V128::from_halves(~u64{0}, 0x0101010101010100u)), 0u);
    EXPECT_EQ(both<AllTrue<I16x8>>(V128::from_halves(0x0001000100010100u, 0x0001000100010001u)),
              1u);
    EXPECT_EQ(both<AllTrue<I64x2>>(V128::from_halves(0x100000000u, 1)), 1u);
    EXPECT_EQ(both<AllTrue<I64x2>>(V128::from_halves(0, 1)), 0u);
    EXPECT_EQ(both<Bitmask<I8x16>>(V128::from_halves(0x80, 0x8000000000000000u)), 0x8001u);
    EXPECT_EQ(both<Bitmask<I16x8>>(lanes<u16>(0x8000, 0x7FFF, 0, 0xFFFF, 0, 0, 0, 0x8000)), 0x89u);
    EXPECT_EQ(both<Bitmask<I32x4>>(lanes<u32>(0, 0x80000000, 0, 0xFFFFFFFF)), 0xAu);
    EXPECT_EQ(both<Bitmask<I64x2>>(V128::from_halves(1u << 31, 1ull << 63)), 0x2u);
}

// ---------------------------------------------------------------------------------------------
// Integer arithmetic.

TEST(OpsSimd, IntegerArithmeticWraps) {
    EXPECT_EQ(both<Add<I8x16>>(V128::from_halves(0xFF, 0), V128::from_halves(0x01, 0)), V128{});
    EXPECT_EQ(both<Mul<I16x8>>(lanes<u16>(0x8000, 3, 0xFFFF, 0, 0, 0, 0, 0),
                               lanes<u16>(2, 0x5555, 0xFFFF, 0, 0, 0, 0, 0)),
              lanes<u16>(0, 0xFFFF, 1, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<Mul<I32x4>>(lanes<u32>(0x80000001, 0xFFFFFFFF, 7, 0x10000),
                               lanes<u32>(3, 0xFFFFFFFF, 6, 0x10000)),
              lanes<u32>(0x80000003, 1, 42, 0));
    EXPECT_EQ(both<Mul<I64x2>>(V128::from_halves(~u64{0}, 1ull << 32),
                               V128::from_halves(~u64{0}, 1ull << 32)),
              V128::from_halves(1, 0));
    EXPECT_EQ(both<Neg<I32x4>>(lanes<u32>(0x80000000, 1, 0, 0xFFFFFFFF)),
              lanes<u32>(0x80000000, 0xFFFFFFFF, 0, 1));
    EXPECT_EQ(both<Abs<I8x16>>(lanes<u8>(0x80, 0xFF, 1, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
              lanes<u8>(0x80, 1, 1, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<Abs<I64x2>>(V128::from_halves(1ull << 63, ~u64{0})),
              V128::from_halves(1ull << 63, 1));
}

TEST(OpsSimd, MinMaxSignedAndUnsigned) {
    const V128 a = lanes<u32>(0xFFFFFFFF, 1, 0x80000000, 5);
    const V128 b = lanes<u32>(1, 0xFFFFFFFF, 0x7FFFFFFF, 5);
    EXPECT_EQ(both<MinS<I32x4>>(a, b), lanes<u32>(0xFFFFFFFF, 0xFFFFFFFF, 0x80000000, 5));
    EXPECT_EQ(both<MinU<I32x4>>(a, b), lanes<u32>(1, 1, 0x7FFFFFFF, 5));
    EXPECT_EQ(both<MaxS<I32x4>>(a, b), lanes<u32>(1, 1, 0x7FFFFFFF, 5));
    EXPECT_EQ(both<MaxU<I32x4>>(a, b), lanes<u32>(0xFFFFFFFF, 0xFFFFFFFF, 0x80000000, 5));
    EXPECT_EQ(both<MinU<I16x8>>(lanes<u16>(0x8000, 0, 0, 0, 0, 0, 0, 0),
                                lanes<u16>(0x7FFF, 0, 0, 0, 0, 0, 0, 0)),
              lanes<u16>(0x7FFF, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<MaxS<I8x16>>(V128::from_halves(0x80, 0), V128::from_halves(0x7F, 0)),
              V128::from_halves(0x7F, 0));
}

TEST(OpsSimd, SaturatingArithmeticAndAverage) {
    const V128 a = lanes<u8>(0x7F, 0x80, 0xFF, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    const V128 b = lanes<u8>(0x01, 0xFF, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    EXPECT_EQ(both<AddSatS<I8x16>>(a, b),
              lanes<u8>(0x7F, 0x80, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<AddSatU<I8x16>>(a, b),
              lanes<u8>(0x80, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<SubSatS<I8x16>>(a, b),
              lanes<u8>(0x7E, 0x81, 0xFE, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<SubSatU<I8x16>>(a, b),
              lanes<u8>(0x7E, 0x00, 0xFE, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<SubSatS<I16x8>>(lanes<u16>(0x8000, 0x7FFF, 0, 0, 0, 0, 0, 0),
                                   lanes<u16>(1, 0xFFFF, 0, 0, 0, 0, 0, 0)),
              lanes<u16>(0x8000, 0x7FFF, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<AvgrU<I16x8>>(lanes<u16>(0xFFFF, 1, 0, 0, 0, 0, 0, 0),
                                 lanes<u16>(0xFFFF, 2, 0, 0, 0, 0, 0, 0)),
              lanes<u16>(0xFFFF, 2, 0, 0, 0, 0, 0, 0));
}

TEST(OpsSimd, ShiftCountsAreModuloTheLaneWidth) {
    const V128 bytes = lanes<u8>(0x81, 0x40, 0xFF, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80);
    EXPECT_EQ(both<Shl<I8x16>>(bytes, 9u), both<Shl<I8x16>>(bytes, 1u));
    EXPECT_EQ(both<Shl<I8x16>>(bytes, 1u),
              lanes<u8>(0x02, 0x80, 0xFE, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ(both<ShrS<I8x16>>(bytes, 7u),
              lanes<u8>(0xFF, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF));
    EXPECT_EQ(both<ShrU<I8x16>>(bytes, 7u),
              lanes<u8>(1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    EXPECT_EQ(both<ShrS<I32x4>>(lanes<u32>(0x80000000, 8, 0, 0), 35u),
              lanes<u32>(0xF0000000, 1, 0, 0));
    EXPECT_EQ(both<ShrS<I64x2>>(V128::from_halves(1ull << 63, 4), 65u),
              V128::from_halves(3ull << 62, 2));
    EXPECT_EQ(both<Shl<I64x2>>(V128::from_halves(1, 1), 0xFFFFFFFFu),
              V128::from_halves(1ull << 63, 1ull << 63));
    EXPECT_EQ(both<ShrU<I16x8>>(lanes<u16>(0x8000, 0, 0, 0, 0, 0, 0, 0), 16u),
              lanes<u16>(0x8000, 0, 0, 0, 0, 0, 0, 0));
}

TEST(OpsSimd, PopcntQ15DotExtmulExtadd) {
    EXPECT_EQ(both<Popcnt>(lanes<u8>(0, 1, 0xFF, 0x80, 0x55, 0xF0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
              lanes<u8>(0, 1, 8, 1, 4, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    // 0x8000 * 0x8000 is 1.0 in Q15, which saturates; 0.5 * 0.5 = 0.25; rounding up at a half.
    EXPECT_EQ(both<Q15MulrSatS>(lanes<u16>(0x8000, 0x4000, 0x8000, 1, 0xFFFF, 0, 0, 0),
                                lanes<u16>(0x8000, 0x4000, 0x7FFF, 0x4000, 1, 0, 0, 0)),
              lanes<u16>(0x7FFF, 0x2000, 0x8001, 1, 0, 0, 0, 0));
    EXPECT_EQ(both<Dot>(lanes<u16>(0x8000, 0x8000, 1, 2, 0xFFFF, 3, 0, 0),
                        lanes<u16>(0x8000, 0x8000, 3, 4, 5, 0xFFFF, 0, 0)),
              lanes<u32>(0x80000000, 11, 0xFFFFFFF8, 0));
    const V128 words = lanes<u32>(0xFFFFFFFF, 2, 0x80000000, 0xFFFFFFFF);
    EXPECT_EQ((both<ExtMul<I64x2, false, true>>(words, words)), V128::from_halves(1, 4));
    EXPECT_EQ((both<ExtMul<I64x2, true, true>>(words, words)), V128::from_halves(1ull << 62, 1));
    EXPECT_EQ((both<ExtMul<I64x2, false, false>>(words, words)),
              V128::from_halves(0xFFFFFFFE00000001u, 4));
    EXPECT_EQ(
        (both<ExtMul<I16x8, true, false>>(V128::from_halves(0, 0xFF), V128::from_halves(0, 0xFF))),
        lanes<u16>(0xFE01, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ((both<ExtMul<I32x4, false, true>>(lanes<u16>(0x8000, 0xFFFF, 0, 0, 0, 0, 0, 0),
                                                lanes<u16>(0x8000, 2, 0, 0, 0, 0, 0, 0))),
              lanes<u32>(0x40000000, 0xFFFFFFFE, 0, 0));
    EXPECT_EQ((both<ExtAddPairwise<I16x8, true>>(V128::from_halves(0x80FF, 0x7F7F))),
              lanes<u16>(0xFF7F, 0, 0, 0, 0xFE, 0, 0, 0));
    EXPECT_EQ((both<ExtAddPairwise<I16x8, false>>(V128::from_halves(0x80FF, 0))),
              lanes<u16>(0x17F, 0, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ((both<ExtAddPairwise<I32x4, false>>(lanes<u16>(0xFFFF, 0xFFFF, 0, 0, 0, 0, 0, 0))),
              lanes<u32>(0x1FFFE, 0, 0, 0));
    EXPECT_EQ((both<ExtAddPairwise<I32x4, true>>(lanes<u16>(0xFFFF, 0x8000, 0, 0, 0, 0, 0, 0))),
              lanes<u32>(0xFFFF7FFF, 0, 0, 0));
}

TEST(OpsSimd, NarrowSaturatesAndExtendWidens) {
    const V128 a = lanes<u16>(0x0080, 0xFF7F, 0x7FFF, 0xFFFF, 0x00FF, 0x0100, 0, 1);
    EXPECT_EQ((both<Narrow<I8x16, true>>(a, a)),
              lanes<u8>(0x7F, 0x80, 0x7F, 0xFF, 0x7F, 0x7F, 0, 1, 0x7F, 0x80, 0x7F, 0xFF, 0x7F,
                        0x7F, 0, 1));
    EXPECT_EQ((both<Narrow<I8x16, false>>(a, a)),
              lanes<u8>(0x80, 0, 0xFF, 0, 0xFF, 0xFF, 0, 1, 0x80, 0, 0xFF, 0, 0xFF, 0xFF, 0, 1));
    const V128 w = lanes<u32>(0x10000, 0xFFFFFFFF, 0x8000, 0x7FFF);
    EXPECT_EQ((both<Narrow<I16x8, false>>(w, w)),
              lanes<u16>(0xFFFF, 0, 0x8000, 0x7FFF, 0xFFFF, 0, 0x8000, 0x7FFF));
    EXPECT_EQ((both<Narrow<I16x8, true>>(w, w)),
              lanes<u16>(0x7FFF, 0xFFFF, 0x7FFF, 0x7FFF, 0x7FFF, 0xFFFF, 0x7FFF, 0x7FFF));
    const V128 bytes = lanes<u8>(0x80, 1, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0x7F);
    EXPECT_EQ((both<Extend<I16x8, false, true>>(bytes)), lanes<u16>(0xFF80, 1, 0, 0, 0, 0, 0, 0));
    EXPECT_EQ((both<Extend<I16x8, true, false>>(bytes)), lanes<u16>(0xFF, 0, 0, 0, 0, 0, 0, 0x7F));
    EXPECT_EQ((both<Extend<I64x2, true, true>>(lanes<u32>(0, 0, 0x80000000, 1))),
              V128::from_halves(0xFFFFFFFF80000000u, 1));
    EXPECT_EQ((both<LoadExtend<I32x4, true>>(u64{0x8000000100020003})),
              lanes<u32>(3, 2, 1, 0xFFFF8000));
    EXPECT_EQ((both<LoadZero<I32x4>>(u32{7})), lanes<u32>(7, 0, 0, 0));
}

// ---------------------------------------------------------------------------------------------
// Comparisons.

TEST(OpsSimd, IntegerComparisonsGiveAllOnesLanes) {
    const V128 a = V128::from_halves(~u64{0}, 1);
    const V128 b = V128::from_halves(1, 1);
    EXPECT_EQ(both<LtS<I64x2>>(a, b), V128::from_halves(~u64{0}, 0));
    EXPECT_EQ(both<GeS<I64x2>>(a, b), V128::from_halves(0, ~u64{0}));
    EXPECT_EQ(both<GtS<I64x2>>(V128::from_halves(0x100000000u, 0x7FFFFFFFFFFFFFFFu),
                               V128::from_halves(0xFFFFFFFFu, 1ull << 63)),
              V128::from_halves(~u64{0}, ~u64{0}));
    EXPECT_EQ(both<Ne<I64x2>>(V128::from_halves(1ull << 32, 5), V128::from_halves(0, 5)),
              V128::from_halves(~u64{0}, 0));
    EXPECT_EQ(both<LtU<I8x16>>(V128::from_halves(0x01, 0), V128::from_halves(0xFF, 0)),
              V128::from_halves(0xFF, 0));
    EXPECT_EQ(both<LtS<I8x16>>(V128::from_halves(0x01, 0), V128::from_halves(0xFF, 0)), V128{});
    EXPECT_EQ(both<LeU<I16x8>>(lanes<u16>(0x8000, 1, 2, 0, 0, 0, 0, 0),
                               lanes<u16>(0x7FFF, 1, 1, 0, 0, 0, 0, 0)),
              lanes<u16>(0, 0xFFFF, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF));
    EXPECT_EQ(both<GeU<I32x4>>(lanes<u32>(0x80000000, 0, 3, 3), lanes<u32>(1, 1, 3, 4)),
              lanes<u32>(~0u, 0, ~0u, 0));
}

TEST(OpsSimd, FloatComparisonsFollowIeee) {
    const f32 nan = std::bit_cast<f32>(kCanonicalF32);
    const V128 a = f32s(nan, -0.0f, 1.0f, 2.0f);
    const V128 b = f32s(nan, 0.0f, 2.0f, 1.0f);
    EXPECT_EQ(both<Eq<F32x4>>(a, b), lanes<u32>(0, ~0u, 0, 0));
    EXPECT_EQ(both<Ne<F32x4>>(a, b), lanes<u32>(~0u, 0, ~0u, ~0u));
    EXPECT_EQ(both<Lt<F32x4>>(a, b), lanes<u32>(0, 0, ~0u, 0));
    EXPECT_EQ(both<Ge<F32x4>>(a, b), lanes<u32>(0, ~0u, 0, ~0u));
    EXPECT_EQ(both<Gt<F64x2>>(f64s(nan, 3.0), f64s(1.0, 2.0)), V128::from_halves(0, ~u64{0}));
    EXPECT_EQ(both<Le<F64x2>>(f64s(-0.0, 3.0), f64s(0.0, 2.0)), V128::from_halves(~u64{0}, 0));
}

// ---------------------------------------------------------------------------------------------
// Floats (REQUIREMENTS T-5).

TEST(OpsSimd, T5_FloatLaneNaNsAreCanonical) {
    const V128 payloads = f32_bits(0x7FC00001, 0xFFC00000, 0x7F800001, 0x3F800000);
    const V128 ones = f32s(1.0f, 1.0f, 1.0f, 1.0f);
    const V128 canonical3 = f32_bits(kCanonicalF32, kCanonicalF32, kCanonicalF32, 0x40000000);
    EXPECT_EQ(both<Add<F32x4>>(payloads, ones), canonical3);
    EXPECT_EQ(both<Mul<F32x4>>(payloads, f32s(2.0f, 2.0f, 2.0f, 2.0f)), canonical3);
    EXPECT_EQ(both<Sub<F32x4>>(f32s(INFINITY, 0.0f, 0.0f, 0.0f), f32s(INFINITY, 0.0f, 0.0f, 0.0f)),
              f32_bits(kCanonicalF32, 0, 0, 0));
    EXPECT_EQ(both<Div<F64x2>>(f64s(0.0, 1.0), f64s(0.0, 0.0)),
              V128::from_halves(kCanonicalF64, 0x7FF0000000000000u));
    EXPECT_EQ(both<Sqrt<F32x4>>(f32s(-1.0f, 4.0f, -0.0f, INFINITY)),
              f32_bits(kCanonicalF32, 0x40000000, 0x80000000, 0x7F800000));
    EXPECT_EQ(both<Min<F32x4>>(payloads, ones),
              f32_bits(kCanonicalF32, kCanonicalF32, kCanonicalF32, 0x3F800000));
    EXPECT_EQ(both<Max<F64x2>>(V128::from_halves(0xFFF8000000000001u, 0), f64s(1.0, 1.0)),
              V128::from_halves(kCanonicalF64, 0x3FF0000000000000u));
    EXPECT_EQ(both<Ceil<F32x4>>(f32_bits(0xFFC00001, 0, 0, 0)), f32_bits(kCanonicalF32, 0, 0, 0));
    EXPECT_EQ(both<Nearest<F64x2>>(V128::from_halves(0x7FF0000000000001u, 0)),
              V128::from_halves(kCanonicalF64, 0));
    EXPECT_EQ(both<DemoteZero>(V128::from_halves(0xFFF0000000000001u, 0x3FF0000000000000u)),
              f32_bits(kCanonicalF32, 0x3F800000, 0, 0));
    EXPECT_EQ(both<PromoteLow>(f32_bits(0x7F800001, 0xBF800000, 0x7F800001, 0x7F800001)),
              V128::from_halves(kCanonicalF64, 0xBFF0000000000000u));
}

TEST(OpsSimd, T5_AbsNegAndPseudoMinMaxKeepNaNBits) {
    const V128 nan_payload = f32_bits(0x7FC00001, 0xFFA00000, 0x80000000, 0);
    EXPECT_EQ(both<Abs<F32x4>>(nan_payload), f32_bits(0x7FC00001, 0x7FA00000, 0, 0));
    EXPECT_EQ(both<Neg<F32x4>>(nan_payload), f32_bits(0xFFC00001, 0x7FA00000, 0, 0x80000000));
    // pmin(a, b) = b < a ? b : a: a NaN anywhere yields a as it was.
    const V128 a = f32_bits(0x7FC00001, 0x3F800000, 0x80000000, 0x00000000);
    const V128 b = f32_bits(0x3F800000, 0x7FC00002, 0x00000000, 0x80000000);
    EXPECT_EQ(both<PMin<F32x4>>(a, b), a);
    EXPECT_EQ(both<PMax<F32x4>>(a, b), a);
    EXPECT_EQ(both<PMin<F64x2>>(f64s(2.0, 1.0), f64s(1.0, 2.0)), f64s(1.0, 1.0));
    EXPECT_EQ(both<PMax<F64x2>>(f64s(2.0, 1.0), f64s(1.0, 2.0)), f64s(2.0, 2.0));
}

TEST(OpsSimd, MinMaxOrderNegativeZeroBelowPositiveZero) {
    const V128 a = f32s(-0.0f, 0.0f, -0.0f, 3.0f);
    const V128 b = f32s(0.0f, -0.0f, -0.0f, -3.0f);
    EXPECT_EQ(both<Min<F32x4>>(a, b), f32_bits(0x80000000, 0x80000000, 0x80000000, 0xC0400000));
    EXPECT_EQ(both<Max<F32x4>>(a, b), f32_bits(0, 0, 0x80000000, 0x40400000));
    EXPECT_EQ(both<Min<F64x2>>(f64s(0.0, -INFINITY), f64s(-0.0, 5.0)),
              V128::from_halves(1ull << 63, 0xFFF0000000000000u));
}

TEST(OpsSimd, RoundingKeepsSignsAndTiesToEven) {
    EXPECT_EQ(both<Nearest<F32x4>>(f32s(2.5f, -0.5f, 3.5f, -1.5f)),
              f32_bits(0x40000000, 0x80000000, 0x40800000, 0xC0000000));
    EXPECT_EQ(both<Ceil<F32x4>>(f32s(-0.5f, 1.1f, -1.1f, 0x1p30f)),
              f32_bits(0x80000000, 0x40000000, 0xBF800000, 0x4E800000));
    EXPECT_EQ(both<Floor<F64x2>>(f64s(-0.5, 0.5)), f64s(-1.0, 0.0));
    EXPECT_EQ(both<Trunc<F64x2>>(f64s(-0.7, 1e300)),
              V128::from_halves(1ull << 63, std::bit_cast<u64>(1e300)));
}

TEST(OpsSimd, TruncSatSaturatesAndZeroesNaN) {
    const V128 edges = f32_bits(kCanonicalF32, 0x4F000000 /* 2^31 */, 0xCF000001 /* below -2^31 */,
                                0xC0200000 /* -2.5 */);
    EXPECT_EQ((both<TruncSat<F32x4, true>>(edges)),
              lanes<u32>(0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE));
    EXPECT_EQ((both<TruncSat<F32x4, false>>(edges)), lanes<u32>(0, 0x80000000, 0, 0));
    EXPECT_EQ((both<TruncSat<F32x4, false>>(f32s(0x1p32f, 4294967040.0f, 0.99f, INFINITY))),
              lanes<u32>(0xFFFFFFFF, 0xFFFFFF00, 0, 0xFFFFFFFF));
    EXPECT_EQ((both<TruncSat<F64x2, true>>(f64s(-2147483648.9, 2147483647.9))),
              lanes<u32>(0x80000000, 0x7FFFFFFF, 0, 0));
    EXPECT_EQ((both<TruncSat<F64x2, true>>(f64s(-1e10, std::bit_cast<f64>(kCanonicalF64)))),
              lanes<u32>(0x80000000, 0, 0, 0));
    EXPECT_EQ((both<TruncSat<F64x2, false>>(f64s(4294967295.9, -0.9))),
              lanes<u32>(0xFFFFFFFF, 0, 0, 0));
}

TEST(OpsSimd, IntegerToFloatRoundsToNearestEven) {
    // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even wins.
    EXPECT_EQ((both<Convert<F32x4, true>>(lanes<u32>(16777217, 0x80000000, 0xFFFFFFFF, 16777219))),
              f32s(16777216.0f, -0x1p31f, -1.0f, 16777220.0f));
    EXPECT_EQ(
        (both<Convert<F32x4, false>>(lanes<u32>(0xFFFFFFFF, 0x80000000, 16777217, 0xFFFFFF7F))),
        f32s(0x1p32f, 0x1p31f, 16777216.0f, 4294967040.0f));
    EXPECT_EQ((both<Convert<F64x2, true>>(lanes<u32>(0xFFFFFFFF, 0x80000000, 9, 9))),
              f64s(-1.0, -0x1p31));
    EXPECT_EQ((both<Convert<F64x2, false>>(lanes<u32>(0xFFFFFFFF, 0x80000000, 9, 9))),
              f64s(4294967295.0, 0x1p31));
}

// ---------------------------------------------------------------------------------------------
// Names and the opcode table.

TEST(OpsSimd, OperatorsAreNamedAfterTheirInstructions) {
    EXPECT_EQ(Add<I32x4>::name, "i32x4.add");
    EXPECT_EQ(Add<F64x2>::name, "f64x2.add");
    EXPECT_EQ((Compare<I8x16, Relation::LtU>::name), "i8x16.lt_u");
    EXPECT_EQ(Ge<F32x4>::name, "f32x4.ge");
    EXPECT_EQ((ExtMul<I64x2, true, false>::name), "i64x2.extmul_high_i32x4_u");
    EXPECT_EQ((Extend<I32x4, false, true>::name), "i32x4.extend_low_i16x8_s");
    EXPECT_EQ((TruncSat<F64x2, false>::name), "i32x4.trunc_sat_f64x2_u_zero");
    EXPECT_EQ(Nearest<F32x4>::name, "f32x4.nearest");
    EXPECT_EQ((LoadExtend<I16x8, false>::name), "v128.load8x8_u");
}

// The rows parse with the scalar table's signature parser (a malformed signature would fail
// to compile here), and the ones the interpreter treats as plain v128 operators say so.
struct SimdRow {
    u16 code;
    std::string_view name;
    Signature signature;
};
// A plain array: deducing std::array's size from 236 rows exceeds clang's fold-expression limit.
constexpr SimdRow kSimdRows[] = {
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) \
    SimdRow{code, text, ::esta::wasm::detail::parse_signature(signature)},
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
};

TEST(OpsSimd, OpcodeRowsAreSortedUniqueAndTyped) {
    ASSERT_EQ(std::size(kSimdRows), 236u);
    for (std::size_t i = 1; i < std::size(kSimdRows); ++i)
        EXPECT_LT(kSimdRows[i - 1].code, kSimdRows[i].code);
    for (const SimdRow& row : kSimdRows) {
        EXPECT_TRUE(row.signature.fixed) << row.name;
        EXPECT_LE(row.code, 0xFFu) << row.name;
    }
    EXPECT_EQ(kSimdRows[0x0C].name, "v128.const");
    EXPECT_EQ(kSimdRows[std::size(kSimdRows) - 1].name, "f64x2.convert_low_i32x4_u");
    const SimdRow& bitselect = kSimdRows[0x52];
    EXPECT_EQ(bitselect.name, "v128.bitselect");
    EXPECT_EQ(bitselect.signature.param_count, 3);
    EXPECT_EQ(bitselect.signature.result, ValType::V128);
}

}  // namespace
}  // namespace esta::wasm::ops::simd
