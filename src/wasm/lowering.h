// Lowering: a validated function body -> compact internal code the interpreter trusts.
//
// The internal code is register-style over 64-bit slots: every local and every position of
// the wasm operand stack has a fixed slot in the function's frame (validation proved the
// stack height at each instruction), so each instruction names its operands by slot and
// nothing is pushed or popped at run time. Branch targets, br_table side tables, result
// copies and call argument positions are resolved here; no LEB128 is read at run time.
//
// Fuel (REQUIREMENTS T-3, E-4). Code is cut into segments: straight runs that end at an
// unconditional transfer (br, br_table, return, unreachable, the jump over an else arm) or a
// call. A segment's whole cost is charged when it is entered (function entry, a taken
// branch, the return from a call); a conditional exit (br_if taken, if's false arm) charges
// the difference between its target's entry cost and what its own segment still had left.
// Each instruction records `count` (the wasm instructions it stands for, including
// effect-free ones folded into it, such as block, nop, end) and `rest` (the fuel of the
// instructions after it in its segment). With `fuel` = remaining minus what was charged
// ahead, the invariant at each instruction i is: i may run iff rest(i) >= -fuel. Normal
// execution keeps fuel >= 0, so no check is needed per instruction; when a charge drives
// fuel negative the interpreter steps with that check until the exact stopping point. A
// trap at i refunds rest(i), so the fuel used is exact per instruction.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "wasm/module.h"
#include "wasm/ops_numeric.h"
#include "wasm/v128.h"

namespace esta::wasm {

// The numeric instructions, each with its operand shape and its functor (ops_numeric.h).
// X(op, arity, functor): arity 1 reads slot a, arity 2 reads slots a and b; both write c.
// clang-format off
#define ESTA_NUMERIC_OPS(X)                                                                  \
    X(i32_eqz, 1, ops::Eqz<u32>) X(i32_eq, 2, ops::Eq<u32>) X(i32_ne, 2, ops::Ne<u32>)        \
    X(i32_lt_s, 2, ops::LtS<u32>) X(i32_lt_u, 2, ops::LtU<u32>) X(i32_gt_s, 2, ops::GtS<u32>) \
    X(i32_gt_u, 2, ops::GtU<u32>) X(i32_le_s, 2, ops::LeS<u32>) X(i32_le_u, 2, ops::LeU<u32>) \
    X(i32_ge_s, 2, ops::GeS<u32>) X(i32_ge_u, 2, ops::GeU<u32>)                               \
    X(i64_eqz, 1, ops::Eqz<u64>) X(i64_eq, 2, ops::Eq<u64>) X(i64_ne, 2, ops::Ne<u64>)        \
    X(i64_lt_s, 2, ops::LtS<u64>) X(i64_lt_u, 2, ops::LtU<u64>) X(i64_gt_s, 2, ops::GtS<u64>) \
    X(i64_gt_u, 2, ops::GtU<u64>) X(i64_le_s, 2, ops::LeS<u64>) X(i64_le_u, 2, ops::LeU<u64>) \
    X(i64_ge_s, 2, ops::GeS<u64>) X(i64_ge_u, 2, ops::GeU<u64>)                               \
    X(f32_eq, 2, ops::Eq<f32>) X(f32_ne, 2, ops::Ne<f32>) X(f32_lt, 2, ops::Lt<f32>)          \
    X(f32_gt, 2, ops::Gt<f32>) X(f32_le, 2, ops::Le<f32>) X(f32_ge, 2, ops::Ge<f32>)          \
    X(f64_eq, 2, ops::Eq<f64>) X(f64_ne, 2, ops::Ne<f64>) X(f64_lt, 2, ops::Lt<f64>)          \
    X(f64_gt, 2, ops::Gt<f64>) X(f64_le, 2, ops::Le<f64>) X(f64_ge, 2, ops::Ge<f64>)          \
    X(i32_clz, 1, ops::Clz<u32>) X(i32_ctz, 1, ops::Ctz<u32>) X(i32_popcnt, 1, ops::Popcnt<u32>) \
    X(i32_add, 2, ops::Add<u32>) X(i32_sub, 2, ops::Sub<u32>) X(i32_mul, 2, ops::Mul<u32>)    \
    X(i32_div_s, 2, ops::DivS<u32>) X(i32_div_u, 2, ops::DivU<u32>)                           \
    X(i32_rem_s, 2, ops::RemS<u32>) X(i32_rem_u, 2, ops::RemU<u32>)                           \
    X(i32_and, 2, ops::And<u32>) X(i32_or, 2, ops::Or<u32>) X(i32_xor, 2, ops::Xor<u32>)      \
    X(i32_shl, 2, ops::Shl<u32>) X(i32_shr_s, 2, ops::ShrS<u32>) X(i32_shr_u, 2, ops::ShrU<u32>) \
    X(i32_rotl, 2, ops::Rotl<u32>) X(i32_rotr, 2, ops::Rotr<u32>)                             \
    X(i64_clz, 1, ops::Clz<u64>) X(i64_ctz, 1, ops::Ctz<u64>) X(i64_popcnt, 1, ops::Popcnt<u64>) \
    X(i64_add, 2, ops::Add<u64>) X(i64_sub, 2, ops::Sub<u64>) X(i64_mul, 2, ops::Mul<u64>)    \
    X(i64_div_s, 2, ops::DivS<u64>) X(i64_div_u, 2, ops::DivU<u64>)                           \
    X(i64_rem_s, 2, ops::RemS<u64>) X(i64_rem_u, 2, ops::RemU<u64>)                           \
    X(i64_and, 2, ops::And<u64>) X(i64_or, 2, ops::Or<u64>) X(i64_xor, 2, ops::Xor<u64>)      \
    X(i64_shl, 2, ops::Shl<u64>) X(i64_shr_s, 2, ops::ShrS<u64>) X(i64_shr_u, 2, ops::ShrU<u64>) \
    X(i64_rotl, 2, ops::Rotl<u64>) X(i64_rotr, 2, ops::Rotr<u64>)                             \
    X(f32_abs, 1, ops::Abs<f32>) X(f32_neg, 1, ops::Neg<f32>) X(f32_ceil, 1, ops::Ceil<f32>)  \
    X(f32_floor, 1, ops::Floor<f32>) X(f32_trunc, 1, ops::Trunc<f32>)                         \
    X(f32_nearest, 1, ops::Nearest<f32>) X(f32_sqrt, 1, ops::Sqrt<f32>)                       \
    X(f32_add, 2, ops::Add<f32>) X(f32_sub, 2, ops::Sub<f32>) X(f32_mul, 2, ops::Mul<f32>)    \
    X(f32_div, 2, ops::Div<f32>) X(f32_min, 2, ops::Min<f32>) X(f32_max, 2, ops::Max<f32>)    \
    X(f32_copysign, 2, ops::Copysign<f32>)                                                    \
    X(f64_abs, 1, ops::Abs<f64>) X(f64_neg, 1, ops::Neg<f64>) X(f64_ceil, 1, ops::Ceil<f64>)  \
    X(f64_floor, 1, ops::Floor<f64>) X(f64_trunc, 1, ops::Trunc<f64>)                         \
    X(f64_nearest, 1, ops::Nearest<f64>) X(f64_sqrt, 1, ops::Sqrt<f64>)                       \
    X(f64_add, 2, ops::Add<f64>) X(f64_sub, 2, ops::Sub<f64>) X(f64_mul, 2, ops::Mul<f64>)    \
    X(f64_div, 2, ops::Div<f64>) X(f64_min, 2, ops::Min<f64>) X(f64_max, 2, ops::Max<f64>)    \
    X(f64_copysign, 2, ops::Copysign<f64>)                                                    \
    X(i32_wrap_i64, 1, ops::Wrap)                                                             \
    X(i32_trunc_f32_s, 1, (ops::TruncS<u32, f32>)) X(i32_trunc_f32_u, 1, (ops::TruncU<u32, f32>)) \
    X(i32_trunc_f64_s, 1, (ops::TruncS<u32, f64>)) X(i32_trunc_f64_u, 1, (ops::TruncU<u32, f64>)) \
    X(i64_extend_i32_s, 1, ops::ExtendS) X(i64_extend_i32_u, 1, ops::ExtendU)                 \
    X(i64_trunc_f32_s, 1, (ops::TruncS<u64, f32>)) X(i64_trunc_f32_u, 1, (ops::TruncU<u64, f32>)) \
    X(i64_trunc_f64_s, 1, (ops::TruncS<u64, f64>)) X(i64_trunc_f64_u, 1, (ops::TruncU<u64, f64>)) \
    X(f32_convert_i32_s, 1, (ops::ConvertS<f32, u32>)) X(f32_convert_i32_u, 1, (ops::ConvertU<f32, u32>)) \
    X(f32_convert_i64_s, 1, (ops::ConvertS<f32, u64>)) X(f32_convert_i64_u, 1, (ops::ConvertU<f32, u64>)) \
    X(f32_demote_f64, 1, ops::Demote)                                                         \
    X(f64_convert_i32_s, 1, (ops::ConvertS<f64, u32>)) X(f64_convert_i32_u, 1, (ops::ConvertU<f64, u32>)) \
    X(f64_convert_i64_s, 1, (ops::ConvertS<f64, u64>)) X(f64_convert_i64_u, 1, (ops::ConvertU<f64, u64>)) \
    X(f64_promote_f32, 1, ops::Promote)                                                       \
    X(i32_reinterpret_f32, 1, (ops::Reinterpret<u32, f32>))                                   \
    X(i64_reinterpret_f64, 1, (ops::Reinterpret<u64, f64>))                                   \
    X(f32_reinterpret_i32, 1, (ops::Reinterpret<f32, u32>))                                   \
    X(f64_reinterpret_i64, 1, (ops::Reinterpret<f64, u64>))                                   \
    X(i32_extend8_s, 1, ops::Extend8S<u32>) X(i32_extend16_s, 1, ops::Extend16S<u32>)         \
    X(i64_extend8_s, 1, ops::Extend8S<u64>) X(i64_extend16_s, 1, ops::Extend16S<u64>)         \
    X(i64_extend32_s, 1, ops::Extend32S<u64>)                                                 \
    X(i32_trunc_sat_f32_s, 1, (ops::TruncSatS<u32, f32>)) X(i32_trunc_sat_f32_u, 1, (ops::TruncSatU<u32, f32>)) \
    X(i32_trunc_sat_f64_s, 1, (ops::TruncSatS<u32, f64>)) X(i32_trunc_sat_f64_u, 1, (ops::TruncSatU<u32, f64>)) \
    X(i64_trunc_sat_f32_s, 1, (ops::TruncSatS<u64, f32>)) X(i64_trunc_sat_f32_u, 1, (ops::TruncSatU<u64, f32>)) \
    X(i64_trunc_sat_f64_s, 1, (ops::TruncSatS<u64, f64>)) X(i64_trunc_sat_f64_u, 1, (ops::TruncSatU<u64, f64>))

// Loads and stores: X(op, slot type, memory type). Loads read the address from slot a and
// write c; stores read the address from a and the value from b. imm is the static offset.
#define ESTA_LOAD_OPS(X)                                                                      \
    X(i32_load, u32, u32) X(i64_load, u64, u64) X(f32_load, u32, u32) X(f64_load, u64, u64)   \
    X(i32_load8_s, u32, i8) X(i32_load8_u, u32, u8) X(i32_load16_s, u32, i16)                 \
    X(i32_load16_u, u32, u16) X(i64_load8_s, u64, i8) X(i64_load8_u, u64, u8)                 \
    X(i64_load16_s, u64, i16) X(i64_load16_u, u64, u16) X(i64_load32_s, u64, i32)             \
    X(i64_load32_u, u64, u32)
#define ESTA_STORE_OPS(X)                                                                     \
    X(i32_store, u32) X(i64_store, u64) X(f32_store, u32) X(f64_store, u64)                   \
    X(i32_store8, u8) X(i32_store16, u16) X(i64_store8, u8) X(i64_store16, u16)               \
    X(i64_store32, u32)

// Superinstructions. Binary operators whose right operand is a constant (imm): `<op>_imm`.
// X(op, functor)
#define ESTA_IMMEDIATE_OPS(X)                                                                 \
    X(i32_add, ops::Add<u32>) X(i32_sub, ops::Sub<u32>) X(i32_mul, ops::Mul<u32>)             \
    X(i32_and, ops::And<u32>) X(i32_or, ops::Or<u32>) X(i32_xor, ops::Xor<u32>)               \
    X(i32_shl, ops::Shl<u32>) X(i32_shr_s, ops::ShrS<u32>) X(i32_shr_u, ops::ShrU<u32>)       \
    X(i32_rotl, ops::Rotl<u32>) X(i32_rotr, ops::Rotr<u32>)                                   \
    X(i32_eq, ops::Eq<u32>) X(i32_ne, ops::Ne<u32>) X(i32_lt_s, ops::LtS<u32>)                \
    X(i32_lt_u, ops::LtU<u32>) X(i32_gt_s, ops::GtS<u32>) X(i32_gt_u, ops::GtU<u32>)          \
    X(i32_le_s, ops::LeS<u32>) X(i32_le_u, ops::LeU<u32>) X(i32_ge_s, ops::GeS<u32>)          \
    X(i32_ge_u, ops::GeU<u32>)                                                                \
    X(i64_add, ops::Add<u64>) X(i64_sub, ops::Sub<u64>) X(i64_mul, ops::Mul<u64>)             \
    X(i64_and, ops::And<u64>) X(i64_or, ops::Or<u64>) X(i64_xor, ops::Xor<u64>)               \
    X(i64_shl, ops::Shl<u64>) X(i64_shr_s, ops::ShrS<u64>) X(i64_shr_u, ops::ShrU<u64>)       \
    X(i64_rotl, ops::Rotl<u64>) X(i64_rotr, ops::Rotr<u64>) X(i64_eq, ops::Eq<u64>)           \
    X(i64_ne, ops::Ne<u64>) X(i64_lt_u, ops::LtU<u64>) X(i64_lt_s, ops::LtS<u64>)             \
    X(i64_gt_u, ops::GtU<u64>) X(i64_gt_s, ops::GtS<u64>)

// Each load also has a `<load>_add` form whose address is the i32 sum of slots a and b
// (i32.add feeding the load), wrapped to 32 bits before the static offset is added.

// An i32 comparison fused with the branch that consumes it (no values carried): for each,
// br_if_<op>, br_if_back_<op> and br_unless_<op> compare slots a and b, and the `_imm`
// forms compare slot a with the constant in c. Target and fuel as for br.
#define ESTA_FUSED_COMPARES(X)                                                                \
    X(i32_eq, ops::Eq<u32>) X(i32_ne, ops::Ne<u32>) X(i32_lt_s, ops::LtS<u32>)                \
    X(i32_lt_u, ops::LtU<u32>) X(i32_gt_s, ops::GtS<u32>) X(i32_gt_u, ops::GtU<u32>)          \
    X(i32_le_s, ops::LeS<u32>) X(i32_le_u, ops::LeU<u32>) X(i32_ge_s, ops::GeS<u32>)          \
    X(i32_ge_u, ops::GeU<u32>)

// Everything else, with the meaning of the operand fields.
#define ESTA_CONTROL_OPS(X)                                                                   \
    X(nop)            /* Carries fuel only. */                                                \
    X(unreachable)                                                                            \
    X(copy)           /* slot[c] = slot[a] */                                                 \
    X(copy2)          /* slot[c] = slot[a], then slot[d] = slot[b] */                         \
    X(constant)       /* slot[c] = imm */                                                     \
    X(select)         /* slot[c] = slot[d] ? slot[a] : slot[b] */                             \
    X(br)             /* to imm; copy c slots a.. -> b..; charge d; back edges: br_back */    \
    X(br_back)                                                                                \
    X(br_if)          /* as br when slot[imm >> 32] != 0 */                                   \
    X(br_if_back)                                                                             \
    X(br_unless)      /* as br when slot[imm >> 32] == 0 (if's false arm) */                  \
    X(br_unless_back)                                                                         \
    X(br_table)       /* index slot a, b entries (+ default) at side table imm */             \
    X(return_)        /* copy c results from slot a to slot 0, pop the frame */               \
    X(call)           /* function b, arguments from slot a; d = continuation's entry cost */  \
    X(call_defined)   /* as call, to a function this module defines; imm: its code */        \
    X(call_indirect)  /* type b, table c, element index slot imm, arguments from a */         \
    X(global_get)     /* slot[c] = global b */                                                \
    X(global_set)     /* global b = slot[a] */                                                \
    X(global_get_v128) /* slots c, c+1 = global b (a v128) */                                \
    X(global_set_v128) /* global b = slots a, a+1 */                                          \
    X(ref_func)       /* slot[c] = function b */                                              \
    X(memory_size)    /* slot[c] */                                                           \
    X(memory_grow)    /* slot[c] = grow(slot[a]) */                                           \
    X(memory_init)    /* data b; operands a, a+1, a+2 */                                      \
    X(data_drop)      /* data b */                                                            \
    X(memory_copy)    /* operands a, a+1, a+2 */                                              \
    X(memory_fill)    /* operands a, a+1, a+2 */                                              \
    X(table_get)      /* table b; index a -> c */                                             \
    X(table_set)      /* table b; index a, value a+1 */                                       \
    X(table_size)     /* table b -> c */                                                      \
    X(table_grow)     /* table b; init a, delta a+1 -> c */                                   \
    X(table_fill)     /* table b; operands a, a+1, a+2 */                                     \
    X(table_copy)     /* tables b (destination), c (source); operands a, a+1, a+2 */          \
    X(table_init)     /* table b, element segment c; operands a, a+1, a+2 */                  \
    X(elem_drop)      /* element segment b */
// clang-format on

// SIMD: every row of simd_opcodes.def has a handler of the same name (LOp::i32x4_add). A v128
// operand takes two slots (low half first); slot fields name the first. Operands a, b, d
// (bitselect's mask), result c. imm: bits 0..31 the memory offset (loads and stores) or the
// index in `v128_constants` (v128.const, the lanes of i8x16.shuffle); bits 32..39 the lane.
// Loads and stores: address a, vector b (lane loads and stores, v128.store).

// The internal opcode: one per handler of the interpreter.
enum class LOp : u16 {
#define ESTA_LOP_CONTROL(name) name,
#define ESTA_LOP_NUMERIC(name, arity, functor) name,
#define ESTA_LOP_LOAD(name, slot, memory) name,
#define ESTA_LOP_STORE(name, memory) name,
#define ESTA_LOP_IMMEDIATE(name, functor) name##_imm,
#define ESTA_LOP_LOAD_ADD(name, slot, memory) name##_add,
#define ESTA_LOP_FUSED(name, functor)                                      \
    br_if_##name, br_if_back_##name, br_unless_##name, br_if_##name##_imm, \
        br_if_back_##name##_imm, br_unless_##name##_imm,
    ESTA_CONTROL_OPS(ESTA_LOP_CONTROL) ESTA_NUMERIC_OPS(ESTA_LOP_NUMERIC)
        ESTA_LOAD_OPS(ESTA_LOP_LOAD) ESTA_STORE_OPS(ESTA_LOP_STORE)
            ESTA_IMMEDIATE_OPS(ESTA_LOP_IMMEDIATE) ESTA_FUSED_COMPARES(ESTA_LOP_FUSED)
                ESTA_LOAD_OPS(ESTA_LOP_LOAD_ADD)
#define ESTA_OPCODE(identifier, prefix, code, immediate, text, signature) identifier,
#include "wasm/simd_opcodes.def"
#undef ESTA_OPCODE
#undef ESTA_LOP_CONTROL
#undef ESTA_LOP_NUMERIC
#undef ESTA_LOP_LOAD
#undef ESTA_LOP_STORE
#undef ESTA_LOP_IMMEDIATE
#undef ESTA_LOP_FUSED
#undef ESTA_LOP_LOAD_ADD
                    kCount
};

// One lowered instruction: fixed size, so the interpreter can find the instruction before
// a return address and the fuel walk can step through a segment.
struct LInstruction {
    LOp op = LOp::nop;
    u16 count = 0;  // Wasm instructions this one accounts for (fuel).
    u32 rest = 0;   // Fuel of the instructions after this one in its segment.
    u32 a = 0;
    u32 b = 0;
    u32 c = 0;
    u32 d = 0;
    u64 imm = 0;
};
static_assert(sizeof(LInstruction) == 32);

// One br_table target, resolved.
struct BrTableEntry {
    u32 target = 0;       // Instruction index.
    i32 delta = 0;        // Fuel charged when taken.
    u32 destination = 0;  // First slot the label's values are copied to.
    u32 pad = 0;
};

struct LoweredFunction {
    std::vector<LInstruction> code;
    std::vector<u32> offsets;  // Byte offset in the module of each instruction's wasm opcode.
    std::vector<BrTableEntry> br_table;
    std::vector<V128> v128_constants;  // v128.const values and i8x16.shuffle lane lists.
    // Counted in slots: a v128 parameter, local or result takes two.
    u32 param_slots = 0;
    u32 local_slots = 0;  // Parameters and declared locals.
    u32 frame_slots = 0;  // Locals plus the deepest operand stack.
    u32 result_count = 0;
    u32 entry_cost = 0;  // Fuel of the first segment.
};

// Lowers defined function `index` (index among the defined functions, not the function index
// space) of a validated module. Errors: Status::Invalid if the body is inconsistent in a way
// validation should have rejected (never trusted blindly), Status::Limit if a frame would
// exceed 2^24 slots.
Result<LoweredFunction> lower_function(const Module& module, u32 index);

// Once every defined function is lowered: points each call_defined at its callee's
// LoweredFunction in `functions` (imm), so a call finds the code without going through the
// instance. The pointers stay valid while the vector's buffer lives (moving the vector
// keeps it).
void link_direct_calls(std::vector<LoweredFunction>& functions, u32 imported_functions);

}  // namespace esta::wasm
