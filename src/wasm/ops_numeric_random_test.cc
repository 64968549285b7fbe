// Randomized differential tests: the numeric operators against reference computations that
// take a different route to the same answer (wider arithmetic, integer reasoning, libm under a
// pinned rounding mode). The generator is seeded, so a failure reproduces on every run.
#include <gtest/gtest.h>

#include <cfenv>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "wasm/ops_numeric.h"

namespace esta::wasm::ops {
namespace {

constexpr int kIterations = 200000;
constexpr u64 kSeed = 0x657374616C6F6769u;  // "estalogi".

u32 bits_of(f32 value) {
    return std::bit_cast<u32>(value);
}
u64 bits_of(f64 value) {
    return std::bit_cast<u64>(value);
}

// Operands that reach the interesting regions often: uniform bit patterns cover every exponent
// (NaNs and infinities included), and the rest lands near integers, powers of two, halfway
// points and the conversion boundaries, where rounding and range checks make their decisions.
class Inputs {
  public:
    u64 bits64() { return m_engine(); }
    u32 bits32() { return static_cast<u32>(m_engine() >> 32); }

    u64 integer64() {
        switch (m_engine() % 4) {
            case 0:
                return bits64();
            case 1:  // A short run of ones or zeros at a random position: ties for the float side.
                return (bits64() >> (m_engine() % 64)) << (m_engine() % 64);
            case 2:  // Near a power of two, either side.
                return (u64{1} << (m_engine() % 64)) + (bits64() % 9) - 4;
            default:  // A small value or its negation.
                return (m_engine() & 1) ? bits64() % 1000 : u64{0} - bits64() % 1000;
        }
    }
    u32 integer32() { return static_cast<u32>(integer64() >> ((m_engine() & 1) ? 32 : 0)); }

    template <WasmFloat F>
    F number() {
        using Bits = detail::Bits<F>;
        switch (m_engine() % 5) {
            case 0:
                return std::bit_cast<F>(static_cast<Bits>(bits64()));
            case 4: {  // The special values, where most hand-written cases are.
                using Limits = std::numeric_limits<F>;
                const F specials[] = {F{0},
                                      Limits::infinity(),
                                      Limits::quiet_NaN(),
                                      Limits::signaling_NaN(),
                                      Limits::denorm_min(),
                                      Limits::min(),
                                      Limits::max(),
                                      Limits::epsilon(),
                                      F{0.5},
                                      F{1}};
                const F value = specials[m_engine() % std::size(specials)];
                return (m_engine() & 1) ? -value : value;
            }
            case 1: {  // Halfway points and their neighbours, of any magnitude up to 2^70.
                const F half =
                    static_cast<F>(static_cast<i64>(bits64() >> 40) - (i64{1} << 23)) + F{0.5};
                return std::nextafter(half * std::ldexp(F{1}, static_cast<int>(m_engine() % 48)),
                                      (m_engine() & 1) ? F{0} : std::numeric_limits<F>::infinity());
            }
            case 2: {  // Around ±2^k for the conversion boundaries k = 31, 32, 63, 64.
                const int exponents[] = {31, 32, 63, 64};
                F value = std::ldexp(F{1}, exponents[m_engine() % 4]);
                for (u64 steps = m_engine() % 4; steps > 0; --steps) {
                    value = std::nextafter(value, (m_engine() & 1) ? F{0} : value * 2);
                }
                if (m_engine() & 1) value = -value;
                return value - ((m_engine() & 1) ? F{1} : F{0});
            }
            default:  // Small values with a fraction.
                return static_cast<F>(static_cast<i64>(bits64() % 4001) - 2000) / F{8};
        }
    }

  private:
    std::mt19937_64 m_engine{kSeed};  // Fully specified by the standard: same stream everywhere.
};

// ---------------------------------------------------------------------------------------------
// Integer to float. With a 64-bit significand, long double holds every 64-bit integer exactly,
// so converting from it is the single correct rounding.

template <WasmFloat To, class Int>
To reference_convert(Int value) {
    return static_cast<To>(static_cast<long double>(value));
}

TEST(OpsNumericRandom, ConvertMatchesExactLongDoubleRounding) {
    if (std::numeric_limits<long double>::digits < 64) GTEST_SKIP() << "long double too narrow";
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    Inputs inputs;
    for (int i = 0; i < kIterations; ++i) {
        const u64 wide = inputs.integer64();
        const u32 narrow = inputs.integer32();
        // Printed only when an assertion fails: a trace per iteration would dominate.
        const auto operands = [&] {
            return testing::Message() << std::hex << wide << " " << narrow;
        };
        const i64 wide_signed = static_cast<i64>(wide);
        const i32 narrow_signed = static_cast<i32>(narrow);
        ASSERT_EQ(bits_of(ConvertU<f32, u64>{}(wide)), bits_of(reference_convert<f32>(wide)))
            << operands();
        ASSERT_EQ(bits_of(ConvertS<f32, u64>{}(wide)), bits_of(reference_convert<f32>(wide_signed)))
            << operands();
        ASSERT_EQ(bits_of(ConvertU<f64, u64>{}(wide)), bits_of(reference_convert<f64>(wide)))
            << operands();
        ASSERT_EQ(bits_of(ConvertS<f64, u64>{}(wide)), bits_of(reference_convert<f64>(wide_signed)))
            << operands();
        ASSERT_EQ(bits_of(ConvertU<f32, u32>{}(narrow)), bits_of(reference_convert<f32>(narrow)))
            << operands();
        ASSERT_EQ(bits_of(ConvertS<f32, u32>{}(narrow)),
                  bits_of(reference_convert<f32>(narrow_signed)))
            << operands();
        ASSERT_EQ(bits_of(ConvertU<f64, u32>{}(narrow)), bits_of(reference_convert<f64>(narrow)))
            << operands();
        ASSERT_EQ(bits_of(ConvertS<f64, u32>{}(narrow)),
                  bits_of(reference_convert<f64>(narrow_signed)))
            << operands();
    }
}

// ---------------------------------------------------------------------------------------------
// Float to integer. The reference truncates in long double and checks the range against the
// exact integer bounds there (2^63 and 2^64 are exact in long double; so is every i64/u64).

struct ReferenceTrunc {
    bool nan = false;
    bool in_range = false;
    long double whole = 0;
};

template <WasmFloat F>
ReferenceTrunc reference_trunc(F value, long double lowest, long double highest) {
    if (std::isnan(value)) return {true, false, 0};
    const long double whole = std::trunc(static_cast<long double>(value));
    return {false, whole >= lowest && whole <= highest, whole};
}

// Both the trapping and the saturating form of one truncation, against the reference. Builds
// a message only on failure: the loop runs millions of checks.
template <class Int, class Trapping, class Saturating, class F>
testing::AssertionResult trunc_matches_reference(F value) {
    using Unsigned = std::make_unsigned_t<Int>;
    constexpr long double kLowest = static_cast<long double>(std::numeric_limits<Int>::min());
    constexpr long double kHighest = static_cast<long double>(std::numeric_limits<Int>::max());
    const ReferenceTrunc expected = reference_trunc(value, kLowest, kHighest);
    const Checked<Unsigned> checked = Trapping{}(value);
    const Unsigned saturated = Saturating{}(value);
    Checked<Unsigned> wanted;
    Unsigned wanted_saturated = 0;
    if (expected.nan) {
        wanted = {0, TrapKind::IntegerOverflow, kReasonInvalidConversion};
    } else if (!expected.in_range) {
        wanted = {0, TrapKind::IntegerOverflow, kReasonIntegerOverflow};
        wanted_saturated = static_cast<Unsigned>(value < 0 ? std::numeric_limits<Int>::min()
                                                           : std::numeric_limits<Int>::max());
    } else {
        wanted_saturated = static_cast<Unsigned>(static_cast<Int>(expected.whole));
        wanted.value = wanted_saturated;
    }
    if (checked.value == wanted.value && checked.trap == wanted.trap &&
        std::string_view(checked.reason) == wanted.reason && saturated == wanted_saturated) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << Trapping::name << "(" << std::hexfloat << value << ") = " << std::dec << checked.value
           << " trap " << trap_code(checked.trap) << " '" << checked.reason << "', saturating "
           << saturated << "; expected " << wanted.value << " trap " << trap_code(wanted.trap)
           << " '" << wanted.reason << "', saturating " << wanted_saturated;
}

TEST(OpsNumericRandom, TruncMatchesLongDoubleRangeCheck) {
    if (std::numeric_limits<long double>::digits < 64) GTEST_SKIP() << "long double too narrow";
    Inputs inputs;
    for (int i = 0; i < kIterations; ++i) {
        const f32 narrow = inputs.number<f32>();
        const f64 wide = inputs.number<f64>();
        ASSERT_TRUE((trunc_matches_reference<i32, TruncS<u32, f32>, TruncSatS<u32, f32>>(narrow)));
        ASSERT_TRUE((trunc_matches_reference<u32, TruncU<u32, f32>, TruncSatU<u32, f32>>(narrow)));
        ASSERT_TRUE((trunc_matches_reference<i64, TruncS<u64, f32>, TruncSatS<u64, f32>>(narrow)));
        ASSERT_TRUE((trunc_matches_reference<u64, TruncU<u64, f32>, TruncSatU<u64, f32>>(narrow)));
        ASSERT_TRUE((trunc_matches_reference<i32, TruncS<u32, f64>, TruncSatS<u32, f64>>(wide)));
        ASSERT_TRUE((trunc_matches_reference<u32, TruncU<u32, f64>, TruncSatU<u32, f64>>(wide)));
        ASSERT_TRUE((trunc_matches_reference<i64, TruncS<u64, f64>, TruncSatS<u64, f64>>(wide)));
        ASSERT_TRUE((trunc_matches_reference<u64, TruncU<u64, f64>, TruncSatU<u64, f64>>(wide)));
    }
}

// ---------------------------------------------------------------------------------------------
// Float operators.

template <WasmFloat F>
F canonical_or(F value) {
    return std::isnan(value) ? detail::canonical_nan<F>() : value;
}

// wasm min/max written as the spec's case analysis, independently of the implementation.
template <WasmFloat F>
F reference_min(F a, F b) {
    if (std::isnan(a) || std::isnan(b)) return detail::canonical_nan<F>();
    if (a == 0 && b == 0) return (std::signbit(a) || std::signbit(b)) ? F{-0.0} : F{0.0};
    return a <= b ? a : b;
}
template <WasmFloat F>
F reference_max(F a, F b) {
    if (std::isnan(a) || std::isnan(b)) return detail::canonical_nan<F>();
    if (a == 0 && b == 0) return (std::signbit(a) && std::signbit(b)) ? F{-0.0} : F{0.0};
    return a >= b ? a : b;
}

template <WasmFloat F>
void check_rounding_and_ordering(F a, F b) {
    // Printed only when an assertion fails: a trace per iteration would dominate.
    const auto operands = [&] { return testing::Message() << std::hexfloat << a << " " << b; };
    // libm's nearbyint under the pinned default mode is the reference for the hand-written one.
    ASSERT_EQ(bits_of(Nearest<F>{}(a)), bits_of(canonical_or(std::nearbyint(a)))) << operands();
    ASSERT_EQ(bits_of(Ceil<F>{}(a)), bits_of(canonical_or(-std::floor(-a)))) << operands();
    ASSERT_EQ(bits_of(Floor<F>{}(a)), bits_of(canonical_or(-std::ceil(-a)))) << operands();
    ASSERT_EQ(bits_of(Trunc<F>{}(a)),
              bits_of(canonical_or(std::signbit(a) ? std::ceil(a) : std::floor(a))))
        << operands();
    ASSERT_EQ(bits_of(Min<F>{}(a, b)), bits_of(reference_min(a, b))) << operands();
    ASSERT_EQ(bits_of(Max<F>{}(a, b)), bits_of(reference_max(a, b))) << operands();
    ASSERT_EQ(Lt<F>{}(a, b), static_cast<u32>(std::isless(a, b))) << operands();
    ASSERT_EQ(Le<F>{}(a, b), static_cast<u32>(std::islessequal(a, b))) << operands();
    ASSERT_EQ(Eq<F>{}(a, b), static_cast<u32>(std::islessequal(a, b) && std::isgreaterequal(a, b)))
        << operands();
    ASSERT_EQ(Ne<F>{}(a, b),
              static_cast<u32>(!std::islessequal(a, b) || !std::isgreaterequal(a, b)))
        << operands();
}

TEST(OpsNumericRandom, RoundingAndOrderingMatchReferences) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    Inputs inputs;
    for (int i = 0; i < kIterations; ++i) {
        check_rounding_and_ordering(inputs.number<f32>(), inputs.number<f32>());
        check_rounding_and_ordering(inputs.number<f64>(), inputs.number<f64>());
        if (HasFatalFailure()) return;
    }
}

// f64 has more than twice f32's precision plus two bits, so computing an f32 +, -, *, / or sqrt
// in f64 and rounding once more gives the correctly rounded f32 result (the second rounding is
// innocuous). That checks the f32 operators run in single precision and canonicalize NaNs.
TEST(OpsNumericRandom, T5_F32ArithmeticMatchesWideningReference) {
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    Inputs inputs;
    for (int i = 0; i < kIterations; ++i) {
        const f32 a = inputs.number<f32>();
        const f32 b = inputs.number<f32>();
        const f64 wa = a;
        const f64 wb = b;
        // Printed only when an assertion fails: a trace per iteration would dominate.
        const auto operands = [&] { return testing::Message() << std::hexfloat << a << " " << b; };
        ASSERT_EQ(bits_of(Add<f32>{}(a, b)), bits_of(canonical_or(static_cast<f32>(wa + wb))))
            << operands();
        ASSERT_EQ(bits_of(Sub<f32>{}(a, b)), bits_of(canonical_or(static_cast<f32>(wa - wb))))
            << operands();
        ASSERT_EQ(bits_of(Mul<f32>{}(a, b)), bits_of(canonical_or(static_cast<f32>(wa * wb))))
            << operands();
        ASSERT_EQ(bits_of(Div<f32>{}(a, b)), bits_of(canonical_or(static_cast<f32>(wa / wb))))
            << operands();
        ASSERT_EQ(bits_of(Sqrt<f32>{}(a)), bits_of(canonical_or(static_cast<f32>(std::sqrt(wa)))))
            << operands();
        ASSERT_EQ(bits_of(Promote{}(a)), bits_of(canonical_or(wa))) << operands();
    }
}

// Demoting through long double reaches the same single rounding by another path (on x86-64 the
// x87 unit performs it), so this checks the rounding as well as the NaN canonicalization.
TEST(OpsNumericRandom, T5_DemoteMatchesLongDoubleRounding) {
    if (std::numeric_limits<long double>::digits < 53) GTEST_SKIP() << "long double too narrow";
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    Inputs inputs;
    for (int i = 0; i < kIterations; ++i) {
        // Scaled into f32's range now and then, so the rounding, not the overflow, is tested.
        f64 value = inputs.number<f64>();
        if (i % 2 == 0 && std::isfinite(value) && value != 0) {
            value = std::ldexp(value, static_cast<int>(i % 300) - 150 - std::ilogb(value));
        }
        const f32 expected = static_cast<f32>(static_cast<long double>(value));
        ASSERT_EQ(bits_of(Demote{}(value)), bits_of(canonical_or(expected)))
            << std::hexfloat << value;
    }
}

// Every 8191st f32 bit pattern (a prime stride, so every exponent and sign and a spread of
// mantissas come up) through the unary float operators and all float-to-int truncations.
TEST(OpsNumericSweep, F32BitPatternsThroughUnaryOperatorsAndTruncations) {
    if (std::numeric_limits<long double>::digits < 64) GTEST_SKIP() << "long double too narrow";
    ASSERT_EQ(std::fegetround(), FE_TONEAREST);
    constexpr u64 kStride = 8191;
    for (u64 pattern = 0; pattern <= 0xFFFFFFFFu; pattern += kStride) {
        const f32 value = std::bit_cast<f32>(static_cast<u32>(pattern));
        const f32 other = std::bit_cast<f32>(static_cast<u32>(pattern * 0x9E3779B9u));
        check_rounding_and_ordering(value, other);
        ASSERT_EQ(bits_of(Sqrt<f32>{}(value)),
                  bits_of(canonical_or(static_cast<f32>(std::sqrt(static_cast<f64>(value))))))
            << std::hexfloat << value;
        ASSERT_TRUE((trunc_matches_reference<i32, TruncS<u32, f32>, TruncSatS<u32, f32>>(value)));
        ASSERT_TRUE((trunc_matches_reference<u32, TruncU<u32, f32>, TruncSatU<u32, f32>>(value)));
        ASSERT_TRUE((trunc_matches_reference<i64, TruncS<u64, f32>, TruncSatS<u64, f32>>(value)));
        ASSERT_TRUE((trunc_matches_reference<u64, TruncU<u64, f32>, TruncSatU<u64, f32>>(value)));
        if (HasFatalFailure()) return;
    }
}

// ---------------------------------------------------------------------------------------------
// Integer operators against wider or bit-by-bit arithmetic.

template <WasmInt T>
T reference_rotl(T value, u64 count) {
    constexpr unsigned kWidth = sizeof(T) * 8;
    T result = value;
    for (u64 i = 0; i < count % kWidth; ++i) {
        result = static_cast<T>((result << 1) | (result >> (kWidth - 1)));
    }
    return result;
}

TEST(OpsNumericRandom, IntegerOperatorsMatchWideArithmetic) {
    Inputs inputs;
    for (int i = 0; i < kIterations / 4; ++i) {
        const u64 a = inputs.integer64();
        const u64 b = inputs.integer64();
        const u32 a32 = inputs.integer32();
        const u32 b32 = inputs.integer32();
        // Printed only when an assertion fails: a trace per iteration would dominate.
        const auto operands = [&] {
            return testing::Message() << std::hex << a << " " << b << " " << a32 << " " << b32;
        };
        // i32 division through i64, where INT32_MIN / -1 is an ordinary quotient.
        const i64 sa32 = static_cast<i32>(a32);
        const i64 sb32 = static_cast<i32>(b32);
        if (b32 != 0) {
            const i64 quotient = sa32 / sb32;
            const Checked<u32> div = DivS<u32>{}(a32, b32);
            ASSERT_EQ(div.ok(), quotient <= std::numeric_limits<i32>::max()) << operands();
            if (div.ok()) {
                ASSERT_EQ(div.value, static_cast<u32>(quotient)) << operands();
            }
            ASSERT_EQ(RemS<u32>{}(a32, b32).value, static_cast<u32>(sa32 % sb32)) << operands();
            ASSERT_EQ(DivU<u32>{}(a32, b32).value, static_cast<u32>(u64{a32} / u64{b32}))
                << operands();
            ASSERT_EQ(RemU<u32>{}(a32, b32).value, static_cast<u32>(u64{a32} % u64{b32}))
                << operands();
        }
        // i64 division through 128-bit arithmetic.
        const __int128 sa = static_cast<i64>(a);
        const __int128 sb = static_cast<i64>(b);
        if (b != 0) {
            const __int128 quotient = sa / sb;
            const Checked<u64> div = DivS<u64>{}(a, b);
            ASSERT_EQ(div.ok(), quotient <= std::numeric_limits<i64>::max()) << operands();
            if (div.ok()) {
                ASSERT_EQ(div.value, static_cast<u64>(quotient)) << operands();
            }
            ASSERT_EQ(RemS<u64>{}(a, b).value, static_cast<u64>(sa % sb)) << operands();
        }
        ASSERT_EQ(Rotl<u64>{}(a, b), reference_rotl(a, b)) << operands();
        ASSERT_EQ(Rotr<u64>{}(a, b), reference_rotl(a, 64 - b % 64)) << operands();
        ASSERT_EQ(Rotl<u32>{}(a32, b32), reference_rotl(a32, b32)) << operands();
        ASSERT_EQ(Rotr<u32>{}(a32, b32), reference_rotl(a32, 32 - b32 % 32)) << operands();
        // Shifts through 128-bit values, where a shift by up to 63 never loses the sign.
        ASSERT_EQ(ShrS<u64>{}(a, b), static_cast<u64>(sa >> (b % 64))) << operands();
        ASSERT_EQ(Shl<u64>{}(a, b), static_cast<u64>(static_cast<unsigned __int128>(a) << (b % 64)))
            << operands();
        ASSERT_EQ(ShrS<u32>{}(a32, b32), static_cast<u32>(sa32 >> (b32 % 32))) << operands();
        ASSERT_EQ(Mul<u64>{}(a, b), static_cast<u64>(static_cast<unsigned __int128>(a) * b))
            << operands();
        ASSERT_EQ(LtS<u64>{}(a, b), static_cast<u32>(sa < sb)) << operands();
        ASSERT_EQ(GeS<u32>{}(a32, b32), static_cast<u32>(sa32 >= sb32)) << operands();
    }
}

}  // namespace
}  // namespace esta::wasm::ops
