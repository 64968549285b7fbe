// The WebAssembly v128 value: 16 bytes, read as lanes of one of six shapes.
// Spec: https://webassembly.github.io/spec/core/syntax/types.html#vector-types
//
// Lane i of a shape starts at byte i * lane size, little-endian, exactly as wasm lays a v128
// out in linear memory: `v128.load` is a 16-byte copy into `bytes` and lane 0 of i32x4 is the
// first four bytes. The type is trivially copyable with no padding, so the interpreter keeps
// it in two untagged 64-bit slots (`low()` = bytes 0..7, `high()` = bytes 8..15) and rebuilds
// it with `from_halves`. Lane accessors take the lane index as a plain integer: validation
// proved immediate lane indices in range, so the accessors only mask the index (an index out
// of range wraps around instead of touching memory outside the value).
#pragma once

#include <array>
#include <bit>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "base/types.h"

// Lane i at byte offset i * size is wasm's order only on a little-endian host; every
// supported target (x86-64, AArch64) is one.
static_assert(std::endian::native == std::endian::little, "v128 lanes assume a little-endian host");

namespace esta::wasm {

struct alignas(16) V128 {
    std::array<u8, 16> bytes{};

    // Lane accessors. `Lane` is the lane's storage type: u8, u16, u32, u64, f32 or f64
    // (integers travel unsigned, as in ops_numeric.h; signed instructions reinterpret).
    template <class Lane>
    [[nodiscard]] Lane lane(unsigned index) const {
        Lane value;
        std::memcpy(&value, bytes.data() + offset<Lane>(index), sizeof(Lane));
        return value;
    }
    template <class Lane>
    void set_lane(unsigned index, Lane value) {
        std::memcpy(bytes.data() + offset<Lane>(index), &value, sizeof(Lane));
    }
    template <class Lane>
    static constexpr unsigned offset(unsigned index) {
        return (index % (16 / sizeof(Lane))) * sizeof(Lane);
    }

    // The two 64-bit interpreter slots.
    [[nodiscard]] u64 low() const { return lane<u64>(0); }
    [[nodiscard]] u64 high() const { return lane<u64>(1); }
    static V128 from_halves(u64 low, u64 high) {
        V128 value;
        value.set_lane<u64>(0, low);
        value.set_lane<u64>(1, high);
        return value;
    }
    // From the first 16 bytes at `source` (a `v128.load`, a `v128.const` immediate).
    static V128 from_bytes(const u8* source) {
        V128 value;
        std::memcpy(value.bytes.data(), source, 16);
        return value;
    }
    template <class Lane>
    static V128 from_lanes(const std::array<Lane, 16 / sizeof(Lane)>& lanes) {
        V128 value;
        std::memcpy(value.bytes.data(), lanes.data(), 16);
        return value;
    }

    // Bitwise equality: two NaN lanes with the same bits are equal, +0 and -0 are not.
    friend bool operator==(const V128& a, const V128& b) { return a.bytes == b.bytes; }
};

static_assert(sizeof(V128) == 16 && alignof(V128) == 16);
static_assert(std::is_trivially_copyable_v<V128> && std::is_standard_layout_v<V128>);
static_assert(std::has_unique_object_representations_v<V128>, "no padding: slots carry all bits");

// The six ways to read a v128. Each shape names its lane storage type, its lane count and the
// text prefix its instructions carry ("i8x16.add").
template <class LaneType, std::string_view::const_pointer kPrefix>
struct Shape {
    using Lane = LaneType;
    static constexpr unsigned kLanes = 16 / sizeof(Lane);
    static constexpr unsigned kLaneBits = sizeof(Lane) * 8;
    static constexpr bool kFloat = std::is_floating_point_v<Lane>;
    static constexpr std::string_view prefix = kPrefix;
};

namespace shape_names {
inline constexpr char kI8x16[] = "i8x16";
inline constexpr char kI16x8[] = "i16x8";
inline constexpr char kI32x4[] = "i32x4";
inline constexpr char kI64x2[] = "i64x2";
inline constexpr char kF32x4[] = "f32x4";
inline constexpr char kF64x2[] = "f64x2";
}  // namespace shape_names

using I8x16 = Shape<u8, shape_names::kI8x16>;
using I16x8 = Shape<u16, shape_names::kI16x8>;
using I32x4 = Shape<u32, shape_names::kI32x4>;
using I64x2 = Shape<u64, shape_names::kI64x2>;
using F32x4 = Shape<f32, shape_names::kF32x4>;
using F64x2 = Shape<f64, shape_names::kF64x2>;

template <class S>
concept IntShape = std::same_as<S, I8x16> || std::same_as<S, I16x8> || std::same_as<S, I32x4> ||
    std::same_as<S, I64x2>;
template <class S>
concept FloatShape = std::same_as<S, F32x4> || std::same_as<S, F64x2>;
template <class S>
concept AnyShape = IntShape<S> || FloatShape<S>;

}  // namespace esta::wasm
