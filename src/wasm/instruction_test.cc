#include "wasm/instruction.h"

#include <gtest/gtest.h>

#include <vector>

namespace esta::wasm {
namespace {

// Decodes every instruction of `bytes`; fails the test on a decoding error.
std::vector<Instruction> decode_all(const std::vector<u8>& bytes, std::size_t base = 0) {
    InstructionReader reader(bytes, base);
    std::vector<Instruction> out;
    while (!reader.at_end()) {
        Instruction instruction;
        auto result = reader.read(instruction);
        EXPECT_TRUE(result) << result.error().to_string();
        if (!result) break;
        instruction.targets = {};  // Not valid past the next read.
        out.push_back(instruction);
    }
    return out;
}

Error decode_error(const std::vector<u8>& bytes) {
    InstructionReader reader(bytes, 100);
    Instruction instruction;
    while (!reader.at_end()) {
        auto result = reader.read(instruction);
        if (!result) return result.error();
    }
    ADD_FAILURE() << "expected a decoding error";
    return Error{};
}

TEST(Opcodes, ValuesFollowPrefixAndCode) {
    EXPECT_EQ(static_cast<u16>(Op::i32_add), 0x6A);
    EXPECT_EQ(static_cast<u16>(Op::memory_fill), 0xFC0B);
    EXPECT_EQ(op_name(Op::i32_trunc_sat_f64_u), "i32.trunc_sat_f64_u");
    EXPECT_EQ(op_name(static_cast<Op>(0x06)), "<unknown>");
    EXPECT_EQ(find_opcode(0, 0xFC), nullptr);  // The prefix itself is not an instruction.
    EXPECT_EQ(find_opcode(kPrefixMisc, 0x12), nullptr);
    EXPECT_EQ(find_opcode(kPrefixSimd, 0x9A), nullptr);  // A gap in the SIMD table.
}

TEST(Opcodes, SignaturesParsedFromTable) {
    const Signature& store = opcode_info(Op::i64_store).signature;
    ASSERT_TRUE(store.fixed);
    EXPECT_EQ(store.param_count, 2);
    EXPECT_EQ(store.params[0], ValType::I32);
    EXPECT_EQ(store.params[1], ValType::I64);
    EXPECT_EQ(store.result_count, 0);
    const Signature& convert = opcode_info(Op::f32_convert_i64_u).signature;
    EXPECT_EQ(convert.param_count, 1);
    EXPECT_EQ(convert.params[0], ValType::I64);
    EXPECT_EQ(convert.result, ValType::F32);
    EXPECT_FALSE(opcode_info(Op::block).signature.fixed);
}

TEST(InstructionReader, E2_DecodesImmediates) {
    const std::vector<u8> code = {
        0x41, 0x7F,                    // i32.const -1
        0x42, 0x80, 0x01,              // i64.const 128
        0x43, 0x00, 0x00, 0x80, 0x3F,  // f32.const 1.0
        0x28, 0x02, 0x10,              // i32.load align=2 offset=16
        0x02, 0x40,                    // block (empty)
        0x03, 0x7E,                    // loop (result i64)
        0x04, 0x05,                    // if (type 5)
        0x11, 0x03, 0x01,              // call_indirect type 3 table 1
        0xFC, 0x0E, 0x02, 0x04,        // table.copy 2 4
        0xFC, 0x0C, 0x07, 0x01,        // table.init elem 7 table 1
        0xD0, 0x6F,                    // ref.null extern
        0x1C, 0x01, 0x7C,              // select (result f64)
        0x3F, 0x00,                    // memory.size
    };
    const auto instructions = decode_all(code, 1000);
    ASSERT_EQ(instructions.size(), 13u);
    EXPECT_EQ(instructions[0].op, Op::i32_const);
    EXPECT_EQ(instructions[0].i32_value(), -1);
    EXPECT_EQ(instructions[0].offset, 1000u);
    EXPECT_EQ(instructions[1].i64_value(), 128);
    EXPECT_EQ(instructions[2].bits, 0x3F800000u);
    EXPECT_EQ(instructions[3].memarg.align, 2u);
    EXPECT_EQ(instructions[3].memarg.offset, 16u);
    EXPECT_EQ(instructions[4].block.kind, BlockType::Kind::Empty);
    EXPECT_EQ(instructions[5].block.kind, BlockType::Kind::Value);
    EXPECT_EQ(instructions[5].block.value, ValType::I64);
    EXPECT_EQ(instructions[6].block.kind, BlockType::Kind::Index);
    EXPECT_EQ(instructions[6].block.index, TypeIndex(5));
    EXPECT_EQ(instructions[7].index, 3u);
    EXPECT_EQ(instructions[7].other_index, 1u);
    EXPECT_EQ(instructions[8].op, Op::table_copy);
    EXPECT_EQ(instructions[8].index, 2u);
    EXPECT_EQ(instructions[8].other_index, 4u);
    EXPECT_EQ(instructions[9].index, 7u);
    EXPECT_EQ(instructions[9].other_index, 1u);
    EXPECT_EQ(instructions[10].type, ValType::ExternRef);
    EXPECT_EQ(instructions[11].op, Op::select_typed);
    EXPECT_EQ(instructions[11].select_arity, 1u);
    EXPECT_EQ(instructions[11].type, ValType::F64);
    EXPECT_EQ(instructions[11].offset, 1032u);
    EXPECT_EQ(instructions[12].op, Op::memory_size);
}

TEST(InstructionReader, E2_DecodesBrTableTargets) {
    const std::vector<u8> code = {0x0E, 0x03, 0x00, 0x01, 0x02, 0x05, 0x01};
    InstructionReader reader(code, 0);
    Instruction instruction;
    ASSERT_TRUE(reader.read(instruction));
    EXPECT_EQ(instruction.op, Op::br_table);
    ASSERT_EQ(instruction.targets.size(), 3u);
    EXPECT_EQ(instruction.targets[2], 2u);
    EXPECT_EQ(instruction.index, 5u);  // The default label.
    ASSERT_TRUE(reader.read(instruction));
    EXPECT_EQ(instruction.op, Op::nop);
    EXPECT_TRUE(reader.at_end());
}

TEST(InstructionReader, E2_PrefixedSubOpcodeIsLeb128) {
    const auto instructions = decode_all({0xFC, 0x80, 0x00});  // Padded encoding of 0.
    ASSERT_EQ(instructions.size(), 1u);
    EXPECT_EQ(instructions[0].op, Op::i32_trunc_sat_f32_s);
}

TEST(InstructionReader, E2_RejectsIllegalOpcodeWithOffset) {
    const Error error = decode_error({0x01, 0x06});
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "code: illegal opcode");
    EXPECT_EQ(error.detail.offset, 101u);
    EXPECT_EQ(decode_error({0xFC, 0x12}).code, Status::Malformed);
    EXPECT_EQ(decode_error({0xFD, 0x00}).code, Status::Malformed);
}

TEST(InstructionReader, E2_MemoryIndexMustBeZeroByte) {
    EXPECT_STREQ(decode_error({0x40, 0x01}).context, "code: zero byte expected");
    // A LEB128 zero padded to two bytes is still not the single zero byte 2.0 requires.
    EXPECT_STREQ(decode_error({0x3F, 0x80, 0x00}).context, "code: zero byte expected");
    EXPECT_STREQ(decode_error({0xFC, 0x0A, 0x00, 0x01}).context, "code: zero byte expected");
}

TEST(InstructionReader, E2_RejectsMalformedTypes) {
    EXPECT_STREQ(decode_error({0xD0, 0x7F}).context, "code: malformed reference type");
    EXPECT_STREQ(decode_error({0x1C, 0x01, 0x40}).context, "code: malformed value type");
    EXPECT_STREQ(decode_error({0x02, 0x7A}).context, "code: malformed value type");
}

TEST(InstructionReader, E2_TruncatedImmediatesFail) {
    EXPECT_EQ(decode_error({0x41}).code, Status::Malformed);
    EXPECT_EQ(decode_error({0x44, 0x00, 0x00}).code, Status::Malformed);
    // A br_table claiming more labels than bytes remain fails before reserving memory.
    EXPECT_EQ(decode_error({0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}).code, Status::Limit);
    EXPECT_EQ(decode_error({0x0E, 0x10, 0x00}).code, Status::Malformed);
}

}  // namespace
}  // namespace esta::wasm
