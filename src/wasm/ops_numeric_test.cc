// Edge cases of the numeric operators: the values where wasm, C++ and the hardware disagree.
#include "wasm/ops_numeric.h"

#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "wasm/opcodes.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace esta::wasm::ops {
namespace {

constexpr u32 kI32Min = 0x80000000u;
constexpr u64 kI64Min = 0x8000000000000000u;
constexpr u32 kMinusOne32 = 0xFFFFFFFFu;
constexpr u64 kMinusOne64 = 0xFFFFFFFFFFFFFFFFu;
constexpr u32 kCanonicalNaN32 = 0x7FC00000u;
constexpr u64 kCanonicalNaN64 = 0x7FF8000000000000u;

f32 f32_bits(u32 bits) {
    return std::bit_cast<f32>(bits);
}
f64 f64_bits(u64 bits) {
    return std::bit_cast<f64>(bits);
}
u32 bits_of(f32 value) {
    return std::bit_cast<u32>(value);
}
u64 bits_of(f64 value) {
    return std::bit_cast<u64>(value);
}
u32 u32_of(i32 value) {
    return static_cast<u32>(value);
}
u64 u64_of(i64 value) {
    return static_cast<u64>(value);
}

constexpr f32 kInf32 = std::numeric_limits<f32>::infinity();
constexpr f64 kInf64 = std::numeric_limits<f64>::infinity();

// Checks bit-exact float equality, so -0 differs from +0 and NaN payloads count.
#define EXPECT_SAME_BITS(actual, expected) EXPECT_EQ(bits_of(actual), bits_of(expected))

// ---------------------------------------------------------------------------------------------
// Names and signatures against opcodes.def.

template <class T>
constexpr ValType val_type_of() {
    if constexpr (std::same_as<T, u32>) return ValType::I32;
    if constexpr (std::same_as<T, u64>) return ValType::I64;
    if constexpr (std::same_as<T, f32>) return ValType::F32;
    if constexpr (std::same_as<T, f64>) return ValType::F64;
}

struct OperatorRow {
    Op op;
    std::string_view name;
    ValType operand;
    ValType result;
    u8 arity;
};

template <class Functor>
OperatorRow row(Op op) {
    using Operand = typename Functor::Operand;
    constexpr u8 kArity = std::is_invocable_v<Functor, Operand, Operand> ? 2 : 1;
    return {op, Functor::name, val_type_of<Operand>(), val_type_of<typename Functor::Result>(),
            kArity};
}

std::vector<OperatorRow> every_operator() {
    return {
        row<Eqz<u32>>(Op::i32_eqz),
        row<Eq<u32>>(Op::i32_eq),
        row<Ne<u32>>(Op::i32_ne),
        row<LtS<u32>>(Op::i32_lt_s),
        row<LtU<u32>>(Op::i32_lt_u),
        row<GtS<u32>>(Op::i32_gt_s),
        row<GtU<u32>>(Op::i32_gt_u),
        row<LeS<u32>>(Op::i32_le_s),
        row<LeU<u32>>(Op::i32_le_u),
        row<GeS<u32>>(Op::i32_ge_s),
        row<GeU<u32>>(Op::i32_ge_u),
        row<Eqz<u64>>(Op::i64_eqz),
        row<Eq<u64>>(Op::i64_eq),
        row<Ne<u64>>(Op::i64_ne),
        row<LtS<u64>>(Op::i64_lt_s),
        row<LtU<u64>>(Op::i64_lt_u),
        row<GtS<u64>>(Op::i64_gt_s),
        row<GtU<u64>>(Op::i64_gt_u),
        row<LeS<u64>>(Op::i64_le_s),
        row<LeU<u64>>(Op::i64_le_u),
        row<GeS<u64>>(Op::i64_ge_s),
        row<GeU<u64>>(Op::i64_ge_u),
        row<Eq<f32>>(Op::f32_eq),
        row<Ne<f32>>(Op::f32_ne),
        row<Lt<f32>>(Op::f32_lt),
        row<Gt<f32>>(Op::f32_gt),
        row<Le<f32>>(Op::f32_le),
        row<Ge<f32>>(Op::f32_ge),
        row<Eq<f64>>(Op::f64_eq),
        row<Ne<f64>>(Op::f64_ne),
        row<Lt<f64>>(Op::f64_lt),
        row<Gt<f64>>(Op::f64_gt),
        row<Le<f64>>(Op::f64_le),
        row<Ge<f64>>(Op::f64_ge),
        row<Clz<u32>>(Op::i32_clz),
        row<Ctz<u32>>(Op::i32_ctz),
        row<Popcnt<u32>>(Op::i32_popcnt),
        row<Add<u32>>(Op::i32_add),
        row<Sub<u32>>(Op::i32_sub),
        row<Mul<u32>>(Op::i32_mul),
        row<DivS<u32>>(Op::i32_div_s),
        row<DivU<u32>>(Op::i32_div_u),
        row<RemS<u32>>(Op::i32_rem_s),
        row<RemU<u32>>(Op::i32_rem_u),
        row<And<u32>>(Op::i32_and),
        row<Or<u32>>(Op::i32_or),
        row<Xor<u32>>(Op::i32_xor),
        row<Shl<u32>>(Op::i32_shl),
        row<ShrS<u32>>(Op::i32_shr_s),
        row<ShrU<u32>>(Op::i32_shr_u),
        row<Rotl<u32>>(Op::i32_rotl),
        row<Rotr<u32>>(Op::i32_rotr),
        row<Clz<u64>>(Op::i64_clz),
        row<Ctz<u64>>(Op::i64_ctz),
        row<Popcnt<u64>>(Op::i64_popcnt),
        row<Add<u64>>(Op::i64_add),
        row<Sub<u64>>(Op::i64_sub),
        row<Mul<u64>>(Op::i64_mul),
        row<DivS<u64>>(Op::i64_div_s),
        row<DivU<u64>>(Op::i64_div_u),
        row<RemS<u64>>(Op::i64_rem_s),
        row<RemU<u64>>(Op::i64_rem_u),
        row<And<u64>>(Op::i64_and),
        row<Or<u64>>(Op::i64_or),
        row<Xor<u64>>(Op::i64_xor),
        row<Shl<u64>>(Op::i64_shl),
        row<ShrS<u64>>(Op::i64_shr_s),
        row<ShrU<u64>>(Op::i64_shr_u),
        row<Rotl<u64>>(Op::i64_rotl),
        row<Rotr<u64>>(Op::i64_rotr),
        row<Abs<f32>>(Op::f32_abs),
        row<Neg<f32>>(Op::f32_neg),
        row<Ceil<f32>>(Op::f32_ceil),
        row<Floor<f32>>(Op::f32_floor),
        row<Trunc<f32>>(Op::f32_trunc),
        row<Nearest<f32>>(Op::f32_nearest),
        row<Sqrt<f32>>(Op::f32_sqrt),
        row<Add<f32>>(Op::f32_add),
        row<Sub<f32>>(Op::f32_sub),
        row<Mul<f32>>(Op::f32_mul),
        row<Div<f32>>(Op::f32_div),
        row<Min<f32>>(Op::f32_min),
        row<Max<f32>>(Op::f32_max),
        row<Copysign<f32>>(Op::f32_copysign),
        row<Abs<f64>>(Op::f64_abs),
        row<Neg<f64>>(Op::f64_neg),
        row<Ceil<f64>>(Op::f64_ceil),
        row<Floor<f64>>(Op::f64_floor),
        row<Trunc<f64>>(Op::f64_trunc),
        row<Nearest<f64>>(Op::f64_nearest),
        row<Sqrt<f64>>(Op::f64_sqrt),
        row<Add<f64>>(Op::f64_add),
        row<Sub<f64>>(Op::f64_sub),
        row<Mul<f64>>(Op::f64_mul),
        row<Div<f64>>(Op::f64_div),
        row<Min<f64>>(Op::f64_min),
        row<Max<f64>>(Op::f64_max),
        row<Copysign<f64>>(Op::f64_copysign),
        row<Wrap>(Op::i32_wrap_i64),
        row<TruncS<u32, f32>>(Op::i32_trunc_f32_s),
        row<TruncU<u32, f32>>(Op::i32_trunc_f32_u),
        row<TruncS<u32, f64>>(Op::i32_trunc_f64_s),
        row<TruncU<u32, f64>>(Op::i32_trunc_f64_u),
        row<ExtendS>(Op::i64_extend_i32_s),
        row<ExtendU>(Op::i64_extend_i32_u),
        row<TruncS<u64, f32>>(Op::i64_trunc_f32_s),
        row<TruncU<u64, f32>>(Op::i64_trunc_f32_u),
        row<TruncS<u64, f64>>(Op::i64_trunc_f64_s),
        row<TruncU<u64, f64>>(Op::i64_trunc_f64_u),
        row<ConvertS<f32, u32>>(Op::f32_convert_i32_s),
        row<ConvertU<f32, u32>>(Op::f32_convert_i32_u),
        row<ConvertS<f32, u64>>(Op::f32_convert_i64_s),
        row<ConvertU<f32, u64>>(Op::f32_convert_i64_u),
        row<Demote>(Op::f32_demote_f64),
        row<ConvertS<f64, u32>>(Op::f64_convert_i32_s),
        row<ConvertU<f64, u32>>(Op::f64_convert_i32_u),
        row<ConvertS<f64, u64>>(Op::f64_convert_i64_s),
        row<ConvertU<f64, u64>>(Op::f64_convert_i64_u),
        row<Promote>(Op::f64_promote_f32),
        row<Reinterpret<u32, f32>>(Op::i32_reinterpret_f32),
        row<Reinterpret<u64, f64>>(Op::i64_reinterpret_f64),
        row<Reinterpret<f32, u32>>(Op::f32_reinterpret_i32),
        row<Reinterpret<f64, u64>>(Op::f64_reinterpret_i64),
        row<Extend8S<u32>>(Op::i32_extend8_s),
        row<Extend16S<u32>>(Op::i32_extend16_s),
        row<Extend8S<u64>>(Op::i64_extend8_s),
        row<Extend16S<u64>>(Op::i64_extend16_s),
        row<Extend32S<u64>>(Op::i64_extend32_s),
        row<TruncSatS<u32, f32>>(Op::i32_trunc_sat_f32_s),
        row<TruncSatU<u32, f32>>(Op::i32_trunc_sat_f32_u),
        row<TruncSatS<u32, f64>>(Op::i32_trunc_sat_f64_s),
        row<TruncSatU<u32, f64>>(Op::i32_trunc_sat_f64_u),
        row<TruncSatS<u64, f32>>(Op::i64_trunc_sat_f32_s),
        row<TruncSatU<u64, f32>>(Op::i64_trunc_sat_f32_u),
        row<TruncSatS<u64, f64>>(Op::i64_trunc_sat_f64_s),
        row<TruncSatU<u64, f64>>(Op::i64_trunc_sat_f64_u),
    };
}

TEST(OpsNumeric, NamesAndSignaturesMatchTheOpcodeTable) {
    for (const OperatorRow& entry : every_operator()) {
        const OpcodeInfo& info = opcode_info(entry.op);
        SCOPED_TRACE(info.name);
        EXPECT_EQ(entry.name, info.name);
        ASSERT_TRUE(info.signature.fixed);
        ASSERT_EQ(info.signature.param_count, entry.arity);
        for (u8 i = 0; i < entry.arity; ++i) {
            EXPECT_EQ(info.signature.params[i], entry.operand);
        }
        ASSERT_EQ(info.signature.result_count, 1);
        EXPECT_EQ(info.signature.result, entry.result);
    }
}

TEST(OpsNumeric, EveryNumericOpcodeHasAnOperator) {
    // The numeric block of the single-byte opcodes is i32.eqz (0x45) to i64.extend32_s (0xC4);
    // the 0xFC block starts with the eight trunc_sat instructions.
    const std::vector<OperatorRow> rows = every_operator();
    size_t expected = 0;
    for (const OpcodeInfo& info : kOpcodes) {
        const u16 value = static_cast<u16>(info.op);
        const bool numeric =
            (value >= 0x45 && value <= 0xC4) || (value >= 0xFC00 && value <= 0xFC07);
        if (!numeric) continue;
        ++expected;
        bool found = false;
        for (const OperatorRow& entry : rows)
            found = found || entry.op == info.op;
        EXPECT_TRUE(found) << info.name << " has no operator";
    }
    EXPECT_EQ(rows.size(), expected);
}

// STYLE.md's handler form, `binary<u32, ops::Add>(frame)`, passes the operator as a template
// template argument; the constrained templates must still bind to it.
template <class T, template <class> class Op>
auto apply_binary(T a, T b) {
    return Op<T>{}(a, b);
}

TEST(OpsNumeric, OperatorsBindAsTemplateTemplateArguments) {
    EXPECT_EQ((apply_binary<u32, Add>(2, 3)), 5u);
    EXPECT_EQ((apply_binary<u64, Shl>(1, 65)), 2u);
    EXPECT_EQ((apply_binary<f64, Min>(-0.0, 0.0)), -0.0);
    EXPECT_EQ((apply_binary<f32, Lt>(1.0f, 2.0f)), 1u);
    EXPECT_EQ((apply_binary<u32, DivU>(7, 2).value), 3u);
}

TEST(OpsNumeric, E3_FloatEnvironmentCheckSeesRoundingModeChanges) {
    ASSERT_TRUE(float_environment_is_default());
    ASSERT_EQ(std::fesetround(FE_UPWARD), 0);
    const bool upward_is_default = float_environment_is_default();
    std::fesetround(FE_TONEAREST);
    EXPECT_FALSE(upward_is_default);
    EXPECT_TRUE(float_environment_is_default());
}

#if defined(__x86_64__)
TEST(OpsNumeric, E3_FloatEnvironmentCheckSeesFlushToZeroAndDenormalsAreZero) {
    constexpr unsigned kFlushToZero = 0x8000;
    constexpr unsigned kDenormalsAreZero = 0x0040;
    const unsigned saved = _mm_getcsr();
    bool flagged[2] = {};
    for (const unsigned mode : {kFlushToZero, kDenormalsAreZero}) {
        _mm_setcsr(saved | mode);
        flagged[mode == kDenormalsAreZero] = !float_environment_is_default();
        _mm_setcsr(saved);
    }
    EXPECT_TRUE(flagged[0]) << "FTZ not detected";
    EXPECT_TRUE(flagged[1]) << "DAZ not detected";
    EXPECT_TRUE(float_environment_is_default());
}
#endif

// ---------------------------------------------------------------------------------------------
// Integer operators.

TEST(OpsInteger, BitCountsOfZeroAreTheWidth) {
    EXPECT_EQ(Clz<u32>{}(0), 32u);
    EXPECT_EQ(Ctz<u32>{}(0), 32u);
    EXPECT_EQ(Popcnt<u32>{}(0), 0u);
    EXPECT_EQ(Clz<u64>{}(0), 64u);
    EXPECT_EQ(Ctz<u64>{}(0), 64u);
    EXPECT_EQ(Popcnt<u64>{}(kMinusOne64), 64u);
    EXPECT_EQ(Clz<u32>{}(1), 31u);
    EXPECT_EQ(Ctz<u32>{}(kI32Min), 31u);
    EXPECT_EQ(Clz<u64>{}(kI64Min), 0u);
    EXPECT_EQ(Ctz<u64>{}(kI64Min), 63u);
    EXPECT_EQ(Popcnt<u32>{}(0x80008001u), 3u);
}

TEST(OpsInteger, ArithmeticWrapsAround) {
    EXPECT_EQ(Add<u32>{}(0x7FFFFFFFu, 1), kI32Min);
    EXPECT_EQ(Add<u32>{}(kMinusOne32, 1), 0u);
    EXPECT_EQ(Sub<u32>{}(kI32Min, 1), 0x7FFFFFFFu);
    EXPECT_EQ(Sub<u64>{}(0, 1), kMinusOne64);
    EXPECT_EQ(Mul<u32>{}(0x10000u, 0x10000u), 0u);
    EXPECT_EQ(Mul<u32>{}(kI32Min, kMinusOne32), kI32Min);
    EXPECT_EQ(Mul<u64>{}(0x0123456789ABCDEFu, 0xFEDCBA9876543210u), 0x2236D88FE5618CF0u);
}

TEST(OpsInteger, E6_DivisionByZeroTrapsWithCode4002) {
    for (const Checked<u32> result : {DivS<u32>{}(1, 0), DivU<u32>{}(1, 0), RemS<u32>{}(1, 0),
                                      RemU<u32>{}(1, 0), DivS<u32>{}(0, 0)}) {
        EXPECT_FALSE(result.ok());
        EXPECT_EQ(trap_code(result.trap), 4002);
        EXPECT_STREQ(result.reason, "integer divide by zero");
    }
    for (const Checked<u64> result :
         {DivS<u64>{}(kI64Min, 0), DivU<u64>{}(1, 0), RemS<u64>{}(kI64Min, 0), RemU<u64>{}(1, 0)}) {
        EXPECT_FALSE(result.ok());
        EXPECT_EQ(trap_code(result.trap), 4002);
    }
}

TEST(OpsInteger, E6_SignedDivisionOfMinByMinusOneTrapsWithCode4003) {
    const Checked<u32> narrow = DivS<u32>{}(kI32Min, kMinusOne32);
    EXPECT_FALSE(narrow.ok());
    EXPECT_EQ(trap_code(narrow.trap), 4003);
    EXPECT_STREQ(narrow.reason, "integer overflow");
    const Checked<u64> wide = DivS<u64>{}(kI64Min, kMinusOne64);
    EXPECT_FALSE(wide.ok());
    EXPECT_EQ(trap_code(wide.trap), 4003);
    // The unsigned reading of the same bits is an ordinary division.
    EXPECT_EQ(DivU<u32>{}(kI32Min, kMinusOne32).value, 0u);
}

TEST(OpsInteger, SignedRemainderOfMinByMinusOneIsZero) {
    const Checked<u32> narrow = RemS<u32>{}(kI32Min, kMinusOne32);
    ASSERT_TRUE(narrow.ok());
    EXPECT_EQ(narrow.value, 0u);
    const Checked<u64> wide = RemS<u64>{}(kI64Min, kMinusOne64);
    ASSERT_TRUE(wide.ok());
    EXPECT_EQ(wide.value, 0u);
}

TEST(OpsInteger, SignedDivisionTruncatesTowardZero) {
    EXPECT_EQ(DivS<u32>{}(u32_of(-7), 2).value, u32_of(-3));
    EXPECT_EQ(DivS<u32>{}(7, u32_of(-2)).value, u32_of(-3));
    EXPECT_EQ(DivS<u64>{}(kI64Min, 2).value, 0xC000000000000000u);
    EXPECT_EQ(DivU<u32>{}(u32_of(-7), 2).value, 0x7FFFFFFCu);
    // The remainder takes the sign of the dividend.
    EXPECT_EQ(RemS<u32>{}(u32_of(-7), 2).value, u32_of(-1));
    EXPECT_EQ(RemS<u32>{}(7, u32_of(-2)).value, 1u);
    EXPECT_EQ(RemS<u64>{}(kI64Min, 3).value, u64_of(-2));
    EXPECT_EQ(RemU<u32>{}(u32_of(-7), 2).value, 1u);
    EXPECT_EQ(RemU<u64>{}(kMinusOne64, 10).value, 5u);
}

TEST(OpsInteger, ShiftCountsAreTakenModuloTheWidth) {
    EXPECT_EQ(Shl<u32>{}(1, 32), 1u);
    EXPECT_EQ(Shl<u32>{}(1, 33), 2u);
    EXPECT_EQ(Shl<u32>{}(1, kMinusOne32), kI32Min);
    EXPECT_EQ(ShrU<u32>{}(kI32Min, 63), 1u);
    EXPECT_EQ(ShrS<u32>{}(kI32Min, 31), kMinusOne32);
    EXPECT_EQ(ShrS<u32>{}(kI32Min, 32), kI32Min);
    EXPECT_EQ(ShrS<u32>{}(0x40000000u, 30), 1u);
    EXPECT_EQ(Shl<u64>{}(1, 64), 1u);
    EXPECT_EQ(Shl<u64>{}(1, 0x8000000000000003u), 8u);
    EXPECT_EQ(ShrU<u64>{}(kI64Min, 127), 1u);
    EXPECT_EQ(ShrS<u64>{}(kI64Min, 63), kMinusOne64);
    EXPECT_EQ(ShrS<u64>{}(kI64Min, 64), kI64Min);
}

TEST(OpsInteger, RotationsWrapBitsAround) {
    EXPECT_EQ(Rotl<u32>{}(0x80000001u, 1), 3u);
    EXPECT_EQ(Rotr<u32>{}(3, 1), 0x80000001u);
    EXPECT_EQ(Rotl<u32>{}(0x12345678u, 32), 0x12345678u);
    EXPECT_EQ(Rotl<u32>{}(0x12345678u, 36), 0x23456781u);
    EXPECT_EQ(Rotr<u32>{}(0x12345678u, kMinusOne32), 0x2468ACF0u);
    EXPECT_EQ(Rotl<u64>{}(kI64Min, 65), 1u);
    EXPECT_EQ(Rotr<u64>{}(1, 64), 1u);
    EXPECT_EQ(Rotr<u64>{}(1, 1), kI64Min);
}

TEST(OpsInteger, SignExtensionsReadTheLowBits) {
    EXPECT_EQ(Extend8S<u32>{}(0x7Fu), 0x7Fu);
    EXPECT_EQ(Extend8S<u32>{}(0x80u), 0xFFFFFF80u);
    EXPECT_EQ(Extend8S<u32>{}(0x12345680u), 0xFFFFFF80u);
    EXPECT_EQ(Extend16S<u32>{}(0x00008000u), 0xFFFF8000u);
    EXPECT_EQ(Extend16S<u32>{}(0xFFFF7FFFu), 0x7FFFu);
    EXPECT_EQ(Extend8S<u64>{}(0xFFu), kMinusOne64);
    EXPECT_EQ(Extend16S<u64>{}(0x1234567800007FFFu), 0x7FFFu);
    EXPECT_EQ(Extend32S<u64>{}(0x80000000u), 0xFFFFFFFF80000000u);
    EXPECT_EQ(Extend32S<u64>{}(0xFFFFFFFF7FFFFFFFu), 0x7FFFFFFFu);
    EXPECT_EQ(ExtendS{}(kI32Min), 0xFFFFFFFF80000000u);
    EXPECT_EQ(ExtendU{}(kI32Min), 0x80000000u);
    EXPECT_EQ(Wrap{}(0x123456789ABCDEF0u), 0x9ABCDEF0u);
}

TEST(OpsInteger, ComparisonsReadSignsAsTheOpcodeSays) {
    EXPECT_EQ(Eqz<u32>{}(0), 1u);
    EXPECT_EQ(Eqz<u64>{}(kI64Min), 0u);
    EXPECT_EQ(LtS<u32>{}(kI32Min, 0), 1u);
    EXPECT_EQ(LtU<u32>{}(kI32Min, 0), 0u);
    EXPECT_EQ(GtS<u32>{}(kMinusOne32, 0), 0u);
    EXPECT_EQ(GtU<u32>{}(kMinusOne32, 0), 1u);
    EXPECT_EQ(LeS<u64>{}(kI64Min, kI64Min), 1u);
    EXPECT_EQ(LeU<u64>{}(1, 0), 0u);
    EXPECT_EQ(GeS<u64>{}(0, kMinusOne64), 1u);
    EXPECT_EQ(GeU<u64>{}(0, kMinusOne64), 0u);
    EXPECT_EQ(Eq<u64>{}(kI64Min, kI64Min), 1u);
    EXPECT_EQ(Ne<u32>{}(1, 1), 0u);
}

// The integer operators and the conversions are constexpr, so a constant folder can use them
// at compile time.
static_assert(DivS<u32>{}(7, 2).value == 3);
static_assert(!DivS<u32>{}(kI32Min, kMinusOne32).ok());
static_assert(Rotl<u64>{}(1, 65) == 2);
static_assert(ConvertU<f32, u64>{}(0x8000008000000001u) == 0x1.000002p63f);
static_assert(TruncSatS<u32, f64>{}(-2147483648.5) == kI32Min);

// ---------------------------------------------------------------------------------------------
// Float operators.

TEST(OpsFloat, T5_BitwiseOperatorsKeepNaNPayloads) {
    EXPECT_EQ(bits_of(Abs<f32>{}(f32_bits(0xFFC12345u))), 0x7FC12345u);
    EXPECT_EQ(bits_of(Neg<f32>{}(f32_bits(0x7F800001u))), 0xFF800001u);  // Stays signalling.
    EXPECT_EQ(bits_of(Copysign<f32>{}(f32_bits(0x7FA00001u), -1.0f)), 0xFFA00001u);
    EXPECT_EQ(bits_of(Copysign<f32>{}(1.0f, f32_bits(0xFFC00000u))), bits_of(-1.0f));
    EXPECT_EQ(bits_of(Abs<f64>{}(f64_bits(0xFFF0000000000001u))), 0x7FF0000000000001u);
    EXPECT_EQ(bits_of(Neg<f64>{}(f64_bits(0x7FF4000000000000u))), 0xFFF4000000000000u);
    EXPECT_EQ(bits_of(Copysign<f64>{}(f64_bits(0xFFF8000000000123u), 0.0)), 0x7FF8000000000123u);
    EXPECT_EQ((Reinterpret<u32, f32>{}(f32_bits(0xFF812345u))), 0xFF812345u);
    EXPECT_EQ(bits_of(Reinterpret<f32, u32>{}(0x7F800001u)), 0x7F800001u);
    EXPECT_EQ((Reinterpret<u64, f64>{}(f64_bits(0xFFF0000000000001u))), 0xFFF0000000000001u);
    EXPECT_EQ(bits_of(Reinterpret<f64, u64>{}(0x7FF0000000000001u)), 0x7FF0000000000001u);
}

TEST(OpsFloat, SignOperatorsWorkOnZerosAndInfinities) {
    EXPECT_SAME_BITS(Abs<f32>{}(-0.0f), 0.0f);
    EXPECT_SAME_BITS(Neg<f32>{}(0.0f), -0.0f);
    EXPECT_SAME_BITS(Neg<f64>{}(-kInf64), kInf64);
    EXPECT_SAME_BITS(Copysign<f64>{}(kInf64, -0.0), -kInf64);
    EXPECT_SAME_BITS(Copysign<f32>{}(-2.5f, 0.0f), 2.5f);
}

// Every way an arithmetic operator can produce a NaN, with operands of both signs, quiet and
// signalling, with and without payload: the result is always the positive canonical NaN.
template <class F>
void expect_canonical_nans() {
    using Bits = detail::Bits<F>;
    constexpr Bits kCanonical =
        static_cast<Bits>(std::same_as<F, f32> ? kCanonicalNaN32 : kCanonicalNaN64);
    constexpr F kInf = std::numeric_limits<F>::infinity();
    std::vector<F> nans;
    if constexpr (std::same_as<F, f32>) {
        for (u32 nan : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF812345u, 0x7FC12345u})
            nans.push_back(f32_bits(nan));
    } else {
        for (u64 nan : {0x7FF8000000000000u, 0xFFF8000000000000u, 0x7FF0000000000001u,
                        0xFFF0000000012345u, 0x7FF8000000012345u})
            nans.push_back(f64_bits(nan));
    }
    for (const F nan : nans) {
        SCOPED_TRACE(testing::Message() << std::hex << bits_of(nan));
        for (const F other : {F{1.5}, F{-0.0}, kInf, nan}) {
            EXPECT_EQ(bits_of(Add<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Add<F>{}(other, nan)), kCanonical);
            EXPECT_EQ(bits_of(Sub<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Sub<F>{}(other, nan)), kCanonical);
            EXPECT_EQ(bits_of(Mul<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Mul<F>{}(other, nan)), kCanonical);
            EXPECT_EQ(bits_of(Div<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Div<F>{}(other, nan)), kCanonical);
            EXPECT_EQ(bits_of(Min<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Min<F>{}(other, nan)), kCanonical);
            EXPECT_EQ(bits_of(Max<F>{}(nan, other)), kCanonical);
            EXPECT_EQ(bits_of(Max<F>{}(other, nan)), kCanonical);
        }
        EXPECT_EQ(bits_of(Ceil<F>{}(nan)), kCanonical);
        EXPECT_EQ(bits_of(Floor<F>{}(nan)), kCanonical);
        EXPECT_EQ(bits_of(Trunc<F>{}(nan)), kCanonical);
        EXPECT_EQ(bits_of(Nearest<F>{}(nan)), kCanonical);
        EXPECT_EQ(bits_of(Sqrt<F>{}(nan)), kCanonical);
    }
    // NaNs created from ordinary operands; x86 would produce the negative "default NaN".
    EXPECT_EQ(bits_of(Add<F>{}(kInf, -kInf)), kCanonical);
    EXPECT_EQ(bits_of(Sub<F>{}(kInf, kInf)), kCanonical);
    EXPECT_EQ(bits_of(Mul<F>{}(F{0}, kInf)), kCanonical);
    EXPECT_EQ(bits_of(Mul<F>{}(-kInf, F{-0.0})), kCanonical);
    EXPECT_EQ(bits_of(Div<F>{}(F{0}, F{0})), kCanonical);
    EXPECT_EQ(bits_of(Div<F>{}(-kInf, kInf)), kCanonical);
    EXPECT_EQ(bits_of(Sqrt<F>{}(F{-1})), kCanonical);
    EXPECT_EQ(bits_of(Sqrt<F>{}(-kInf)), kCanonical);
}

TEST(OpsFloat, T5_ArithmeticNaNsAreCanonicalF32) {
    expect_canonical_nans<f32>();
}
TEST(OpsFloat, T5_ArithmeticNaNsAreCanonicalF64) {
    expect_canonical_nans<f64>();
}

TEST(OpsFloat, T5_ConversionNaNsAreCanonical) {
    for (u64 nan : {0x7FF8000000000000u, 0xFFF8000000000000u, 0x7FF0000000000001u,
                    0xFFFFFFFFFFFFFFFFu, 0x7FF80000DEADBEEFu}) {
        EXPECT_EQ(bits_of(Demote{}(f64_bits(nan))), kCanonicalNaN32) << std::hex << nan;
    }
    for (u32 nan : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFFFFFFFFu, 0x7FC0BEEFu}) {
        EXPECT_EQ(bits_of(Promote{}(f32_bits(nan))), kCanonicalNaN64) << std::hex << nan;
    }
}

TEST(OpsFloat, MinAndMaxOrderNegativeZeroBelowPositiveZero) {
    EXPECT_SAME_BITS(Min<f32>{}(-0.0f, 0.0f), -0.0f);
    EXPECT_SAME_BITS(Min<f32>{}(0.0f, -0.0f), -0.0f);
    EXPECT_SAME_BITS(Max<f32>{}(-0.0f, 0.0f), 0.0f);
    EXPECT_SAME_BITS(Max<f32>{}(0.0f, -0.0f), 0.0f);
    EXPECT_SAME_BITS(Min<f64>{}(0.0, -0.0), -0.0);
    EXPECT_SAME_BITS(Max<f64>{}(-0.0, 0.0), 0.0);
    EXPECT_SAME_BITS(Min<f64>{}(-0.0, -0.0), -0.0);
    EXPECT_SAME_BITS(Max<f64>{}(0.0, 0.0), 0.0);
}

TEST(OpsFloat, MinAndMaxOfOrdinaryValues) {
    EXPECT_SAME_BITS(Min<f32>{}(1.0f, 2.0f), 1.0f);
    EXPECT_SAME_BITS(Max<f32>{}(1.0f, 2.0f), 2.0f);
    EXPECT_SAME_BITS(Min<f32>{}(-kInf32, 3.0f), -kInf32);
    EXPECT_SAME_BITS(Max<f64>{}(kInf64, -1.0), kInf64);
    EXPECT_SAME_BITS(Min<f64>{}(-1.0, -2.0), -2.0);
    EXPECT_SAME_BITS(Max<f64>{}(f64_bits(1), 0.0), f64_bits(1));  // Subnormals compare too.
}

TEST(OpsFloat, ComparisonsWithNaNAreFalseExceptNe) {
    const f32 nan32 = f32_bits(kCanonicalNaN32);
    const f64 nan64 = f64_bits(0xFFF0000000000001u);
    EXPECT_EQ(Eq<f32>{}(nan32, nan32), 0u);
    EXPECT_EQ(Ne<f32>{}(nan32, nan32), 1u);
    EXPECT_EQ(Lt<f32>{}(nan32, 1.0f), 0u);
    EXPECT_EQ(Gt<f32>{}(nan32, 1.0f), 0u);
    EXPECT_EQ(Le<f32>{}(1.0f, nan32), 0u);
    EXPECT_EQ(Ge<f32>{}(1.0f, nan32), 0u);
    EXPECT_EQ(Eq<f64>{}(nan64, nan64), 0u);
    EXPECT_EQ(Ne<f64>{}(1.0, nan64), 1u);
    EXPECT_EQ(Lt<f64>{}(-kInf64, nan64), 0u);
    EXPECT_EQ(Ge<f64>{}(nan64, -kInf64), 0u);
}

TEST(OpsFloat, ComparisonsTreatZerosAsEqual) {
    EXPECT_EQ(Eq<f32>{}(-0.0f, 0.0f), 1u);
    EXPECT_EQ(Ne<f64>{}(-0.0, 0.0), 0u);
    EXPECT_EQ(Lt<f32>{}(-0.0f, 0.0f), 0u);
    EXPECT_EQ(Le<f64>{}(0.0, -0.0), 1u);
    EXPECT_EQ(Gt<f64>{}(f64_bits(1), 0.0), 1u);
    EXPECT_EQ(Ge<f32>{}(-kInf32, -kInf32), 1u);
}

TEST(OpsFloat, NearestRoundsHalfToEven) {
    EXPECT_SAME_BITS(Nearest<f32>{}(0.5f), 0.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(1.5f), 2.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(2.5f), 2.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(3.5f), 4.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(-0.5f), -0.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(-1.5f), -2.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(-2.5f), -2.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(0.49999997f), 0.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(0.50000006f), 1.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(4194304.5f), 4194304.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(4194305.5f), 4194306.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(8388607.5f), 8388608.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(-8388607.5f), -8388608.0f);
    EXPECT_SAME_BITS(Nearest<f64>{}(0.5), 0.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(1.5), 2.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(2.5), 2.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(-0.5), -0.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(-2.5), -2.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(0.49999999999999994), 0.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(4503599627370495.5), 4503599627370496.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(-4503599627370495.5), -4503599627370496.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(2251799813685248.5), 2251799813685248.0);
}

TEST(OpsFloat, NearestKeepsZerosIntegersAndInfinities) {
    EXPECT_SAME_BITS(Nearest<f32>{}(-0.0f), -0.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(f32_bits(0x80000001u)), -0.0f);  // Negative subnormal.
    EXPECT_SAME_BITS(Nearest<f32>{}(-0.4f), -0.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(8388608.0f), 8388608.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(16777218.0f), 16777218.0f);
    EXPECT_SAME_BITS(Nearest<f32>{}(-kInf32), -kInf32);
    EXPECT_SAME_BITS(Nearest<f32>{}(std::numeric_limits<f32>::max()),
                     std::numeric_limits<f32>::max());
    EXPECT_SAME_BITS(Nearest<f64>{}(0.0), 0.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(f64_bits(1)), 0.0);
    EXPECT_SAME_BITS(Nearest<f64>{}(kInf64), kInf64);
    EXPECT_SAME_BITS(Nearest<f64>{}(0x1p52), 0x1p52);
    EXPECT_SAME_BITS(Nearest<f64>{}(-0x1p63), -0x1p63);
}

TEST(OpsFloat, CeilFloorTruncKeepTheSignOfZero) {
    EXPECT_SAME_BITS(Ceil<f32>{}(-0.5f), -0.0f);
    EXPECT_SAME_BITS(Ceil<f32>{}(0.5f), 1.0f);
    EXPECT_SAME_BITS(Ceil<f32>{}(-0.0f), -0.0f);
    EXPECT_SAME_BITS(Floor<f32>{}(0.5f), 0.0f);
    EXPECT_SAME_BITS(Floor<f32>{}(-0.5f), -1.0f);
    EXPECT_SAME_BITS(Floor<f32>{}(-0.0f), -0.0f);
    EXPECT_SAME_BITS(Trunc<f32>{}(-0.7f), -0.0f);
    EXPECT_SAME_BITS(Trunc<f32>{}(2.7f), 2.0f);
    EXPECT_SAME_BITS(Ceil<f64>{}(-0.999), -0.0);
    EXPECT_SAME_BITS(Ceil<f64>{}(f64_bits(1)), 1.0);
    EXPECT_SAME_BITS(Floor<f64>{}(-f64_bits(1)), -1.0);
    EXPECT_SAME_BITS(Trunc<f64>{}(-1.5), -1.0);
    EXPECT_SAME_BITS(Trunc<f64>{}(-kInf64), -kInf64);
    EXPECT_SAME_BITS(Floor<f64>{}(4503599627370497.0), 4503599627370497.0);
}

TEST(OpsFloat, SqrtIsCorrectlyRoundedAndKeepsNegativeZero) {
    EXPECT_SAME_BITS(Sqrt<f32>{}(-0.0f), -0.0f);
    EXPECT_SAME_BITS(Sqrt<f32>{}(4.0f), 2.0f);
    EXPECT_SAME_BITS(Sqrt<f32>{}(2.0f), f32_bits(0x3FB504F3u));
    EXPECT_SAME_BITS(Sqrt<f32>{}(kInf32), kInf32);
    EXPECT_SAME_BITS(Sqrt<f64>{}(-0.0), -0.0);
    EXPECT_SAME_BITS(Sqrt<f64>{}(2.0), f64_bits(0x3FF6A09E667F3BCDu));
    EXPECT_SAME_BITS(Sqrt<f64>{}(f64_bits(4)), f64_bits(0x1E70000000000000u));  // 2^-536.
}

TEST(OpsFloat, SubnormalsAreNotFlushedToZero) {
    const f32 smallest32 = f32_bits(1);
    EXPECT_SAME_BITS(Mul<f32>{}(0x1p-126f, 0.5f), 0x1p-127f);
    EXPECT_SAME_BITS(Add<f32>{}(smallest32, smallest32), f32_bits(2));
    EXPECT_SAME_BITS(Sub<f32>{}(0x1.000002p-126f, 0x1p-126f), smallest32);
    EXPECT_SAME_BITS(Div<f32>{}(smallest32, 2.0f), 0.0f);  // A tie, rounded to even (zero).
    EXPECT_SAME_BITS(Div<f32>{}(f32_bits(3), 2.0f), f32_bits(2));
    EXPECT_SAME_BITS(Mul<f64>{}(0x1p-1022, 0x1p-52), f64_bits(1));
    EXPECT_SAME_BITS(Add<f64>{}(f64_bits(1), 0.0), f64_bits(1));
    EXPECT_SAME_BITS(Mul<f64>{}(f64_bits(1), -1.0), f64_bits(0x8000000000000001u));
}

TEST(OpsFloat, ArithmeticRoundsToNearestEvenInItsOwnPrecision) {
    // 1 + 2^-24 is a tie in f32 (not in f64): single precision must be kept.
    EXPECT_SAME_BITS(Add<f32>{}(1.0f, 0x1p-24f), 1.0f);
    EXPECT_SAME_BITS(Add<f32>{}(1.0f, 0x1.8p-24f), 0x1.000002p0f);
    EXPECT_SAME_BITS(Add<f32>{}(0x1.000002p0f, 0x1p-24f), 0x1.000004p0f);
    EXPECT_SAME_BITS(Add<f64>{}(1.0, 0x1p-53), 1.0);
    EXPECT_SAME_BITS(Mul<f32>{}(std::numeric_limits<f32>::max(), 2.0f), kInf32);
    EXPECT_SAME_BITS(Div<f64>{}(-1.0, 0.0), -kInf64);
    EXPECT_SAME_BITS(Div<f64>{}(1.0, -0.0), -kInf64);
    EXPECT_SAME_BITS(Sub<f64>{}(0.0, 0.0), 0.0);
    EXPECT_SAME_BITS(Add<f64>{}(-0.0, -0.0), -0.0);
    EXPECT_SAME_BITS(Add<f32>{}(-0.0f, 0.0f), 0.0f);
}

// ---------------------------------------------------------------------------------------------
// Float to integer.

template <class Checked>
void expect_value(Checked result, decltype(result.value) expected) {
    ASSERT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.value, expected);
}

template <class Checked>
void expect_trap(Checked result, const char* reason) {
    ASSERT_FALSE(result.ok()) << "value " << result.value;
    EXPECT_EQ(trap_code(result.trap), 4003);
    EXPECT_STREQ(result.reason, reason);
}

constexpr const char* kOverflow = "integer overflow";
constexpr const char* kInvalid = "invalid conversion to integer";

TEST(OpsConvert, E6_TruncOfNaNIsAnInvalidConversion) {
    for (u32 nan : {0x7FC00000u, 0xFFC00000u, 0x7F800001u}) {
        expect_trap(TruncS<u32, f32>{}(f32_bits(nan)), kInvalid);
        expect_trap(TruncU<u32, f32>{}(f32_bits(nan)), kInvalid);
        expect_trap(TruncS<u64, f32>{}(f32_bits(nan)), kInvalid);
        expect_trap(TruncU<u64, f32>{}(f32_bits(nan)), kInvalid);
    }
    for (u64 nan : {0x7FF8000000000000u, 0xFFF8000000000000u, 0x7FF0000000000001u}) {
        expect_trap(TruncS<u32, f64>{}(f64_bits(nan)), kInvalid);
        expect_trap(TruncU<u32, f64>{}(f64_bits(nan)), kInvalid);
        expect_trap(TruncS<u64, f64>{}(f64_bits(nan)), kInvalid);
        expect_trap(TruncU<u64, f64>{}(f64_bits(nan)), kInvalid);
    }
}

TEST(OpsConvert, E6_TruncOfInfinityOverflows) {
    expect_trap(TruncS<u32, f32>{}(kInf32), kOverflow);
    expect_trap(TruncU<u32, f32>{}(-kInf32), kOverflow);
    expect_trap(TruncS<u64, f64>{}(-kInf64), kOverflow);
    expect_trap(TruncU<u64, f64>{}(kInf64), kOverflow);
}

TEST(OpsConvert, TruncI32FromF32Boundaries) {
    expect_value(TruncS<u32, f32>{}(2147483520.0f), 2147483520u);  // Largest f32 below 2^31.
    expect_trap(TruncS<u32, f32>{}(2147483647.5f), kOverflow);     // Rounds to 2^31 in f32.
    expect_trap(TruncS<u32, f32>{}(0x1p31f), kOverflow);
    expect_value(TruncS<u32, f32>{}(-0x1p31f), kI32Min);
    expect_trap(TruncS<u32, f32>{}(std::nextafter(-0x1p31f, -kInf32)), kOverflow);
    expect_value(TruncS<u32, f32>{}(-0.99f), 0u);
    expect_value(TruncS<u32, f32>{}(-1.5f), kMinusOne32);
    expect_value(TruncS<u32, f32>{}(f32_bits(0x80000001u)), 0u);

    expect_value(TruncU<u32, f32>{}(4294967040.0f), 4294967040u);  // Largest f32 below 2^32.
    expect_trap(TruncU<u32, f32>{}(0x1p32f), kOverflow);
    expect_value(TruncU<u32, f32>{}(-0.99f), 0u);
    expect_value(TruncU<u32, f32>{}(-0.0f), 0u);
    expect_trap(TruncU<u32, f32>{}(-1.0f), kOverflow);
}

TEST(OpsConvert, TruncI32FromF64Boundaries) {
    expect_value(TruncS<u32, f64>{}(2147483647.9), 0x7FFFFFFFu);
    expect_trap(TruncS<u32, f64>{}(2147483648.0), kOverflow);
    expect_value(TruncS<u32, f64>{}(-2147483648.5), kI32Min);
    expect_value(TruncS<u32, f64>{}(-2147483648.9999995), kI32Min);
    expect_trap(TruncS<u32, f64>{}(-2147483649.0), kOverflow);

    expect_value(TruncU<u32, f64>{}(4294967295.9), kMinusOne32);
    expect_trap(TruncU<u32, f64>{}(4294967296.0), kOverflow);
    expect_value(TruncU<u32, f64>{}(-0.9999999999999999), 0u);
    expect_trap(TruncU<u32, f64>{}(-1.0), kOverflow);
}

TEST(OpsConvert, TruncI64Boundaries) {
    expect_value(TruncS<u64, f32>{}(std::nextafter(0x1p63f, 0.0f)), 0x7FFFFF8000000000u);
    expect_trap(TruncS<u64, f32>{}(0x1p63f), kOverflow);
    expect_value(TruncS<u64, f32>{}(-0x1p63f), kI64Min);
    expect_trap(TruncS<u64, f32>{}(std::nextafter(-0x1p63f, -kInf32)), kOverflow);
    expect_value(TruncU<u64, f32>{}(std::nextafter(0x1p64f, 0.0f)), 0xFFFFFF0000000000u);
    expect_trap(TruncU<u64, f32>{}(0x1p64f), kOverflow);
    expect_value(TruncU<u64, f32>{}(-0.75f), 0u);
    expect_trap(TruncU<u64, f32>{}(-1.0f), kOverflow);

    expect_value(TruncS<u64, f64>{}(std::nextafter(0x1p63, 0.0)), 0x7FFFFFFFFFFFFC00u);
    expect_trap(TruncS<u64, f64>{}(0x1p63), kOverflow);
    expect_value(TruncS<u64, f64>{}(-0x1p63), kI64Min);
    expect_trap(TruncS<u64, f64>{}(std::nextafter(-0x1p63, -kInf64)), kOverflow);
    expect_value(TruncU<u64, f64>{}(std::nextafter(0x1p64, 0.0)), 0xFFFFFFFFFFFFF800u);
    expect_trap(TruncU<u64, f64>{}(0x1p64), kOverflow);
    expect_value(TruncU<u64, f64>{}(0x1p63), kI64Min);
    expect_value(TruncU<u64, f64>{}(-0.9999999999999999), 0u);
    expect_trap(TruncU<u64, f64>{}(-1.0), kOverflow);
}

TEST(OpsConvert, TruncSatClampsAndMapsNaNToZero) {
    const f32 nan32 = f32_bits(0xFFC00001u);
    const f64 nan64 = f64_bits(0x7FF0000000000001u);
    EXPECT_EQ((TruncSatS<u32, f32>{}(nan32)), 0u);
    EXPECT_EQ((TruncSatU<u32, f32>{}(nan32)), 0u);
    EXPECT_EQ((TruncSatS<u64, f64>{}(nan64)), 0u);
    EXPECT_EQ((TruncSatU<u64, f64>{}(nan64)), 0u);

    EXPECT_EQ((TruncSatS<u32, f32>{}(kInf32)), 0x7FFFFFFFu);
    EXPECT_EQ((TruncSatS<u32, f32>{}(-kInf32)), kI32Min);
    EXPECT_EQ((TruncSatS<u32, f32>{}(0x1p31f)), 0x7FFFFFFFu);
    EXPECT_EQ((TruncSatS<u32, f32>{}(-0x1p31f)), kI32Min);
    EXPECT_EQ((TruncSatS<u32, f32>{}(-1.5f)), kMinusOne32);
    EXPECT_EQ((TruncSatU<u32, f32>{}(0x1p32f)), kMinusOne32);
    EXPECT_EQ((TruncSatU<u32, f32>{}(-1.0f)), 0u);
    EXPECT_EQ((TruncSatU<u32, f32>{}(-kInf32)), 0u);
    EXPECT_EQ((TruncSatU<u32, f32>{}(4294967040.0f)), 4294967040u);

    EXPECT_EQ((TruncSatS<u32, f64>{}(2147483647.9)), 0x7FFFFFFFu);
    EXPECT_EQ((TruncSatS<u32, f64>{}(2147483648.0)), 0x7FFFFFFFu);
    EXPECT_EQ((TruncSatS<u32, f64>{}(-2147483648.9)), kI32Min);
    EXPECT_EQ((TruncSatS<u32, f64>{}(-2147483649.0)), kI32Min);
    EXPECT_EQ((TruncSatU<u32, f64>{}(4294967295.9)), kMinusOne32);
    EXPECT_EQ((TruncSatU<u32, f64>{}(1e300)), kMinusOne32);
    EXPECT_EQ((TruncSatU<u32, f64>{}(-0.9)), 0u);

    EXPECT_EQ((TruncSatS<u64, f32>{}(0x1p63f)), 0x7FFFFFFFFFFFFFFFu);
    EXPECT_EQ((TruncSatS<u64, f32>{}(-0x1p63f)), kI64Min);
    EXPECT_EQ((TruncSatS<u64, f32>{}(-kInf32)), kI64Min);
    EXPECT_EQ((TruncSatU<u64, f32>{}(0x1p64f)), kMinusOne64);
    EXPECT_EQ((TruncSatU<u64, f32>{}(-2.0f)), 0u);

    EXPECT_EQ((TruncSatS<u64, f64>{}(0x1p63)), 0x7FFFFFFFFFFFFFFFu);
    EXPECT_EQ((TruncSatS<u64, f64>{}(-0x1p63)), kI64Min);
    EXPECT_EQ((TruncSatS<u64, f64>{}(-1e300)), kI64Min);
    EXPECT_EQ((TruncSatS<u64, f64>{}(std::nextafter(0x1p63, 0.0))), 0x7FFFFFFFFFFFFC00u);
    EXPECT_EQ((TruncSatU<u64, f64>{}(0x1p64)), kMinusOne64);
    EXPECT_EQ((TruncSatU<u64, f64>{}(0x1p63)), kI64Min);
    EXPECT_EQ((TruncSatU<u64, f64>{}(-kInf64)), 0u);
}

// ---------------------------------------------------------------------------------------------
// Integer to float, and between floats.

TEST(OpsConvert, ConvertI32RoundsTiesToEven) {
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(16777217)), 16777216.0f);  // Tie, down to even.
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(16777219)), 16777220.0f);  // Tie, up to even.
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(u32_of(-16777217))), -16777216.0f);
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(kI32Min)), -0x1p31f);
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(0x7FFFFFFFu)), 0x1p31f);
    EXPECT_SAME_BITS((ConvertS<f32, u32>{}(0)), 0.0f);
    EXPECT_SAME_BITS((ConvertU<f32, u32>{}(kMinusOne32)), 0x1p32f);
    EXPECT_SAME_BITS((ConvertU<f32, u32>{}(0x80000080u)), 0x1p31f);
    EXPECT_SAME_BITS((ConvertU<f32, u32>{}(0x80000081u)), 2147483904.0f);
    EXPECT_SAME_BITS((ConvertU<f32, u32>{}(0x80000180u)), 2147484160.0f);
    EXPECT_SAME_BITS((ConvertS<f64, u32>{}(kI32Min)), -2147483648.0);
    EXPECT_SAME_BITS((ConvertS<f64, u32>{}(kMinusOne32)), -1.0);
    EXPECT_SAME_BITS((ConvertU<f64, u32>{}(kMinusOne32)), 4294967295.0);
}

TEST(OpsConvert, ConvertU64ToF32RoundsOnceNotTwice) {
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(kMinusOne64)), 0x1p64f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(kI64Min)), 0x1p63f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0x8000008000000000u)), 0x1p63f);  // Tie, to even.
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0x8000018000000000u)), 0x1.000004p63f);
    // Through f64 this would become 2^63 + 2^39 first, then a tie that rounds down to 2^63.
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0x8000008000000001u)), 0x1.000002p63f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0xFFFFFF7FFFFFFFFFu)), 0x1.fffffep63f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0xFFFFFF8000000000u)), 0x1p64f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(1)), 1.0f);
    EXPECT_SAME_BITS((ConvertU<f32, u64>{}(0)), 0.0f);
}

TEST(OpsConvert, ConvertI64ToF32RoundsOnceNotTwice) {
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(kI64Min)), -0x1p63f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(0x7FFFFFFFFFFFFFFFu)), 0x1p63f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(kMinusOne64)), -1.0f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(0x4000004000000001u)), 0x1.000002p62f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(u64_of(-0x4000004000000001))), -0x1.000002p62f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(0x4000004000000000u)), 0x1p62f);
    EXPECT_SAME_BITS((ConvertS<f32, u64>{}(u64_of(-0x4000004000000000))), -0x1p62f);
}

TEST(OpsConvert, ConvertI64ToF64RoundsTiesToEven) {
    EXPECT_SAME_BITS((ConvertU<f64, u64>{}(kMinusOne64)), 0x1p64);
    EXPECT_SAME_BITS((ConvertU<f64, u64>{}(0x8000000000000400u)), 0x1p63);
    EXPECT_SAME_BITS((ConvertU<f64, u64>{}(0x8000000000000401u)), 0x1.0000000000001p63);
    EXPECT_SAME_BITS((ConvertU<f64, u64>{}(0x8000000000000C00u)), 0x1.0000000000002p63);
    EXPECT_SAME_BITS((ConvertU<f64, u64>{}(0x001FFFFFFFFFFFFFu)), 0x1.fffffffffffffp52);
    EXPECT_SAME_BITS((ConvertS<f64, u64>{}(kI64Min)), -0x1p63);
    EXPECT_SAME_BITS((ConvertS<f64, u64>{}(0x0020000000000001u)), 0x1p53);
    EXPECT_SAME_BITS((ConvertS<f64, u64>{}(0x0020000000000003u)), 0x1.0000000000002p53);
    EXPECT_SAME_BITS((ConvertS<f64, u64>{}(u64_of(-0x0020000000000001))), -0x1p53);
    EXPECT_SAME_BITS((ConvertS<f64, u64>{}(0x7FFFFFFFFFFFFFFFu)), 0x1p63);
}

TEST(OpsConvert, DemoteRoundsToNearestEven) {
    EXPECT_SAME_BITS(Demote{}(1.0 + 0x1p-24), 1.0f);  // Tie, down to even.
    EXPECT_SAME_BITS(Demote{}(1.0 + 0x1p-24 + 0x1p-50), 0x1.000002p0f);
    EXPECT_SAME_BITS(Demote{}(0x1.000003p0), 0x1.000004p0f);  // Tie, up to even.
    EXPECT_SAME_BITS(Demote{}(std::numeric_limits<f64>::max()), kInf32);
    EXPECT_SAME_BITS(Demote{}(-0x1.ffffffp127), -kInf32);  // Rounds past f32's max.
    EXPECT_SAME_BITS(Demote{}(0x1.fffffefffffffp127), std::numeric_limits<f32>::max());
    EXPECT_SAME_BITS(Demote{}(0x1p-149), f32_bits(1));
    EXPECT_SAME_BITS(Demote{}(0x1p-150), 0.0f);  // Tie between 0 and the smallest subnormal.
    EXPECT_SAME_BITS(Demote{}(-0x1.0000000000001p-150), -f32_bits(1));
    EXPECT_SAME_BITS(Demote{}(-0.0), -0.0f);
    EXPECT_SAME_BITS(Demote{}(-kInf64), -kInf32);
}

TEST(OpsConvert, PromoteIsExact) {
    EXPECT_SAME_BITS(Promote{}(f32_bits(1)), 0x1p-149);
    EXPECT_SAME_BITS(Promote{}(std::numeric_limits<f32>::max()), 0x1.fffffep127);
    EXPECT_SAME_BITS(Promote{}(-0.0f), -0.0);
    EXPECT_SAME_BITS(Promote{}(kInf32), kInf64);
    EXPECT_SAME_BITS(Promote{}(0.1f), 0x1.99999ap-4);
}

}  // namespace
}  // namespace esta::wasm::ops
