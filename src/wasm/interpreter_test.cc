// Interpreter tests: every trap code (E-6), exact fuel (E-4, T-3), the interrupt flag from
// another thread (E-4), suspension and resumption across threads (E-7), per-instance limits
// (E-5) and host functions (E-8). The modules were assembled with wabt's wat2wasm from the
// text shown above each array.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "wasm/wasm.h"

namespace esta::wasm {
namespace {

// (module
//   (memory 1)
//   (table 2 funcref)
//   (type $v (func))
//   (type $i (func (result i32)))
//   (func $unreach (export "unreachable") unreachable)
//   (func (export "div0") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
//   (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
//   (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
//   (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
//   (func (export "call_undefined") (call_indirect (type $v) (i32.const 5)))
//   (func (export "call_null") (call_indirect (type $v) (i32.const 1)))
//   (func (export "call_mismatch") (result i32) (call_indirect (type $i) (i32.const 0)))
//   (func $rec (export "recurse") (call $rec))
//   (func (export "table_oob") (result funcref) (table.get 0 (i32.const 7)))
//   (elem (i32.const 0) $unreach))
const std::vector<u8> kTrapsModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x16, 0x05, 0x60, 0x00, 0x00, 0x60, 0x00,
    0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7d, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x70,
    0x03, 0x0b, 0x0a, 0x00, 0x02, 0x01, 0x03, 0x02, 0x00, 0x00, 0x01, 0x00, 0x04, 0x04, 0x04, 0x01,
    0x70, 0x00, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x73, 0x0a, 0x0b, 0x75, 0x6e, 0x72, 0x65,
    0x61, 0x63, 0x68, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x00, 0x04, 0x64, 0x69, 0x76, 0x30, 0x00, 0x01,
    0x08, 0x6f, 0x76, 0x65, 0x72, 0x66, 0x6c, 0x6f, 0x77, 0x00, 0x02, 0x05, 0x74, 0x72, 0x75, 0x6e,
    0x63, 0x00, 0x03, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x04, 0x0e, 0x63, 0x61, 0x6c, 0x6c, 0x5f,
    0x75, 0x6e, 0x64, 0x65, 0x66, 0x69, 0x6e, 0x65, 0x64, 0x00, 0x05, 0x09, 0x63, 0x61, 0x6c, 0x6c,
    0x5f, 0x6e, 0x75, 0x6c, 0x6c, 0x00, 0x06, 0x0d, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x6d, 0x69, 0x73,
    0x6d, 0x61, 0x74, 0x63, 0x68, 0x00, 0x07, 0x07, 0x72, 0x65, 0x63, 0x75, 0x72, 0x73, 0x65, 0x00,
    0x08, 0x09, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x5f, 0x6f, 0x6f, 0x62, 0x00, 0x09, 0x09, 0x07, 0x01,
    0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x4b, 0x0a, 0x03, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x41,
    0x01, 0x20, 0x00, 0x6d, 0x0b, 0x0b, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x41, 0x7f, 0x6d,
    0x0b, 0x05, 0x00, 0x20, 0x00, 0xa8, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x07,
    0x00, 0x41, 0x05, 0x11, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x01, 0x11, 0x00, 0x00, 0x0b, 0x07,
    0x00, 0x41, 0x00, 0x11, 0x01, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x08, 0x0b, 0x06, 0x00, 0x41, 0x07,
    0x25, 0x00, 0x0b,
};

// (module
//   (memory 1)
//   (global $g (export "g") (mut i32) (i32.const 0))
//   (func (export "straight")
//     (global.set $g (i32.const 1)) (global.set $g (i32.const 2))
//     (global.set $g (i32.const 3)) (global.set $g (i32.const 4))
//     (global.set $g (i32.const 5)) (global.set $g (i32.const 6))
//     (global.set $g (i32.const 7)) (global.set $g (i32.const 8))
//     (global.set $g (i32.const 9)) (global.set $g (i32.const 10)))
//   (func (export "count") (param $n i32)
//     (loop $l
//       (global.set $g (i32.add (global.get $g) (i32.const 1)))
//       (br_if $l (i32.lt_u (global.get $g) (local.get $n)))))
//   (func (export "spin") (loop $l (br $l)))
//   (func $sum (export "sum") (param $n i32) (result i64) (local $acc i64)
//     (loop $l
//       (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
//       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//       (br_if $l (local.get $n)))
//     (local.get $acc))
//   (func (export "sum_calls") (param $n i32) (result i64) (local $acc i64)
//     (loop $l
//       (local.set $acc (i64.add (local.get $acc) (call $sum (i32.const 3))))
//       (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//       (br_if $l (local.get $n)))
//     (local.get $acc))
//   (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))
//   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
const std::vector<u8> kFuelModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x04, 0x60, 0x00, 0x00, 0x60, 0x01,
    0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x08, 0x07, 0x00,
    0x01, 0x00, 0x02, 0x02, 0x01, 0x03, 0x05, 0x03, 0x01, 0x00, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01,
    0x41, 0x00, 0x0b, 0x07, 0x3f, 0x08, 0x01, 0x67, 0x03, 0x00, 0x08, 0x73, 0x74, 0x72, 0x61, 0x69,
    0x67, 0x68, 0x74, 0x00, 0x00, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x01, 0x04, 0x73, 0x70,
    0x69, 0x6e, 0x00, 0x02, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x03, 0x09, 0x73, 0x75, 0x6d, 0x5f, 0x63,
    0x61, 0x6c, 0x6c, 0x73, 0x00, 0x04, 0x04, 0x66, 0x69, 0x6c, 0x6c, 0x00, 0x05, 0x04, 0x67, 0x72,
    0x6f, 0x77, 0x00, 0x06, 0x0a, 0x96, 0x01, 0x07, 0x2a, 0x00, 0x41, 0x01, 0x24, 0x00, 0x41, 0x02,
    0x24, 0x00, 0x41, 0x03, 0x24, 0x00, 0x41, 0x04, 0x24, 0x00, 0x41, 0x05, 0x24, 0x00, 0x41, 0x06,
    0x24, 0x00, 0x41, 0x07, 0x24, 0x00, 0x41, 0x08, 0x24, 0x00, 0x41, 0x09, 0x24, 0x00, 0x41, 0x0a,
    0x24, 0x00, 0x0b, 0x13, 0x00, 0x03, 0x40, 0x23, 0x00, 0x41, 0x01, 0x6a, 0x24, 0x00, 0x23, 0x00,
    0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x1c,
    0x01, 0x01, 0x7e, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00, 0xad, 0x7c, 0x21, 0x01, 0x20, 0x00, 0x41,
    0x01, 0x6b, 0x21, 0x00, 0x20, 0x00, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b, 0x1d, 0x01, 0x01, 0x7e,
    0x03, 0x40, 0x20, 0x01, 0x41, 0x03, 0x10, 0x03, 0x7c, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b,
    0x21, 0x00, 0x20, 0x00, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b, 0x0b, 0x00, 0x41, 0x00, 0x41, 0x07,
    0x20, 0x00, 0xfc, 0x0b, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
};

// (module
//   (import "env" "add" (func $add (param i32 i32) (result i32)))
//   (import "env" "wait" (func $wait (result i32)))
//   (import "env" "peek" (func $peek (param i32) (result i32)))
//   (memory (export "mem") 1)
//   (data (i32.const 16) "\2a")
//   (func (export "call_add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
//   (func (export "call_wait") (result i32) (i32.add (call $wait) (i32.const 1)))
//   (func (export "call_peek") (result i32) (call $peek (i32.const 16))))
const std::vector<u8> kHostModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x21, 0x03, 0x03, 0x65, 0x6e,
    0x76, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x77, 0x61, 0x69, 0x74,
    0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x02, 0x03, 0x04, 0x03,
    0x00, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x2a, 0x04, 0x03, 0x6d, 0x65, 0x6d, 0x02,
    0x00, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x61, 0x64, 0x64, 0x00, 0x03, 0x09, 0x63, 0x61, 0x6c,
    0x6c, 0x5f, 0x77, 0x61, 0x69, 0x74, 0x00, 0x04, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x70, 0x65,
    0x65, 0x6b, 0x00, 0x05, 0x0a, 0x19, 0x03, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b,
    0x07, 0x00, 0x10, 0x01, 0x41, 0x01, 0x6a, 0x0b, 0x06, 0x00, 0x41, 0x10, 0x10, 0x02, 0x0b, 0x0b,
    0x07, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x01, 0x2a,
};

// (module
//   (memory (export "mem") 1)
//   (table 1 funcref)
//   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
//   (func (export "table_grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get
//   0))) (func $deep (export "deep") (param i32) (result i32)
//     (if (result i32) (local.get 0)
//       (then (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))
//       (else (i32.const 0)))))
const std::vector<u8> kLimitsModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x07, 0x22, 0x04, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00,
    0x00, 0x0a, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x5f, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x01, 0x04, 0x64,
    0x65, 0x65, 0x70, 0x00, 0x02, 0x0a, 0x27, 0x03, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b, 0x09,
    0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b, 0x14, 0x00, 0x20, 0x00, 0x04, 0x7f, 0x41,
    0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x02, 0x6a, 0x05, 0x41, 0x00, 0x0b, 0x0b,
};

// A store with one instance of `bytes`.
struct Loaded {
    std::unique_ptr<Store> store = std::make_unique<Store>();
    Instance* instance = nullptr;

    FuncRef function(std::string_view name) const {
        FuncRef found = instance->function(name);
        EXPECT_NE(found, nullptr) << name;
        return found;
    }
    Outcome call(std::string_view name, std::vector<Value> args = {},
                 const ExecutionConfig& config = {}, const StackLimits& limits = {}) const {
        auto outcome = invoke(*store, function(name), args, config, limits);
        EXPECT_TRUE(outcome.has_value());
        return outcome.has_value() ? std::move(*outcome) : Outcome{};
    }
    GlobalInstance& global(std::string_view name) const {
        auto found = instance->find_export(name);
        EXPECT_TRUE(found && found->global != nullptr);
        return *found->global;
    }
};

Loaded load(const std::vector<u8>& bytes, const InstanceLimits& limits = {},
            const std::function<void(Store&, Linker&)>& imports = {}) {
    Loaded loaded;
    Diagnostic diagnostic;
    auto module = compile(bytes, {}, &diagnostic);
    EXPECT_TRUE(module.has_value()) << diagnostic.to_string();
    Linker linker;
    if (imports) imports(*loaded.store, linker);
    auto instantiated = instantiate(*loaded.store, *module, linker, limits);
    EXPECT_TRUE(instantiated.has_value());
    EXPECT_FALSE(instantiated->trap.has_value());
    loaded.instance = instantiated->instance;
    return loaded;
}

void expect_trap(const Outcome& outcome, TrapKind kind, std::string_view reason) {
    ASSERT_EQ(outcome.kind, Outcome::Kind::Trapped);
    EXPECT_EQ(trap_code(outcome.trap.kind), trap_code(kind));
    EXPECT_EQ(std::string_view(outcome.trap.reason), reason);
}

// ---------------------------------------------------------------------------------------
// Traps (E-6)

TEST(Interpreter, E6_EveryTrapCodeWithTheSpecReason) {
    const Loaded traps = load(kTrapsModule);
    expect_trap(traps.call("unreachable"), TrapKind::Unreachable, "unreachable");
    expect_trap(traps.call("div0", {Value::i32(0)}), TrapKind::IntegerDivideByZero,
                "integer divide by zero");
    expect_trap(traps.call("overflow"), TrapKind::IntegerOverflow, "integer overflow");
    expect_trap(traps.call("trunc", {Value::f32_bits(0x7FC00000)}), TrapKind::IntegerOverflow,
                "invalid conversion to integer");
    expect_trap(traps.call("load", {Value::i32(65534)}), TrapKind::OutOfBounds,
                "out of bounds memory access");
    expect_trap(traps.call("table_oob"), TrapKind::OutOfBounds, "out of bounds table access");
    expect_trap(traps.call("call_undefined"), TrapKind::OutOfBounds, "undefined element");
    expect_trap(traps.call("call_null"), TrapKind::IndirectCallMismatch, "uninitialized element");
    expect_trap(traps.call("call_mismatch"), TrapKind::IndirectCallMismatch,
                "indirect call type mismatch");
    expect_trap(traps.call("recurse"), TrapKind::CallStackExhausted, "call stack exhausted");
}

TEST(Interpreter, E6_TrapNamesFunctionAndCodeOffset) {
    const Loaded traps = load(kTrapsModule);
    const Outcome outcome = traps.call("div0", {Value::i32(0)});
    ASSERT_TRUE(outcome.trapped());
    EXPECT_EQ(outcome.trap.function, 1u);
    // The offset is the div_s opcode's position in the binary.
    ASSERT_LT(outcome.trap.code_offset, kTrapsModule.size());
    EXPECT_EQ(kTrapsModule[outcome.trap.code_offset], 0x6D);
}

TEST(Interpreter, E6_InBoundsLoadDoesNotTrap) {
    const Loaded traps = load(kTrapsModule);
    const Outcome outcome = traps.call("load", {Value::i32(65532)});
    ASSERT_TRUE(outcome.completed());
    EXPECT_EQ(outcome.results.at(0), Value::i32(0));
}

// ---------------------------------------------------------------------------------------
// Fuel (E-4, T-3)

TEST(Interpreter, E4_FuelExhaustsAtExactInstruction) {
    // "straight" is 10 x (i32.const, global.set) and end: 21 instructions. With budget B the
    // guest must have executed exactly B of them, so exactly B / 2 global.sets.
    for (u64 budget = 0; budget <= 22; ++budget) {
        const Loaded fuel = load(kFuelModule);
        const Outcome outcome = fuel.call("straight", {}, ExecutionConfig{.fuel = budget});
        if (budget < 21) {
            expect_trap(outcome, TrapKind::FuelExhausted, "fuel exhausted");
            EXPECT_EQ(outcome.fuel_used, budget);
            EXPECT_EQ(fuel.global("g").get(), Value::i32(static_cast<u32>(budget / 2))) << budget;
        } else {
            ASSERT_TRUE(outcome.completed());
            EXPECT_EQ(outcome.fuel_used, 21u);
            EXPECT_EQ(fuel.global("g").get(), Value::i32(10));
        }
    }
}

TEST(Interpreter, E4_FuelExactAcrossLoopBackEdges) {
    // "count": loop (1) + 8 per iteration + end of loop + end of function. Iteration k's
    // global.set is instruction 8k - 3, so budget B leaves g = (B + 3) / 8 (at most n).
    constexpr u32 kIterations = 5;
    for (u64 budget = 0; budget <= 8 * kIterations + 4; ++budget) {
        const Loaded fuel = load(kFuelModule);
        const Outcome outcome =
            fuel.call("count", {Value::i32(kIterations)}, ExecutionConfig{.fuel = budget});
        const u64 total = 8 * kIterations + 3;
        const u32 expected = static_cast<u32>(std::min<u64>((budget + 3) / 8, kIterations));
        EXPECT_EQ(fuel.global("g").get(), Value::i32(expected)) << budget;
        if (budget < total) {
            expect_trap(outcome, TrapKind::FuelExhausted, "fuel exhausted");
        } else {
            ASSERT_TRUE(outcome.completed());
            EXPECT_EQ(outcome.fuel_used, total);
        }
    }
}

TEST(Interpreter, E4_FuelUsedIsExactOnTrap) {
    // div0 is i32.const, local.get, i32.div_s: the trap is the third instruction.
    const Loaded traps = load(kTrapsModule);
    const Outcome outcome = traps.call("div0", {Value::i32(0)}, ExecutionConfig{.fuel = 1000});
    ASSERT_TRUE(outcome.trapped());
    EXPECT_EQ(outcome.fuel_used, 3u);
}

TEST(Interpreter, T3_BulkOperationsCostPer64BytesAndPerPage) {
    const Loaded fuel = load(kFuelModule);
    // i32.const, i32.const, local.get, memory.fill, end = 5, plus ceil(n / 64).
    EXPECT_EQ(fuel.call("fill", {Value::i32(0)}).fuel_used, 5u);
    EXPECT_EQ(fuel.call("fill", {Value::i32(64)}).fuel_used, 6u);
    EXPECT_EQ(fuel.call("fill", {Value::i32(65)}).fuel_used, 7u);
    EXPECT_EQ(fuel.call("fill", {Value::i32(640)}).fuel_used, 15u);
    // local.get, memory.grow, end = 3, plus the pages added.
    const Outcome grown = fuel.call("grow", {Value::i32(3)});
    EXPECT_EQ(grown.results.at(0), Value::i32(1));
    EXPECT_EQ(grown.fuel_used, 6u);
    // A grow that is refused adds no pages and costs nothing extra.
    const Outcome refused = fuel.call("grow", {Value::i32(100'000)});
    EXPECT_EQ(refused.results.at(0), Value::i32(0xFFFFFFFF));
    EXPECT_EQ(refused.fuel_used, 3u);
    // Not enough fuel for the bulk cost: the fill does not run at all.
    const Loaded fresh = load(kFuelModule);
    const Outcome short_fill = fresh.call("fill", {Value::i32(6400)}, ExecutionConfig{.fuel = 50});
    expect_trap(short_fill, TrapKind::FuelExhausted, "fuel exhausted");
    EXPECT_EQ(short_fill.fuel_used, 50u);
    auto memory = fresh.instance->memory();
    EXPECT_EQ(*memory->read<u8>(0), 0);
}

TEST(Interpreter, E4_CallsChargeCalleeAndContinuationExactly) {
    const Loaded fuel = load(kFuelModule);
    const Outcome full = fuel.call("sum_calls", {Value::i32(10)});
    ASSERT_TRUE(full.completed());
    EXPECT_EQ(full.results.at(0), Value::i64(60));
    for (u64 budget = 0; budget < full.fuel_used; budget += 7) {
        const Outcome partial =
            fuel.call("sum_calls", {Value::i32(10)}, ExecutionConfig{.fuel = budget});
        expect_trap(partial, TrapKind::FuelExhausted, "fuel exhausted");
        EXPECT_EQ(partial.fuel_used, budget);
    }
    EXPECT_TRUE(fuel.call("sum_calls", {Value::i32(10)}, ExecutionConfig{.fuel = full.fuel_used})
                    .completed());
}

TEST(Interpreter, E4_InterruptFromAnotherThread) {
    const Loaded fuel = load(kFuelModule);
    std::atomic<bool> interrupt{false};
    std::thread watchdog([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        interrupt.store(true);
    });
    const Outcome outcome = fuel.call("spin", {}, ExecutionConfig{.interrupt = &interrupt});
    watchdog.join();
    ASSERT_TRUE(outcome.trapped());
    EXPECT_EQ(trap_code(outcome.trap.kind), 3001);
}

// ---------------------------------------------------------------------------------------
// Suspension (E-7)

TEST(Interpreter, E7_SlicedRunResumesOnOtherThreadsWithSameResultAndFuel) {
    const Loaded fuel = load(kFuelModule);
    const Outcome whole = fuel.call("sum", {Value::i32(10'000)});
    ASSERT_TRUE(whole.completed());
    EXPECT_EQ(whole.results.at(0), Value::i64(50'005'000));

    Execution execution(*fuel.store);
    const ExecutionConfig slice{.fuel = 997, .fuel_mode = FuelMode::Slice};
    auto outcome = execution.invoke(fuel.function("sum"), std::vector{Value::i32(10'000)}, slice);
    ASSERT_TRUE(outcome.has_value());
    u64 used = outcome->fuel_used;
    int slices = 1;
    while (outcome->suspended()) {
        std::thread worker([&] { outcome = execution.resume(slice); });
        worker.join();
        ASSERT_TRUE(outcome.has_value());
        used += outcome->fuel_used;
        ++slices;
    }
    ASSERT_TRUE(outcome->completed());
    EXPECT_EQ(outcome->results.at(0), whole.results.at(0));
    EXPECT_EQ(used, whole.fuel_used);
    EXPECT_GT(slices, 50);
}

TEST(Interpreter, E7_PreemptFlagSuspendsAndResumeCompletes) {
    const Loaded fuel = load(kFuelModule);
    std::atomic<bool> preempt{true};
    Execution execution(*fuel.store);
    auto outcome = execution.invoke(fuel.function("sum"), std::vector{Value::i32(100)},
                                    ExecutionConfig{.preempt = &preempt});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->suspended());
    EXPECT_TRUE(execution.suspended());
    preempt.store(false);
    outcome = execution.resume(ExecutionConfig{.preempt = &preempt});
    ASSERT_TRUE(outcome.has_value());
    ASSERT_TRUE(outcome->completed());
    EXPECT_EQ(outcome->results.at(0), Value::i64(5050));
}

// ---------------------------------------------------------------------------------------
// Host functions (E-8, E-7)

void define_host(Store& store, Linker& linker, int& waits) {
    const FuncType binary{{ValType::I32, ValType::I32}, {ValType::I32}};
    linker.define(
        "env", "add",
        Extern::of(store.create_host_function(
            binary, [](HostContext&, std::span<const Value> args, std::span<Value> results) {
                results[0] = Value::i32(args[0].as_i32() + args[1].as_i32());
                return HostResult::ok();
            })));
    linker.define("env", "wait",
                  Extern::of(store.create_host_function(
                      FuncType{{}, {ValType::I32}},
                      [&waits](HostContext&, std::span<const Value>, std::span<Value> results) {
                          // Blocks twice, then answers.
                          if (++waits < 3) return HostResult::block();
                          results[0] = Value::i32(41);
                          return HostResult::ok();
                      })));
    linker.define(
        "env", "peek",
        Extern::of(store.create_host_function(
            FuncType{{ValType::I32}, {ValType::I32}},
            [](HostContext& context, std::span<const Value> args, std::span<Value> results) {
                if (context.memory() == nullptr)
                    return HostResult::trap(TrapKind::OutOfBounds, "no memory");
                auto byte = context.memory()->read<u8>(args[0].as_i32());
                if (!byte) return HostResult::trap(TrapKind::OutOfBounds, "peek");
                results[0] = Value::i32(*byte);
                return HostResult::ok();
            })));
}

TEST(Interpreter, E8_HostFunctionsGetArgumentsAndCallerMemory) {
    int waits = 0;
    const Loaded host = load(
        kHostModule, {}, [&](Store& store, Linker& linker) { define_host(store, linker, waits); });
    EXPECT_EQ(host.call("call_add", {Value::i32(40), Value::i32(2)}).results.at(0), Value::i32(42));
    EXPECT_EQ(host.call("call_peek").results.at(0), Value::i32(42));
}

TEST(Interpreter, E7_HostFunctionBlocksAndIsRetriedOnResume) {
    int waits = 0;
    const Loaded host = load(
        kHostModule, {}, [&](Store& store, Linker& linker) { define_host(store, linker, waits); });
    Execution execution(*host.store);
    auto outcome = execution.invoke(host.function("call_wait"), {});
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(outcome->suspended());
    std::thread([&] { outcome = execution.resume(); }).join();
    EXPECT_TRUE(outcome->suspended());
    outcome = execution.resume();
    ASSERT_TRUE(outcome->completed());
    EXPECT_EQ(outcome->results.at(0), Value::i32(42));
    EXPECT_EQ(waits, 3);
}

TEST(Interpreter, E8_LinkErrorsAreUnlinkable) {
    auto module = compile(kHostModule);
    ASSERT_TRUE(module.has_value());
    Store store;
    Linker linker;
    auto missing = instantiate(store, *module, linker);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Status::Unlinkable);
    EXPECT_STREQ(missing.error().context, "unknown import");
    linker.define("env", "add",
                  Extern::of(store.create_host_function(FuncType{{ValType::I32}, {}}, {})));
    auto mismatched = instantiate(store, *module, linker);
    ASSERT_FALSE(mismatched.has_value());
    EXPECT_STREQ(mismatched.error().context, "incompatible import type");
}

TEST(Interpreter, E8_InvokeChecksArgumentTypes) {
    const Loaded traps = load(kTrapsModule);
    auto wrong = invoke(*traps.store, traps.function("div0"), std::vector{Value::i64(1)});
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().code, Status::InvalidArgs);
}

TEST(Interpreter, E8_OneCompiledModuleInstantiatedOnManyThreads) {
    auto module = compile(kFuelModule);
    ASSERT_TRUE(module.has_value());
    const std::shared_ptr<const CompiledModule> shared = *module;
    std::vector<Outcome> outcomes(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        threads.emplace_back([&, i] {
            Store store;
            auto instantiated = instantiate(store, shared, Linker{});
            if (!instantiated) return;
            auto outcome = invoke(store, instantiated->instance->function("sum"),
                                  std::vector{Value::i32(1000 + static_cast<u32>(i))});
            if (outcome) outcomes[i] = std::move(*outcome);
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const u64 n = 1000 + i;
        ASSERT_TRUE(outcomes[i].completed());
        EXPECT_EQ(outcomes[i].results.at(0), Value::i64(n * (n + 1) / 2));
    }
    // E-3: fuel depends only on the inputs: one more iteration always costs the same.
    const u64 step = outcomes[1].fuel_used - outcomes[0].fuel_used;
    EXPECT_GT(step, 0u);
    EXPECT_EQ(outcomes[2].fuel_used - outcomes[1].fuel_used, step);
    EXPECT_EQ(outcomes[3].fuel_used - outcomes[2].fuel_used, step);
}

// ---------------------------------------------------------------------------------------
// Limits (E-5)

TEST(Interpreter, E5_MemoryGrowBeyondInstanceLimitReturnsMinusOne) {
    const Loaded limits = load(kLimitsModule, InstanceLimits{.max_memory_pages = 4});
    EXPECT_EQ(limits.call("grow", {Value::i32(3)}).results.at(0), Value::i32(1));
    EXPECT_EQ(limits.call("grow", {Value::i32(1)}).results.at(0), Value::i32(0xFFFFFFFF));
    EXPECT_EQ(limits.instance->memory()->pages(), 4u);
    EXPECT_TRUE(limits.instance->memory()->write<u32>(4 * kPageSize - 4, 7).has_value());
    EXPECT_FALSE(limits.instance->memory()->write<u32>(4 * kPageSize - 3, 7).has_value());
}

TEST(Interpreter, E5_TableGrowBeyondInstanceLimitReturnsMinusOne) {
    const Loaded limits = load(kLimitsModule, InstanceLimits{.max_table_elements = 10});
    EXPECT_EQ(limits.call("table_grow", {Value::i32(9)}).results.at(0), Value::i32(1));
    EXPECT_EQ(limits.call("table_grow", {Value::i32(1)}).results.at(0), Value::i32(0xFFFFFFFF));
}

TEST(Interpreter, E5_MemoryMinimumAboveLimitFailsToInstantiate) {
    auto module = compile(kLimitsModule);
    ASSERT_TRUE(module.has_value());
    Store store;
    auto result = instantiate(store, *module, Linker{}, InstanceLimits{.max_memory_pages = 0});
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Status::Limit);
}

TEST(Interpreter, E5_CallDepthAndValueStackLimitsTrap) {
    const Loaded limits = load(kLimitsModule);
    const StackLimits shallow{.max_call_depth = 100, .max_value_slots = 1u << 16};
    EXPECT_EQ(limits.call("deep", {Value::i32(99)}, {}, shallow).results.at(0), Value::i32(99));
    expect_trap(limits.call("deep", {Value::i32(101)}, {}, shallow), TrapKind::CallStackExhausted,
                "call stack exhausted");
    const StackLimits narrow{.max_call_depth = 100'000, .max_value_slots = 64};
    expect_trap(limits.call("deep", {Value::i32(50)}, {}, narrow), TrapKind::CallStackExhausted,
                "call stack exhausted");
}

}  // namespace
}  // namespace esta::wasm
