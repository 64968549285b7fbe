// v128 values through control flow, calls, globals and host functions: every place where
// the lowering counts slots (a v128 takes two) meets scalar values of one slot. The module
// was assembled with wabt's wat2wasm from the text below.
#include <gtest/gtest.h>

#include <vector>

#include "wasm/wasm.h"

namespace esta::wasm {
namespace {

// (module
//   (import "host" "swap" (func $host (param v128 i32) (result i32 v128)))
//   (global $g (mut v128) (v128.const i32x4 1 2 3 4))
//   (func $swap (param v128 i32 v128) (result v128 i32 v128)
//     (local.get 2) (local.get 1) (local.get 0))
//   (func (export "call") (param v128 i32 v128) (result v128 i32 v128)
//     (call $swap (local.get 0) (local.get 1) (local.get 2)))
//   (func (export "block") (param v128 i64 v128) (result i64 v128 v128)
//     (local.get 0) (local.get 1) (local.get 2)
//     (block (param v128 i64 v128) (result i64 v128 v128)
//       (local.set 2) (local.set 1) (local.set 0)
//       (local.get 1) (local.get 2) (local.get 0)
//       (br 0)))
//   (func (export "table") (param i32 v128 v128) (result v128)
//     (block (result v128)
//       (block (result v128)
//         (local.get 1) (local.get 0) (br_table 0 1))
//       (local.get 2)
//       (i32x4.add)))
//   (func (export "loop") (param i32 v128) (result v128)
//     (local.get 1)
//     (loop (param v128) (result v128)
//       (i32x4.add (v128.const i32x4 1 2 3 4))
//       (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))
//       (br_if 0)))
//   (func (export "lazy") (param v128 v128) (result v128 v128)
//     (local.get 0)
//     (local.set 0 (local.get 1))
//     (local.get 0))
//   (func (export "select") (param v128 v128 i32) (result v128)
//     (select (local.get 0) (local.get 1) (local.get 2)))
//   (func (export "global") (param v128) (result v128)
//     (global.get $g) (global.set $g (local.get 0)))
//   (func (export "if") (param i32 v128 f64) (result f64 v128)
//     (local.get 2) (local.get 1)
//     (if (param f64 v128) (result f64 v128) (local.get 0)
//       (then)
//       (else (drop) (v128.const i64x2 7 8))))
//   (func (export "host") (param v128 i32) (result i32 v128)
//     (call $host (local.get 0) (local.get 1))))
const std::vector<u8> kFlowModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x49, 0x0a, 0x60, 0x02, 0x7b, 0x7f, 0x02,
    0x7f, 0x7b, 0x60, 0x03, 0x7b, 0x7f, 0x7b, 0x03, 0x7b, 0x7f, 0x7b, 0x60, 0x03, 0x7b, 0x7e, 0x7b,
    0x03, 0x7e, 0x7b, 0x7b, 0x60, 0x03, 0x7f, 0x7b, 0x7b, 0x01, 0x7b, 0x60, 0x02, 0x7f, 0x7b, 0x01,
    0x7b, 0x60, 0x01, 0x7b, 0x01, 0x7b, 0x60, 0x02, 0x7b, 0x7b, 0x02, 0x7b, 0x7b, 0x60, 0x03, 0x7b,
    0x7b, 0x7f, 0x01, 0x7b, 0x60, 0x03, 0x7f, 0x7b, 0x7c, 0x02, 0x7c, 0x7b, 0x60, 0x02, 0x7c, 0x7b,
    0x02, 0x7c, 0x7b, 0x02, 0x0d, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x04, 0x73, 0x77, 0x61, 0x70,
    0x00, 0x00, 0x03, 0x0b, 0x0a, 0x01, 0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x05, 0x08, 0x00, 0x06,
    0x16, 0x01, 0x7b, 0x01, 0xfd, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0b, 0x07, 0x44, 0x09, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00,
    0x02, 0x05, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x00, 0x03, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x00,
    0x04, 0x04, 0x6c, 0x6f, 0x6f, 0x70, 0x00, 0x05, 0x04, 0x6c, 0x61, 0x7a, 0x79, 0x00, 0x06, 0x06,
    0x73, 0x65, 0x6c, 0x65, 0x63, 0x74, 0x00, 0x07, 0x06, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x00,
    0x08, 0x02, 0x69, 0x66, 0x00, 0x09, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x0a, 0x0a, 0xb2, 0x01,
    0x0a, 0x08, 0x00, 0x20, 0x02, 0x20, 0x01, 0x20, 0x00, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x20, 0x02, 0x10, 0x01, 0x0b, 0x19, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x02, 0x02, 0x21,
    0x02, 0x21, 0x01, 0x21, 0x00, 0x20, 0x01, 0x20, 0x02, 0x20, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x15,
    0x00, 0x02, 0x7b, 0x02, 0x7b, 0x20, 0x01, 0x20, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x20, 0x02,
    0xfd, 0xae, 0x01, 0x0b, 0x0b, 0x25, 0x00, 0x20, 0x01, 0x03, 0x05, 0xfd, 0x0c, 0x01, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xfd, 0xae, 0x01,
    0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x21, 0x00, 0x20, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x1b, 0x0b,
    0x08, 0x00, 0x23, 0x00, 0x20, 0x00, 0x24, 0x00, 0x0b, 0x1f, 0x00, 0x20, 0x02, 0x20, 0x01, 0x20,
    0x00, 0x04, 0x09, 0x05, 0x1a, 0xfd, 0x0c, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10,
    0x00, 0x0b,
};

V128 lanes(u32 a, u32 b, u32 c, u32 d) {
    return V128::from_lanes<u32>({a, b, c, d});
}
Value v(u32 a, u32 b, u32 c, u32 d) {
    return Value::v128(lanes(a, b, c, d));
}

class SimdFlow : public ::testing::Test {
  protected:
    void SetUp() override {
        Diagnostic diagnostic;
        auto module = compile(kFlowModule, {}, &diagnostic);
        ASSERT_TRUE(module.has_value()) << diagnostic.to_string();
        // The host swaps its two arguments and adds 1 to each i32 lane of the vector.
        FuncType type{{ValType::V128, ValType::I32}, {ValType::I32, ValType::V128}};
        FuncRef host = m_store.create_host_function(
            type, [](HostContext&, std::span<const Value> args, std::span<Value> results) {
                V128 vector = args[0].as_v128();
                for (unsigned i = 0; i < 4; ++i)
                    vector.set_lane<u32>(i, vector.lane<u32>(i) + 1);
                results[0] = args[1];
                results[1] = Value::v128(vector);
                return HostResult::ok();
            });
        Linker linker;
        linker.define("host", "swap", Extern::of(host));
        auto instantiated = instantiate(m_store, *module, linker, {});
        ASSERT_TRUE(instantiated.has_value());
        m_instance = instantiated->instance;
    }

    std::vector<Value> call(std::string_view name, std::vector<Value> args) {
        auto outcome = invoke(m_store, m_instance->function(name), args, {});
        EXPECT_TRUE(outcome.has_value());
        if (!outcome) return {};
        EXPECT_EQ(outcome->kind, Outcome::Kind::Completed) << name;
        return outcome->results;
    }

    Store m_store;
    Instance* m_instance = nullptr;
};

TEST_F(SimdFlow, CallPassesMixedParamsAndResults) {
    EXPECT_EQ(call("call", {v(1, 2, 3, 4), Value::i32(7), v(5, 6, 7, 8)}),
              (std::vector<Value>{v(5, 6, 7, 8), Value::i32(7), v(1, 2, 3, 4)}));
}

TEST_F(SimdFlow, BlockParamsAndBranchValues) {
    EXPECT_EQ(call("block", {v(1, 2, 3, 4), Value::i64(9), v(5, 6, 7, 8)}),
              (std::vector<Value>{Value::i64(9), v(5, 6, 7, 8), v(1, 2, 3, 4)}));
}

TEST_F(SimdFlow, BrTableCarriesAVector) {
    EXPECT_EQ(call("table", {Value::i32(0), v(1, 2, 3, 4), v(10, 20, 30, 40)}),
              (std::vector<Value>{v(11, 22, 33, 44)}));
    EXPECT_EQ(call("table", {Value::i32(1), v(1, 2, 3, 4), v(10, 20, 30, 40)}),
              (std::vector<Value>{v(1, 2, 3, 4)}));
    EXPECT_EQ(call("table", {Value::i32(5), v(1, 2, 3, 4), v(10, 20, 30, 40)}),
              (std::vector<Value>{v(1, 2, 3, 4)}));
}

TEST_F(SimdFlow, LoopParamIsAVector) {
    EXPECT_EQ(call("loop", {Value::i32(3), v(0, 0, 0, 0)}), (std::vector<Value>{v(3, 6, 9, 12)}));
    EXPECT_EQ(call("loop", {Value::i32(1), v(1, 1, 1, 1)}), (std::vector<Value>{v(2, 3, 4, 5)}));
}

// The first local.get is still reading local 0 when local 0 is overwritten: it keeps the
// old value (both slots of it).
TEST_F(SimdFlow, VectorReadBeforeAWriteKeepsTheOldValue) {
    EXPECT_EQ(call("lazy", {v(1, 2, 3, 4), v(5, 6, 7, 8)}),
              (std::vector<Value>{v(1, 2, 3, 4), v(5, 6, 7, 8)}));
}

TEST_F(SimdFlow, SelectPicksBothHalves) {
    EXPECT_EQ(call("select", {v(1, 2, 3, 4), v(5, 6, 7, 8), Value::i32(1)}),
              (std::vector<Value>{v(1, 2, 3, 4)}));
    EXPECT_EQ(call("select", {v(1, 2, 3, 4), v(5, 6, 7, 8), Value::i32(0)}),
              (std::vector<Value>{v(5, 6, 7, 8)}));
}

TEST_F(SimdFlow, GlobalHoldsSixteenBytes) {
    EXPECT_EQ(call("global", {v(5, 6, 7, 8)}), (std::vector<Value>{v(1, 2, 3, 4)}));
    EXPECT_EQ(call("global", {v(9, 9, 9, 9)}), (std::vector<Value>{v(5, 6, 7, 8)}));
}

TEST_F(SimdFlow, IfArmsReplaceOrKeepAVectorBelowAScalar) {
    const Value half = Value::f64(0.5);
    EXPECT_EQ(call("if", {Value::i32(1), v(1, 2, 3, 4), half}),
              (std::vector<Value>{half, v(1, 2, 3, 4)}));
    EXPECT_EQ(call("if", {Value::i32(0), v(1, 2, 3, 4), half}),
              (std::vector<Value>{half, v(7, 0, 8, 0)}));
}

TEST_F(SimdFlow, HostFunctionTakesAndReturnsVectors) {
    EXPECT_EQ(call("host", {v(1, 2, 3, 4), Value::i32(42)}),
              (std::vector<Value>{Value::i32(42), v(2, 3, 4, 5)}));
}

}  // namespace
}  // namespace esta::wasm
