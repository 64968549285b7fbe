// The front end's share of SIMD: the 0xFD rows in the opcode table, decoding their immediates,
// and validating lane indices, alignments and v128 operands, locals, globals and blocks.
#include <gtest/gtest.h>

#include <vector>

#include "wasm/binary_builder_test_util.h"
#include "wasm/instruction.h"
#include "wasm/parser.h"
#include "wasm/validator.h"

namespace esta::wasm {
namespace {

using test::BinaryBuilder;
using test::Bytes;
using test::concat;

constexpr u8 kI32 = 0x7F;
constexpr u8 kV128 = 0x7B;
constexpr u8 kSimd = 0xFD;

// v128.const with bytes first, first + 1, ..., first + 15.
Bytes v128_const(u8 first) {
    Bytes out = {kSimd, 0x0C};
    for (u8 i = 0; i < 16; ++i)
        out.push_back(static_cast<u8>(first + i));
    return out;
}

Result<void> check(const Bytes& bytes) {
    auto module = parse_module(bytes);
    if (!module) return module.error();
    return validate_module(*module);
}

void expect_valid(const Bytes& bytes) {
    auto result = check(bytes);
    EXPECT_TRUE(result) << result.error().to_string();
}

void expect_error(const Bytes& bytes, Status status, const char* context) {
    auto result = check(bytes);
    ASSERT_FALSE(result) << "expected \"" << context << "\"";
    EXPECT_EQ(result.error().code, status) << result.error().to_string();
    EXPECT_STREQ(result.error().context, context);
}

// A function () -> () with one memory around `body`.
Bytes body_module(const Bytes& body) {
    return test::function_module({}, {}, body);
}

TEST(SimdOpcodes, ValuesAreSimdPrefixPlusCode) {
    EXPECT_EQ(static_cast<u16>(Op::v128_load), 0xFD00);
    EXPECT_EQ(static_cast<u16>(Op::i8x16_shuffle), 0xFD0D);
    EXPECT_EQ(static_cast<u16>(Op::f64x2_convert_low_i32x4_u), 0xFDFF);
    EXPECT_EQ(op_name(Op::i16x8_q15mulr_sat_s), "i16x8.q15mulr_sat_s");
    const OpcodeInfo* load = find_opcode(kPrefixSimd, 0x00);
    ASSERT_NE(load, nullptr);
    EXPECT_EQ(load->op, Op::v128_load);
    EXPECT_EQ(load->immediate, ImmediateKind::MemArg);
    EXPECT_EQ(load->prefix, kPrefixSimd);
    // Gaps of the 2.0 table, and codes past it (relaxed SIMD is not 2.0).
    EXPECT_EQ(find_opcode(kPrefixSimd, 0x9A), nullptr);
    EXPECT_EQ(find_opcode(kPrefixSimd, 0xA2), nullptr);
    EXPECT_EQ(find_opcode(kPrefixSimd, 0x100), nullptr);
    EXPECT_EQ(find_opcode(kPrefixSimd, 0x113), nullptr);
    // The scalar rows did not move.
    EXPECT_EQ(find_opcode(0, 0x6A)->op, Op::i32_add);
    EXPECT_EQ(find_opcode(kPrefixMisc, 0x0B)->op, Op::memory_fill);
}

TEST(SimdOpcodes, EveryRowRoundTripsThroughTheLookup) {
    u32 simd_rows = 0;
    for (const OpcodeInfo& info : kOpcodes) {
        EXPECT_EQ(static_cast<u32>(info.op), (u32{info.prefix} << 8) + info.code) << info.name;
        EXPECT_EQ(find_opcode(info.prefix, info.code), &info) << info.name;
        EXPECT_EQ(&opcode_info(info.op), &info) << info.name;
        if (info.prefix == kPrefixSimd) {
            ++simd_rows;
            EXPECT_TRUE(info.signature.fixed) << info.name;
        }
    }
    EXPECT_EQ(simd_rows, 236u);  // Every 0xFD instruction of WebAssembly 2.0.
}

TEST(SimdInstructionReader, E2_DecodesSimdImmediates) {
    const Bytes code = concat({
        v128_const(0x10),
        {kSimd, 0x0D},  // i8x16.shuffle
        {0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31},
        {kSimd, 0x15, 0x0F},              // i8x16.extract_lane_s 15
        {kSimd, 0x00, 0x04, 0x80, 0x01},  // v128.load align=4 offset=128
        {kSimd, 0x55, 0x01, 0x02, 0x07},  // v128.load16_lane align=1 offset=2 lane 7
        {kSimd, 0x8E, 0x01},              // i16x8.add: sub-opcode 0x8E takes two bytes
        {kSimd, 0x80, 0x00, 0x03, 0x00},  // v128.load align=3, sub-opcode in a redundant LEB128
    });
    InstructionReader reader(code, 50);
    std::vector<Instruction> out;
    while (!reader.at_end()) {
        Instruction instruction;
        auto result = reader.read(instruction);
        ASSERT_TRUE(result) << result.error().to_string();
        out.push_back(instruction);
    }
    ASSERT_EQ(out.size(), 7u);
    EXPECT_EQ(out[0].op, Op::v128_const);
    EXPECT_EQ(out[0].offset, 50u);
    EXPECT_EQ(out[0].bytes[0], 0x10);
    EXPECT_EQ(out[0].bytes[15], 0x1F);
    EXPECT_EQ(out[1].op, Op::i8x16_shuffle);
    EXPECT_EQ(out[1].bytes[1], 17);
    EXPECT_EQ(out[1].bytes[15], 31);
    EXPECT_EQ(out[2].op, Op::i8x16_extract_lane_s);
    EXPECT_EQ(out[2].lane, 15);
    EXPECT_EQ(out[3].op, Op::v128_load);
    EXPECT_EQ(out[3].memarg.align, 4u);
    EXPECT_EQ(out[3].memarg.offset, 128u);
    EXPECT_EQ(out[4].op, Op::v128_load16_lane);
    EXPECT_EQ(out[4].memarg.align, 1u);
    EXPECT_EQ(out[4].memarg.offset, 2u);
    EXPECT_EQ(out[4].lane, 7);
    EXPECT_EQ(out[5].op, Op::i16x8_add);
    EXPECT_EQ(out[6].op, Op::v128_load);
    EXPECT_EQ(out[6].memarg.align, 3u);
}

Error decode_error(const Bytes& code) {
    InstructionReader reader(code, 0);
    Instruction instruction;
    while (!reader.at_end()) {
        auto result = reader.read(instruction);
        if (!result) return result.error();
    }
    ADD_FAILURE() << "expected a decoding error";
    return Error{};
}

TEST(SimdInstructionReader, E2_RejectsMalformedSimdEncodings) {
    Bytes truncated_const = v128_const(0);
    truncated_const.pop_back();
    EXPECT_STREQ(decode_error(truncated_const).context, "code: unexpected end");
    EXPECT_STREQ(decode_error({kSimd, 0x0D, 0, 1, 2}).context, "code: unexpected end");
    EXPECT_STREQ(decode_error({kSimd, 0x21}).context, "code: unexpected end");  // No lane byte.
    EXPECT_STREQ(decode_error({kSimd, 0x54, 0x00, 0x00}).context, "code: unexpected end");
    const Error gap = decode_error({kSimd, 0x9A, 0x01});
    EXPECT_EQ(gap.code, Status::Malformed);
    EXPECT_STREQ(gap.context, "code: illegal opcode");
    EXPECT_STREQ(decode_error({kSimd, 0x80, 0x02}).context, "code: illegal opcode");  // 0x100
    EXPECT_EQ(decode_error({kSimd}).code, Status::Malformed);  // No sub-opcode.
}

TEST(SimdValidator, E2_LaneIndexBelowLaneCount) {
    const Bytes extract15 = concat({v128_const(0), {kSimd, 0x15, 15, 0x1A}});
    expect_valid(body_module(extract15));
    const Bytes extract16 = concat({v128_const(0), {kSimd, 0x16, 16, 0x1A}});
    expect_error(body_module(extract16), Status::Invalid, "code: invalid lane index");
    // f64x2.replace_lane: two lanes.
    const Bytes replace = concat({v128_const(0), {0x44}, Bytes(8, 0), {kSimd, 0x22}});
    expect_valid(body_module(concat({replace, {1, 0x1A}})));
    expect_error(body_module(concat({replace, {2, 0x1A}})), Status::Invalid,
                 "code: invalid lane index");
    // A lane byte of 0x80 is lane 128, not a LEB128 continuation.
    expect_error(body_module(concat({v128_const(0), {kSimd, 0x15, 0x80, 0x1A}})), Status::Invalid,
                 "code: invalid lane index");
}

TEST(SimdValidator, E2_ShuffleLanesBelow32) {
    Bytes lanes(16, 31);
    expect_valid(body_module(concat({v128_const(0), v128_const(0), {kSimd, 0x0D}, lanes, {0x1A}})));
    lanes[9] = 32;
    expect_error(body_module(concat({v128_const(0), v128_const(0), {kSimd, 0x0D}, lanes, {0x1A}})),
                 Status::Invalid, "code: invalid lane index");
}

TEST(SimdValidator, E2_AlignmentAtMostTheAccessWidth) {
    struct Case {
        u8 code;
        u32 natural;  // log2 of the bytes the instruction reads.
    };
    // v128.load 16 bytes, load8x8_s 8, load8_splat 1, load16_splat 2, load32_zero 4,
    // load64_zero 8.
    for (const Case c : {Case{0x00, 4}, Case{0x01, 3}, Case{0x07, 0}, Case{0x08, 1}, Case{0x5C, 2},
                         Case{0x5D, 3}}) {
        SCOPED_TRACE(op_name(find_opcode(kPrefixSimd, c.code)->op));
        expect_valid(body_module({0x41, 0x00, kSimd, c.code, static_cast<u8>(c.natural), 0, 0x1A}));
        expect_error(
            body_module({0x41, 0x00, kSimd, c.code, static_cast<u8>(c.natural + 1), 0, 0x1A}),
            Status::Invalid, "code: alignment must not be larger than natural");
    }
    // v128.store: 16 bytes.
    const Bytes store_prefix = concat({{0x41, 0x00}, v128_const(0), {kSimd, 0x0B}});
    expect_valid(body_module(concat({store_prefix, {4, 0}})));
    expect_error(body_module(concat({store_prefix, {5, 0}})), Status::Invalid,
                 "code: alignment must not be larger than natural");
}

TEST(SimdValidator, E2_LaneLoadsAndStoresCheckAlignmentAndLane) {
    struct Case {
        u8 code;
        u32 natural;
        u8 lanes;
    };
    // load8/16/32/64_lane and store8/16/32/64_lane.
    for (const Case c : {Case{0x54, 0, 16}, Case{0x55, 1, 8}, Case{0x56, 2, 4}, Case{0x57, 3, 2},
                         Case{0x58, 0, 16}, Case{0x59, 1, 8}, Case{0x5A, 2, 4}, Case{0x5B, 3, 2}}) {
        const OpcodeInfo& info = *find_opcode(kPrefixSimd, c.code);
        SCOPED_TRACE(info.name);
        const Bytes drop = info.signature.result_count == 1 ? Bytes{0x1A} : Bytes{};
        auto module = [&](u32 align, u8 lane) {
            return body_module(concat({{0x41, 0x00},
                                       v128_const(0),
                                       {kSimd, c.code, static_cast<u8>(align), 0x00, lane},
                                       drop}));
        };
        expect_valid(module(c.natural, static_cast<u8>(c.lanes - 1)));
        expect_error(module(c.natural + 1, 0), Status::Invalid,
                     "code: alignment must not be larger than natural");
        expect_error(module(c.natural, c.lanes), Status::Invalid, "code: invalid lane index");
    }
}

TEST(SimdValidator, E2_MemoryInstructionsNeedAMemory) {
    const Bytes no_memory =
        BinaryBuilder()
            .section(1, {0x01, 0x60, 0x00, 0x00})
            .section(3, {0x01, 0x00})
            .section(10,
                     concat({{0x01},
                             test::code_entry({}, 0, {0x41, 0x00, kSimd, 0x00, 0x04, 0x00, 0x1A})}))
            .bytes();
    expect_error(no_memory, Status::Invalid, "code: unknown memory");
}

TEST(SimdValidator, E2_OperandsAreTyped) {
    // i8x16.add of an i32 and a v128.
    expect_error(body_module(concat({{0x41, 0x00}, v128_const(0), {kSimd, 0x6E, 0x1A}})),
                 Status::Invalid, "code: type mismatch");
    // i8x16.shl takes a v128 and an i32 count.
    expect_valid(body_module(concat({v128_const(0), {0x41, 0x03, kSimd, 0x6B, 0x1A}})));
    // v128.bitselect: three v128 operands.
    expect_valid(
        body_module(concat({v128_const(0), v128_const(1), v128_const(2), {kSimd, 0x52, 0x1A}})));
    // i64x2.splat wants an i64.
    expect_error(body_module({0x41, 0x00, kSimd, 0x12, 0x1A}), Status::Invalid,
                 "code: type mismatch");
}

TEST(SimdValidator, E2_SelectTakesV128) {
    const Bytes two = concat({v128_const(0), v128_const(1), {0x41, 0x01}});
    expect_valid(body_module(concat({two, {0x1B, 0x1A}})));               // untyped
    expect_valid(body_module(concat({two, {0x1C, 0x01, kV128, 0x1A}})));  // typed
    expect_error(body_module(concat({v128_const(0), {0x41, 0x00, 0x41, 0x01, 0x1B, 0x1A}})),
                 Status::Invalid, "code: type mismatch");
}

TEST(SimdValidator, E2_V128InParamsResultsLocalsAndBlocks) {
    // (func (param v128) (result v128) (local v128)
    //   block (result v128) local.get 0 end local.set 1 local.get 1)
    expect_valid(test::function_module({kV128}, {kV128},
                                       {0x02, kV128, 0x20, 0x00, 0x0B, 0x21, 0x01, 0x20, 0x01},
                                       {0x01, kV128}, 1));
    // Returning an i32 where v128 is expected.
    expect_error(test::function_module({}, {kV128}, {0x41, 0x00}), Status::Invalid,
                 "code: type mismatch");
}

TEST(SimdValidator, E2_V128Globals) {
    // (global (mut v128) (v128.const ...)) read and written by a function.
    const Bytes init = concat({v128_const(0x40), {0x0B}});
    const Bytes module =
        BinaryBuilder()
            .section(1, {0x01, 0x60, 0x00, 0x00})
            .section(3, {0x01, 0x00})
            .section(6, concat({{0x01, kV128, 0x01}, init}))
            .section(10, concat({{0x01}, test::code_entry({}, 0, {0x23, 0x00, 0x24, 0x00})}))
            .bytes();
    expect_valid(module);
    auto parsed = parse_module(module);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    const ConstInstruction& item = parsed->globals[0].init.instructions.at(0);
    EXPECT_EQ(item.kind, ConstInstruction::Kind::V128Const);
    EXPECT_EQ(item.bits[0], 0x40);
    EXPECT_EQ(item.bits[15], 0x4F);
    // An i32 global initialized with v128.const, and a v128 global with i32.const.
    expect_error(BinaryBuilder().section(6, concat({{0x01, kI32, 0x00}, init})).bytes(),
                 Status::Invalid, "constant expression: type mismatch");
    expect_error(BinaryBuilder().section(6, {0x01, kV128, 0x00, 0x41, 0x00, 0x0B}).bytes(),
                 Status::Invalid, "constant expression: type mismatch");
    // Other SIMD instructions are not constant.
    expect_error(BinaryBuilder()
                     .section(6, concat({{0x01, kV128, 0x00}, v128_const(0), {kSimd, 0x4D, 0x0B}}))
                     .bytes(),
                 Status::Invalid, "constant expression: constant expression required");
}

}  // namespace
}  // namespace esta::wasm
