// The interpreter's SIMD handlers: one function per opcode row of simd_opcodes.def, found at
// compile time by the row's text name among the operators of ops_simd_list.h (each
// operator's `name` is its row's text), so the table cannot drift from the rows. A handler
// reads its operands from the frame's slots (a v128 from two), applies the operator and
// writes the result (lowering.h, "SIMD"). Only memory accesses can fail: a handler returns
// false for an out-of-bounds access, which the interpreter turns into the trap.
// Private to interpreter.cc.
// Spec: https://webassembly.github.io/spec/core/exec/instructions.html#vector-instructions
#pragma once

#include <bit>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "wasm/lowering.h"
#include "wasm/ops_simd_list.h"

namespace esta::wasm::simd_handlers {

// What a handler may touch besides the frame.
struct Context {
    u8* memory = nullptr;
    u64 memory_size = 0;
    const V128* constants = nullptr;  // LoweredFunction::v128_constants.
};

using Handler = bool (*)(u64* fp, const LInstruction* pc, const Context& context);

inline V128 read_v128(const u64* slot) {
    return V128::from_halves(slot[0], slot[1]);
}
inline void write_v128(u64* slot, const V128& value) {
    const u64 low = value.low(), high = value.high();
    slot[0] = low;
    slot[1] = high;
}
// Scalars as the scalar handlers keep them: raw bits, 32-bit values zero-extended.
template <class T>
inline T read_scalar(const u64* slot) {
    if constexpr (sizeof(T) == 8) {
        return std::bit_cast<T>(*slot);
    } else {
        return std::bit_cast<T>(static_cast<u32>(*slot));
    }
}
template <class T>
inline void write_scalar(u64* slot, T value) {
    if constexpr (sizeof(T) == 8) {
        *slot = std::bit_cast<u64>(value);
    } else {
        *slot = std::bit_cast<u32>(value);
    }
}

inline unsigned lane_of(const LInstruction* pc) {
    return static_cast<u8>(pc->imm >> 32);
}

// The effective address of a memory access of `size` bytes, or nullptr when it is out of
// bounds. The address operand is slot a; the static offset is imm's low 32 bits.
inline u8* address_of(const u64* fp, const LInstruction* pc, const Context& context, u64 size) {
    const u64 address = u64{static_cast<u32>(fp[pc->a])} + static_cast<u32>(pc->imm);
    if (address + size > context.memory_size) [[unlikely]]
        return nullptr;
    return context.memory + address;
}

// The bytes a memory operator reads or writes; 0 for an operator that touches no memory.
template <class F>
struct AccessBytes : std::integral_constant<std::size_t, 0> {};
template <class S>
struct AccessBytes<ops::simd::LoadSplat<S>>
    : std::integral_constant<std::size_t, sizeof(typename S::Lane)> {};
template <class S>
struct AccessBytes<ops::simd::LoadZero<S>>
    : std::integral_constant<std::size_t, sizeof(typename S::Lane)> {};
template <class S>
struct AccessBytes<ops::simd::LoadLane<S>>
    : std::integral_constant<std::size_t, sizeof(typename S::Lane)> {};
template <class S>
struct AccessBytes<ops::simd::StoreLane<S>>
    : std::integral_constant<std::size_t, sizeof(typename S::Lane)> {};
template <class S, bool kSigned>
struct AccessBytes<ops::simd::LoadExtend<S, kSigned>> : std::integral_constant<std::size_t, 8> {};

// Applies operator F: through its dispatch (the host path where it has one), or, with
// kPortable, through its portable definition only (the differential test's reference).
template <class F, bool kPortable, class... Args>
inline auto apply(const Args&... args) {
    if constexpr (kPortable) {
        return F::portable(args...);
    } else {
        return F{}(args...);
    }
}

// An unsigned integer of `kBytes` bytes read from (or written to) memory, little-endian.
template <std::size_t kBytes>
using Bits = std::conditional_t<
    kBytes == 1, u8,
    std::conditional_t<kBytes == 2, u16, std::conditional_t<kBytes == 4, u32, u64>>>;

template <class F, bool kPortable>
bool memory_operator(u64* fp, const LInstruction* pc, const Context& context) {
    constexpr std::size_t kBytes = AccessBytes<F>::value;
    u8* const at = address_of(fp, pc, context, kBytes);
    if (at == nullptr) return false;
    Bits<kBytes> bits;
    if constexpr (F::name.starts_with("v128.store")) {
        bits = static_cast<Bits<kBytes>>(apply<F, kPortable>(read_v128(fp + pc->b), lane_of(pc)));
        std::memcpy(at, &bits, kBytes);
        return true;
    } else {
        std::memcpy(&bits, at, kBytes);
        if constexpr (requires { typename F::LaneOperand; }) {
            // v128.loadN_lane: the vector is operand b.
            using Lane = typename F::LaneOperand;
            write_v128(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->b),
                                                       static_cast<Lane>(bits), lane_of(pc)));
        } else {
            // loadN_splat, loadN_zero, loadMxN: integer operands, zero-extended.
            write_v128(fp + pc->c, apply<F, kPortable>(static_cast<typename F::Operand>(bits)));
        }
        return true;
    }
}

// Every operator of ops_simd_list.h, by its call shape (as ops_simd_random_test.cc draws
// arguments). Operands are read before the result is written, so c may alias them.
template <class F, bool kPortable = false>
bool simd_operator(u64* fp, const LInstruction* pc, const Context& context) {
    using Result = typename F::Result;
    if constexpr (AccessBytes<F>::value != 0) {
        return memory_operator<F, kPortable>(fp, pc, context);
    } else if constexpr (std::same_as<F, ops::simd::Shuffle>) {
        write_v128(fp + pc->c,
                   apply<F, kPortable>(read_v128(fp + pc->a), read_v128(fp + pc->b),
                                       context.constants[static_cast<u32>(pc->imm)].bytes));
    } else if constexpr (requires { typename F::LaneOperand; }) {
        // replace_lane: the vector, the scalar, the lane.
        using Lane = typename F::LaneOperand;
        write_v128(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a),
                                                   read_scalar<Lane>(fp + pc->b), lane_of(pc)));
    } else if constexpr (!std::same_as<typename F::Operand, V128>) {
        // splat.
        write_v128(fp + pc->c, apply<F, kPortable>(read_scalar<typename F::Operand>(fp + pc->a)));
    } else if constexpr (!std::same_as<Result, V128> && requires(V128 v) { F::portable(v, 0u); }) {
        // extract_lane.
        write_scalar<Result>(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a), lane_of(pc)));
    } else if constexpr (!std::same_as<Result, V128>) {
        // any_true, all_true, bitmask.
        write_scalar<Result>(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a)));
    } else if constexpr (requires(V128 v) { F::portable(v, v, v); }) {
        write_v128(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a), read_v128(fp + pc->b),
                                                   read_v128(fp + pc->d)));
    } else if constexpr (requires(V128 v) { F::portable(v, v); }) {
        write_v128(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a), read_v128(fp + pc->b)));
    } else if constexpr (requires(V128 v, u32 count) { F::portable(v, count); }) {
        // Shifts: the count is an i32 operand.
        write_v128(fp + pc->c,
                   apply<F, kPortable>(read_v128(fp + pc->a), read_scalar<u32>(fp + pc->b)));
    } else {
        write_v128(fp + pc->c, apply<F, kPortable>(read_v128(fp + pc->a)));
    }
    return true;
}

// The three rows with no operator: a 16-byte copy or a constant.
inline bool v128_load(u64* fp, const LInstruction* pc, const Context& context) {
    const u8* const at = address_of(fp, pc, context, 16);
    if (at == nullptr) return false;
    write_v128(fp + pc->c, V128::from_bytes(at));
    return true;
}
inline bool v128_store(u64* fp, const LInstruction* pc, const Context& context) {
    u8* const at = address_of(fp, pc, context, 16);
    if (at == nullptr) return false;
    const V128 value = read_v128(fp + pc->b);
    std::memcpy(at, value.bytes.data(), 16);
    return true;
}
inline bool v128_const(u64* fp, const LInstruction* pc, const Context& context) {
    write_v128(fp + pc->c, context.constants[static_cast<u32>(pc->imm)]);
    return true;
}

// Whether some operator is named `name` (compared by name, not by handler address: GCC's
// UBSan instrumentation makes a function address comparison non-constant).
constexpr bool has_handler(std::string_view name) {
    bool found = name == "v128.load" || name == "v128.store" || name == "v128.const";
    ops::simd::for_each_simd_operator([&]<class F>() {
        if (F::name == name) found = true;
    });
    return found;
}

// The handler of the row named `name`, or nullptr (a compile-time error where it is used).
// kPortable: the same handler calling only the operators' portable definitions.
template <bool kPortable = false>
constexpr Handler handler_for(std::string_view name) {
    if (name == "v128.load") return &v128_load;
    if (name == "v128.store") return &v128_store;
    if (name == "v128.const") return &v128_const;
    Handler found = nullptr;
    ops::simd::for_each_simd_operator([&]<class F>() {
        if (F::name == name) found = &simd_operator<F, kPortable>;
    });
    return found;
}

}  // namespace esta::wasm::simd_handlers
