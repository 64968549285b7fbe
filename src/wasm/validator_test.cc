#include "wasm/validator.h"

#include <gtest/gtest.h>

#include "wasm/binary_builder_test_util.h"
#include "wasm/parser.h"

namespace esta::wasm {
namespace {

using test::BinaryBuilder;
using test::Bytes;
using test::concat;
using test::leb;
using test::name;

constexpr u8 kI32 = 0x7F;
constexpr u8 kI64 = 0x7E;
constexpr u8 kF32 = 0x7D;
constexpr u8 kFuncRef = 0x70;
constexpr u8 kExternRef = 0x6F;

Result<void> check(const Bytes& bytes, const ModuleLimits& limits = {}) {
    auto module = parse_module(bytes, limits);
    if (!module) return module.error();
    return validate_module(*module, limits);
}

// The error of a module that must parse and fail validation.
Error invalid(const Bytes& bytes, const ModuleLimits& limits = {}) {
    auto result = check(bytes, limits);
    if (result) {
        ADD_FAILURE() << "expected a validation error";
        return Error{};
    }
    return result.error();
}

void expect_valid(const Bytes& bytes) {
    auto result = check(bytes);
    EXPECT_TRUE(result) << result.error().to_string();
}

void expect_invalid(const Bytes& bytes, const char* context) {
    const Error error = invalid(bytes);
    EXPECT_EQ(error.code, Status::Invalid) << error.to_string();
    EXPECT_STREQ(error.context, context);
}

TEST(Validator, E2_AcceptsWellTypedFunction) {
    // (param i32 i32) (result i32): local.get 0, local.get 1, i32.add
    expect_valid(test::function_module({kI32, kI32}, {kI32}, {0x20, 0x00, 0x20, 0x01, 0x6A}));
}

TEST(Validator, E2_RejectsTypeMismatchWithFunctionAndOffset) {
    // (result i32): i64.const 0 -- wrong result type.
    const Bytes bytes = test::function_module({}, {kI32}, {0x42, 0x00});
    const Error error = invalid(bytes);
    EXPECT_EQ(error.code, Status::Invalid);
    EXPECT_STREQ(error.context, "code: type mismatch");
    EXPECT_EQ(error.detail.index, 0u);
    // The error points at the `end` that found the i64, right after i64.const 0.
    ASSERT_GE(bytes.size(), 3u);
    EXPECT_EQ(error.detail.offset, bytes.size() - 1);
}

TEST(Validator, E2_RejectsUnknownIndices) {
    expect_invalid(test::function_module({}, {}, {0x20, 0x00, 0x1A}), "code: unknown local");
    expect_invalid(test::function_module({}, {}, {0x10, 0x05}), "code: unknown function");
    expect_invalid(test::function_module({}, {}, {0x23, 0x00, 0x1A}), "code: unknown global");
    expect_invalid(test::function_module({}, {}, {0x0C, 0x01}), "code: unknown label");
    expect_invalid(test::function_module({}, {}, {0x02, 0x07, 0x0B}), "code: unknown type");
    expect_invalid(test::function_module({}, {}, {0x25, 0x00, 0x1A}), "code: unknown table");
}

TEST(Validator, E2_LocalTypesFollowParamsThenRuns) {
    // Params i32 i64, then locals 2 x f32 and 3 x i32: indices 2-3 are f32, 4-6 are i32.
    const Bytes locals = {0x02, kF32, 0x03, kI32};
    auto get = [&](u8 index) {
        return test::function_module({kI32, kI64}, {kF32}, {0x20, index}, locals, 2);
    };
    expect_valid(get(2));
    expect_valid(get(3));
    expect_invalid(get(4), "code: type mismatch");
    expect_invalid(get(1), "code: type mismatch");
    expect_invalid(get(7), "code: unknown local");
}

TEST(Validator, E2_UnreachableCodeHasPolymorphicStack) {
    // unreachable; i32.add; drop -- operands come from the polymorphic stack.
    expect_valid(test::function_module({}, {}, {0x00, 0x6A, 0x1A}));
    // unreachable; br_table to labels of different types but the same arity.
    expect_valid(test::function_module(
        {}, {kI32}, {0x02, kF32, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x1A, 0x41, 0x00}));
    // After unreachable, a known operand of the wrong type is still an error.
    expect_invalid(test::function_module({}, {}, {0x00, 0x42, 0x00, 0x6A, 0x1A}),
                   "code: type mismatch");
}

TEST(Validator, E2_MultiValueBlocksUseTypeIndices) {
    // Types: 0 = [] -> [i32 i64] (the function), 1 = [i32] -> [i32 i64] (the block).
    const Bytes body = {0x41, 0x01, 0x02, 0x01, 0x42, 0x02, 0x0B};
    const Bytes bytes =
        BinaryBuilder()
            .section(1, {0x02, 0x60, 0x00, 0x02, kI32, kI64, 0x60, 0x01, kI32, 0x02, kI32, kI64})
            .section(3, {0x01, 0x00})
            .section(10, concat({{0x01}, test::code_entry({}, 0, body)}))
            .bytes();
    expect_valid(bytes);
    // An if without else must not change the stack's types.
    const Bytes if_body = {0x41, 0x01, 0x41, 0x01, 0x04, 0x01, 0x42, 0x02, 0x0B};
    expect_invalid(
        BinaryBuilder()
            .section(1, {0x02, 0x60, 0x00, 0x02, kI32, kI64, 0x60, 0x01, kI32, 0x02, kI32, kI64})
            .section(3, {0x01, 0x00})
            .section(10, concat({{0x01}, test::code_entry({}, 0, if_body)}))
            .bytes(),
        "code: type mismatch (if without else must not change types)");
}

TEST(Validator, E2_SelectRules) {
    // Untyped select of two funcref values is invalid; typed select of them is fine.
    expect_invalid(
        test::function_module({}, {}, {0xD0, kFuncRef, 0xD0, kFuncRef, 0x41, 0x00, 0x1B, 0x1A}),
        "code: type mismatch (untyped select needs numeric operands)");
    expect_valid(test::function_module(
        {}, {}, {0xD0, kFuncRef, 0xD0, kFuncRef, 0x41, 0x00, 0x1C, 0x01, kFuncRef, 0x1A}));
    expect_invalid(test::function_module(
                       {}, {}, {0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1C, 0x02, kI32, kI32, 0x1A}),
                   "code: invalid result arity");
}

TEST(Validator, E2_RefFuncMustBeDeclared) {
    const Bytes body = {0xD2, 0x00, 0x1A};
    const Bytes undeclared = BinaryBuilder()
                                 .section(1, {0x01, 0x60, 0x00, 0x00})
                                 .section(3, {0x01, 0x00})
                                 .section(10, concat({{0x01}, test::code_entry({}, 0, body)}))
                                 .bytes();
    expect_invalid(undeclared, "code: undeclared function reference");
    // A declarative element segment (flags 3) declares it.
    const Bytes declared = BinaryBuilder()
                               .section(1, {0x01, 0x60, 0x00, 0x00})
                               .section(3, {0x01, 0x00})
                               .section(9, {0x01, 0x03, 0x00, 0x01, 0x00})
                               .section(10, concat({{0x01}, test::code_entry({}, 0, body)}))
                               .bytes();
    expect_valid(declared);
}

TEST(Validator, E2_MemoryRules) {
    expect_invalid(BinaryBuilder().section(5, {0x02, 0x00, 0x01, 0x00, 0x01}).bytes(),
                   "memory: multiple memories");
    expect_invalid(BinaryBuilder().section(5, concat({{0x01, 0x00}, leb(65537)})).bytes(),
                   "memory: memory size must be at most 65536 pages (4GiB)");
    expect_invalid(BinaryBuilder().section(5, {0x01, 0x01, 0x02, 0x01}).bytes(),
                   "limits: size minimum must not be greater than maximum");
    // i32.load with align 2^3 > 4 bytes.
    expect_invalid(test::function_module({}, {}, {0x41, 0x00, 0x28, 0x03, 0x00, 0x1A}),
                   "code: alignment must not be larger than natural");
    expect_valid(test::function_module({}, {}, {0x41, 0x00, 0x28, 0x02, 0x00, 0x1A}));
}

TEST(Validator, E2_DataDropNeedsDataCountSection) {
    const Error error = invalid(test::function_module({}, {}, {0xFC, 0x09, 0x00}));
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "code: data count section required");
}

TEST(Validator, E2_ExportsAndStart) {
    const Bytes duplicate =
        BinaryBuilder()
            .section(5, {0x01, 0x00, 0x01})
            .section(7, concat({{0x02}, name("m"), {0x02, 0x00}, name("m"), {0x02, 0x00}}))
            .bytes();
    expect_invalid(duplicate, "export: duplicate export name");
    const Bytes bad_start = BinaryBuilder()
                                .section(1, {0x01, 0x60, 0x01, kI32, 0x00})
                                .section(3, {0x01, 0x00})
                                .section(8, {0x00})
                                .section(10, concat({{0x01}, test::code_entry({}, 0, {})}))
                                .bytes();
    expect_invalid(bad_start, "start: start function must have type [] -> []");
}

TEST(Validator, E2_ModuleLevelErrorsCarryEntryIndexAndOffset) {
    // The second export names function 0, which does not exist.
    const Bytes bytes =
        BinaryBuilder()
            .section(5, {0x01, 0x00, 0x01})
            .section(7, concat({{0x02}, name("m"), {0x02, 0x00}, name("f"), {0x00, 0x00}}))
            .bytes();
    const Error error = invalid(bytes);
    EXPECT_STREQ(error.context, "export: unknown function");
    EXPECT_EQ(error.detail.index, 1u);
    EXPECT_EQ(error.detail.offset, 20u);  // Header 8, memory section 5, export id/size/count 3,
                                          // first entry 4.
}

TEST(Validator, E2_GlobalsAndConstantExpressions) {
    // global.set on an immutable global.
    const Bytes immutable =
        BinaryBuilder()
            .section(1, {0x01, 0x60, 0x00, 0x00})
            .section(3, {0x01, 0x00})
            .section(6, {0x01, kI32, 0x00, 0x41, 0x00, 0x0B})
            .section(10, concat({{0x01}, test::code_entry({}, 0, {0x41, 0x01, 0x24, 0x00})}))
            .bytes();
    expect_invalid(immutable, "code: global is immutable");
    expect_invalid(
        BinaryBuilder().section(6, {0x01, kI32, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B}).bytes(),
        "constant expression: constant expression required");
    expect_invalid(BinaryBuilder().section(6, {0x01, kI32, 0x00, 0x42, 0x00, 0x0B}).bytes(),
                   "constant expression: type mismatch");
    // A defined global cannot read another defined global in 2.0.
    expect_invalid(
        BinaryBuilder()
            .section(6, {0x02, kI32, 0x00, 0x41, 0x00, 0x0B, kI32, 0x00, 0x23, 0x00, 0x0B})
            .bytes(),
        "constant expression: unknown global");
}

TEST(Validator, E2_TableElementTypesMustAgree) {
    // An externref table filled by a funcref element segment.
    const Bytes bytes = BinaryBuilder()
                            .section(4, {0x01, kExternRef, 0x00, 0x01})
                            .section(9, {0x01, 0x04, 0x41, 0x00, 0x0B, 0x00})
                            .bytes();
    expect_invalid(bytes, "element: type mismatch (segment and table types differ)");
}

Bytes nested_blocks(u32 depth) {
    Bytes body;
    for (u32 i = 0; i < depth; ++i)
        body.insert(body.end(), {0x02, 0x40});
    body.insert(body.end(), depth, 0x0B);
    return test::function_module({}, {}, body);
}

TEST(Validator, E5_NestingDepthIsLimited) {
    ModuleLimits limits;
    limits.nesting_depth = 100;
    EXPECT_TRUE(check(nested_blocks(100), limits));
    const Error error = invalid(nested_blocks(101), limits);
    EXPECT_EQ(error.code, Status::Limit);
    EXPECT_STREQ(error.context, "code: blocks nested too deeply");
}

TEST(Validator, E5_OperandStackHeightIsLimited) {
    // 11 i32.const values left on the stack (then dropped by an unreachable).
    Bytes body;
    for (int i = 0; i < 11; ++i)
        body.insert(body.end(), {0x41, 0x00});
    body.push_back(0x00);
    ModuleLimits limits;
    limits.operand_stack = 11;
    EXPECT_TRUE(check(test::function_module({}, {}, body), limits));
    limits.operand_stack = 10;
    const Error error = invalid(test::function_module({}, {}, body), limits);
    EXPECT_EQ(error.code, Status::Limit);
    EXPECT_STREQ(error.context, "code: operand stack too high");
}

TEST(Validator, E2_BrTableChecksEveryDistinctLabel) {
    // block (result i32) / block (empty) / i32.const 0 / i32.const 0 /
    // br_table [1 1 0] 1: label 0 has arity 0, label 1 arity 1, so this is invalid even
    // though the first targets (repeated) agree with the default.
    const Bytes body = {0x02, kI32, 0x02, 0x40, 0x41, 0x00, 0x41, 0x00, 0x0E,
                        0x03, 0x01, 0x01, 0x00, 0x01, 0x0B, 0x0B, 0x1A};
    expect_invalid(test::function_module({}, {}, body), "code: type mismatch (br_table arity)");
    const Bytes same = {0x02, kI32, 0x02, 0x40, 0x41, 0x00, 0x41, 0x00, 0x0E, 0x03,
                        0x01, 0x01, 0x01, 0x01, 0x0B, 0x41, 0x00, 0x0B, 0x1A};
    expect_valid(test::function_module({}, {}, same));
}

TEST(Validator, E2_DeepNestingUsesNoNativeStack) {
    // 200 000 nested blocks: a recursive validator would overflow the C++ stack.
    ModuleLimits limits;
    limits.nesting_depth = 1'000'000;
    auto result = check(nested_blocks(200'000), limits);
    EXPECT_TRUE(result) << result.error().to_string();
}

TEST(Validator, E2_DecodingErrorsInBodiesNameCodeSectionAndFunction) {
    // i32.const with a 6-byte LEB128: too long for 32 bits.
    const Error error =
        invalid(test::function_module({}, {}, {0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A}));
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "code: integer representation too long");
    EXPECT_EQ(error.detail.index, 0u);
}

TEST(Validator, E2_BodyMustEndExactlyAtEnd) {
    // Bytes after the function's final `end`.
    const Bytes trailing = test::function_module({}, {}, {0x0B, 0x01});
    const Error error = invalid(trailing);
    EXPECT_EQ(error.code, Status::Malformed);
    // A body without its final `end`.
    const Bytes body = concat({{0x00}, {0x01}});  // locals: none; nop
    const Bytes truncated = BinaryBuilder()
                                .section(1, {0x01, 0x60, 0x00, 0x00})
                                .section(3, {0x01, 0x00})
                                .section(10, concat({{0x01}, leb(body.size()), body}))
                                .bytes();
    EXPECT_EQ(invalid(truncated).code, Status::Malformed);
}

// The spec decodes the whole binary before validating it, so a module that is both invalid
// and malformed is malformed, even when the invalid instruction comes first.
TEST(Validator, E2_MalformedBodyWinsOverEarlierValidationError) {
    // block; block (type 11, unknown: invalid); end; and the body ends with two blocks open.
    const Bytes body = {0x00, 0x02, 0x40, 0x02, 0x0B, 0x0B};
    const Bytes unclosed = BinaryBuilder()
                               .section(1, {0x01, 0x60, 0x00, 0x00})
                               .section(3, {0x01, 0x00})
                               .section(10, concat({{0x01}, leb(body.size()), body}))
                               .bytes();
    const Error error = invalid(unclosed);
    EXPECT_EQ(error.code, Status::Malformed) << error.to_string();
    EXPECT_STREQ(error.context,
                 "code: unexpected end of section or function (END opcode expected)");

    // Function 0 leaves a value behind (invalid); function 1 has an else without an if.
    const Bytes two = BinaryBuilder()
                          .section(1, {0x01, 0x60, 0x00, 0x00})
                          .section(3, {0x02, 0x00, 0x00})
                          .section(10, concat({{0x02},
                                               test::code_entry({}, 0, {0x41, 0x00}),
                                               test::code_entry({}, 0, {0x05})}))
                          .bytes();
    const Error second = invalid(two);
    EXPECT_EQ(second.code, Status::Malformed) << second.to_string();
    EXPECT_STREQ(second.context, "code: else without if");
    EXPECT_EQ(second.detail.index, 1u);

    // Well-formed bodies keep the validation error.
    const Bytes only_invalid =
        BinaryBuilder()
            .section(1, {0x01, 0x60, 0x00, 0x00})
            .section(3, {0x01, 0x00})
            .section(10, concat({{0x01}, test::code_entry({}, 0, {0x41, 0x00})}))
            .bytes();
    EXPECT_EQ(invalid(only_invalid).code, Status::Invalid);
}

}  // namespace
}  // namespace esta::wasm
