// The portable and host paths of every SIMD operator agree bit for bit on randomized inputs
// (REQUIREMENTS T-5, E-3): a seeded generator mixes random bits with the values where host
// instructions and the spec tend to disagree (NaNs with payloads, signalling NaNs, +-0, +-inf,
// subnormals, float bounds of the integer ranges, integer lane bounds). Also checks that every
// row of simd_opcodes.def has an operator here, so a forgotten instruction fails the build's
// tests rather than a spec test later.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "wasm/ops_simd_list.h"

namespace esta::wasm::ops::simd {
namespace {

constexpr int kRounds = 20000;

std::string hex(const V128& v) {
    std::string text;
    char byte[4];
    for (int i = 15; i >= 0; --i) {
        std::snprintf(byte, sizeof byte, "%02x", v.bytes[static_cast<unsigned>(i)]);
        text += byte;
    }
    return text;
}

class Inputs {
  public:
    explicit Inputs(u64 seed) : generator_(seed) {}

    u64 bits() { return generator_(); }
    unsigned below(unsigned n) { return static_cast<unsigned>(generator_() % n); }

    V128 v128() {
        V128 value = V128::from_halves(bits(), bits());
        switch (below(8)) {
            case 0:
                return value;  // Random bits.
            case 1:
                fill<u8>(value, kBytes);
                return value;
            case 2:
                fill<u16>(value, kHalves);
                return value;
            case 3:
                fill<u32>(value, kWords);
                return value;
            case 4:
                fill<u64>(value, kDoubles);
                return value;  // Ints and f64 patterns.
            case 5:
                fill<u32>(value, kFloats);
                return value;
            case 6:
                fill<u64>(value, kDoubles);
                return value;
            default: {
                // Small floats around integers, halves and ties, either width.
                if (below(2) == 0) {
                    for (unsigned i = 0; i < 4; ++i) {
                        value.set_lane<f32>(
                            i, static_cast<f32>(static_cast<int>(below(64)) - 32) * 0.25f);
                    }
                } else {
                    for (unsigned i = 0; i < 2; ++i) {
                        value.set_lane<f64>(
                            i, static_cast<f64>(static_cast<int>(below(64)) - 32) * 0.25);
                    }
                }
                return value;
            }
        }
    }

  private:
    // Each lane is either random or one of `specials`.
    template <class Lane, std::size_t N>
    void fill(V128& value, const std::array<Lane, N>& specials) {
        for (unsigned i = 0; i < 16 / sizeof(Lane); ++i) {
            if (below(3) != 0) value.set_lane<Lane>(i, specials[below(N)]);
        }
    }

    static constexpr std::array<u8, 8> kBytes = {0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x40};
    static constexpr std::array<u16, 9> kHalves = {0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001,
                                                   0xFFFF, 0xFF80, 0x007F, 0x4000};
    static constexpr std::array<u32, 10> kWords = {0x00000000, 0x00000001, 0x7FFFFFFF, 0x80000000,
                                                   0x80000001, 0xFFFFFFFF, 0x0000FFFF, 0xFFFF8000,
                                                   0x00007FFF, 0x01000001};
    static constexpr std::array<u32, 26> kFloats = {
        0x00000000, 0x80000000,                          // +-0
        0x7F800000, 0xFF800000,                          // +-inf
        0x7FC00000, 0xFFC00000, 0x7FC00001, 0xFFFFFFFF,  // quiet NaNs, payloads, signs
        0x7F800001, 0xFFA00000,                          // signalling NaNs
        0x00000001, 0x807FFFFF,                          // subnormals
        0x7F7FFFFF, 0xFF7FFFFF,                          // +-max
        0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001,  // around +-2^31
        0x4F800000, 0x4F7FFFFF,                          // around 2^32
        0x3F000000, 0xBF000000, 0x3FC00000, 0x40200000,  // 0.5, -0.5, 1.5, 2.5
        0xBF800000, 0x4B000001};                         // -1, 2^23 + 1
    static constexpr std::array<u64, 24> kDoubles = {
        0x0000000000000000, 0x8000000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
        0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000000001, 0x7FF0000000000001,
        0x0000000000000001, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000, 0x41DFFFFFFFC00000,
        0xC1E0000000000000, 0xC1E0000000200000, 0x41F0000000000000, 0x41EFFFFFFFE00000,
        0x3FE0000000000000, 0xBFE0000000000000, 0x4330000000000001, 0x3FF8000000000000,
        0x36A0000000000000, 0x47EFFFFFE0000000,  // f32 subnormal range, f32 max rounding edge
        0x7FFFFFFFFFFFFFFF, 0x8000000000000001};

    std::mt19937_64 generator_;
};

// One registered operator: its text name and a check that runs it on random inputs, returning
// a description of the first disagreement or "".
struct Entry {
    std::string_view name;
    std::function<std::string(Inputs&)> check;
};

template <class T>
std::string show(const T& value) {
    if constexpr (std::same_as<T, V128>) {
        return hex(value);
    } else if constexpr (std::same_as<T, Shuffle::Lanes>) {
        return "lanes " + hex(V128::from_bytes(value.data()));
    } else if constexpr (std::is_floating_point_v<T>) {
        return std::to_string(std::bit_cast<std::conditional_t<sizeof(T) == 4, u32, u64>>(value));
    } else {
        return std::to_string(value);
    }
}

template <class T>
bool same(const T& a, const T& b) {
    if constexpr (std::is_floating_point_v<T>) {
        return std::bit_cast<std::conditional_t<sizeof(T) == 4, u32, u64>>(a) ==
               std::bit_cast<std::conditional_t<sizeof(T) == 4, u32, u64>>(b);
    } else {
        return a == b;
    }
}

// Builds an entry from a way to draw arguments and call both paths.
template <class Op, class Draw>
Entry entry(Draw draw) {
    return Entry{Op::name, [draw](Inputs& in) -> std::string {
                     for (int round = 0; round < kRounds; ++round) {
                         const auto args = draw(in);
                         const auto portable =
                             std::apply([](const auto&... a) { return Op::portable(a...); }, args);
                         const auto dispatched =
                             std::apply([](const auto&... a) { return Op{}(a...); }, args);
                         if (!same(portable, dispatched)) {
                             std::string inputs;
                             std::apply([&](const auto&... a) { ((inputs += show(a) + " "), ...); },
                                        args);
                             return "inputs " + inputs + "portable " + show(portable) + " host " +
                                    show(dispatched);
                         }
                     }
                     return "";
                 }};
}

// Draws arguments by the operator's call shape. Lane indices and shift counts share one draw:
// lane accessors read the index modulo the lane count, so any u32 is a valid input.
template <class Op>
Entry entry_for() {
    if constexpr (requires(V128 v, Shuffle::Lanes lanes) { Op::portable(v, v, lanes); }) {
        return entry<Op>([](Inputs& in) {
            Shuffle::Lanes lanes;
            for (u8& lane : lanes)
                lane = static_cast<u8>(in.below(32));
            return std::tuple{in.v128(), in.v128(), lanes};
        });
    } else if constexpr (requires { typename Op::LaneOperand; }) {
        using Scalar = typename Op::LaneOperand;
        return entry<Op>([](Inputs& in) {
            const V128 source = in.v128();
            const Scalar scalar = source.lane<Scalar>(in.below(16 / sizeof(Scalar)));
            return std::tuple{in.v128(), scalar, in.below(64)};
        });
    } else if constexpr (!std::same_as<typename Op::Operand, V128>) {
        using Scalar = typename Op::Operand;
        return entry<Op>([](Inputs& in) {
            const V128 source = in.v128();
            return std::tuple{source.lane<Scalar>(in.below(16 / sizeof(Scalar)))};
        });
    } else if constexpr (requires(V128 v) { Op::portable(v, v, v); }) {
        return entry<Op>([](Inputs& in) { return std::tuple{in.v128(), in.v128(), in.v128()}; });
    } else if constexpr (requires(V128 v) { Op::portable(v, v); }) {
        return entry<Op>([](Inputs& in) { return std::tuple{in.v128(), in.v128()}; });
    } else if constexpr (requires(V128 v, u32 count) { Op::portable(v, count); }) {
        // Counts around and beyond every lane width, and arbitrary ones.
        return entry<Op>([](Inputs& in) {
            const u32 count = in.below(2) == 0 ? in.below(70) : static_cast<u32>(in.bits());
            return std::tuple{in.v128(), count};
        });
    } else {
        return entry<Op>([](Inputs& in) { return std::tuple{in.v128()}; });
    }
}

std::vector<Entry> all_entries() {
    std::vector<Entry> entries;
    for_each_simd_operator([&]<class Op>() { entries.push_back(entry_for<Op>()); });
    return entries;
}

TEST(OpsSimdRandom, T5_PortableAndHostPathsAgreeOnEveryOperator) {
    u64 seed = 0x5EED;
    for (const Entry& entry : all_entries()) {
        Inputs inputs(seed++);
        EXPECT_EQ(entry.check(inputs), "") << entry.name;
    }
}

// Every 0xFD row but the plain load, store and const (memory and immediates only) has an
// operator, under the row's own text name, and no two operators share a name.
TEST(OpsSimdRandom, EveryOpcodeRowHasAnOperator) {
    std::set<std::string_view> names;
    for (const Entry& entry : all_entries()) {
        EXPECT_TRUE(names.insert(entry.name).second) << "two operators named " << entry.name;
    }
    std::set<std::string_view> rows;
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) rows.insert(text);
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
    EXPECT_EQ(rows.size(), 236u);
    for (const std::string_view row : rows) {
        if (row == "v128.load" || row == "v128.store" || row == "v128.const") continue;
        EXPECT_TRUE(names.contains(row)) << "no operator for " << row;
    }
    for (const std::string_view name : names) {
        EXPECT_TRUE(rows.contains(name)) << "operator " << name << " has no opcode row";
    }
}

// The test above is only as strong as the host path is used: on x86-64 most operators must
// have one (a build that silently lost them would compare portable with itself).
TEST(OpsSimdRandom, HostPathIsPresentWhereExpected) {
#if ESTA_SIMD_HOST
    EXPECT_TRUE((detail::kHasHost<Add<F32x4>, V128, V128>));
    EXPECT_TRUE((detail::kHasHost<Min<F64x2>, V128, V128>));
    EXPECT_TRUE((detail::kHasHost<Compare<I64x2, Relation::Eq>, V128, V128>));
    EXPECT_TRUE((detail::kHasHost<Nearest<F32x4>, V128>));
    EXPECT_TRUE((detail::kHasHost<TruncSat<F32x4, false>, V128>));
    EXPECT_FALSE((detail::kHasHost<Mul<I64x2>, V128, V128>));
#else
    EXPECT_FALSE((detail::kHasHost<Add<F32x4>, V128, V128>));
#endif
}

}  // namespace
}  // namespace esta::wasm::ops::simd
