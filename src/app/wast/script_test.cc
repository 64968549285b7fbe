#include "app/wast/script.h"

#include <gtest/gtest.h>

#include <cstring>

#include "app/wast/counts.h"
#include "app/wast/values.h"

namespace esta::app::wast {
namespace {

using wasm::ValType;

constexpr std::string_view kScript = R"({"source_filename": "demo.wast",
 "commands": [
  {"type": "module", "line": 1, "name": "$M", "filename": "demo.0.wasm"},
  {"type": "register", "line": 2, "name": "$M", "as": "m"},
  {"type": "assert_return", "line": 3,
   "action": {"type": "invoke", "module": "$M", "field": "f",
              "args": [{"type": "i32", "value": "4294967295"}, {"type": "externref", "value": "7"}]},
   "expected": [{"type": "f32", "value": "nan:canonical"}, {"type": "funcref", "value": "null"}]},
  {"type": "assert_trap", "line": 4, "action": {"type": "invoke", "field": "g", "args": []},
   "text": "unreachable", "expected": [{"type": "i32"}]},
  {"type": "assert_malformed", "line": 5, "filename": "demo.1.wat", "text": "x", "module_type": "text"},
  {"type": "assert_invalid", "line": 6, "filename": "demo.2.wasm", "text": "y", "module_type": "binary"},
  {"type": "action", "line": 7, "action": {"type": "get", "field": "g"}, "expected": []}
 ]})";

TEST(WastScript, E1_ParsesEveryCommandWithValuesAndPatterns) {
    Diagnostic diagnostic;
    auto script = parse_script(kScript, diagnostic);
    ASSERT_TRUE(script) << diagnostic.to_string();
    EXPECT_EQ(script->source, "demo.wast");
    ASSERT_EQ(script->commands.size(), 7u);

    const auto& module = script->commands[0];
    EXPECT_EQ(module.type, CommandType::Module);
    EXPECT_EQ(module.name, "$M");
    EXPECT_FALSE(module.text_module);

    EXPECT_EQ(script->commands[1].as, "m");

    const auto& assertion = script->commands[2];
    ASSERT_TRUE(assertion.action);
    EXPECT_EQ(assertion.action->module, "$M");
    ASSERT_EQ(assertion.action->args.size(), 2u);
    EXPECT_EQ(assertion.action->args[0].bits, 0xFFFF'FFFFu);
    EXPECT_EQ(assertion.action->args[1].type, ValType::ExternRef);
    EXPECT_EQ(assertion.action->args[1].bits, 7u);
    ASSERT_EQ(assertion.expected.size(), 2u);
    EXPECT_EQ(assertion.expected[0].pattern, ScriptValue::Pattern::CanonicalNan);
    EXPECT_TRUE(assertion.expected[1].is_null);

    EXPECT_EQ(script->commands[3].text, "unreachable");
    EXPECT_TRUE(script->commands[4].text_module);
    EXPECT_FALSE(script->commands[5].text_module);
    EXPECT_EQ(script->commands[6].action->kind, Action::Kind::Get);
}

TEST(WastScript, E1_RejectsBadInputWithTheLine) {
    Diagnostic diagnostic;
    EXPECT_FALSE(parse_script("not json", diagnostic));
    EXPECT_FALSE(parse_script(R"({"commands": 3})", diagnostic));

    auto bad_value = parse_script(R"({"commands": [{"type": "assert_return", "line": 9,
        "action": {"type": "invoke", "field": "f", "args": [{"type": "i32", "value": "4294967296"}]},
        "expected": []}]})",
                                  diagnostic);
    ASSERT_FALSE(bad_value);
    EXPECT_EQ(diagnostic.line, 9u);

    EXPECT_FALSE(
        parse_script(R"({"commands": [{"type": "assert_return", "line": 1}]})", diagnostic));
    EXPECT_FALSE(
        parse_script(R"({"commands": [{"type": "assert_bogus", "line": 1}]})", diagnostic));
    // A NaN pattern is an expectation, never an argument.
    EXPECT_FALSE(parse_script(R"({"commands": [{"type": "action", "line": 1,
        "action": {"type": "invoke", "field": "f", "args": [{"type": "f32", "value": "nan:canonical"}]}}]})",
                              diagnostic));
}

TEST(WastScript, E1_V128ValuesKeepLanesAndPerLanePatterns) {
    Diagnostic diagnostic;
    auto script = parse_script(R"({"commands": [{"type": "assert_return", "line": 1,
        "action": {"type": "invoke", "field": "f",
                   "args": [{"type": "v128", "lane_type": "i16", "value": ["1", "2", "3", "4", "5", "6", "7", "65535"]}]},
        "expected": [{"type": "v128", "lane_type": "f32", "value": ["0", "nan:canonical", "1065353216", "nan:arithmetic"]}]}]})",
                               diagnostic);
    ASSERT_TRUE(script) << diagnostic.to_string();
    const auto& arg = script->commands[0].action->args[0];
    EXPECT_EQ(arg.type, ValType::V128);
    EXPECT_EQ(arg.v128[0], 1u);
    EXPECT_EQ(arg.v128[2], 2u);
    EXPECT_EQ(arg.v128[14], 0xFFu);
    EXPECT_EQ(arg.v128[15], 0xFFu);

    const auto& expected = script->commands[0].expected[0];
    std::array<u8, 16> actual{};
    auto put = [&](int lane, u32 bits) { std::memcpy(actual.data() + 4 * lane, &bits, 4); };
    put(1, 0xFFC0'0000u);
    put(2, 0x3F80'0000u);
    put(3, 0x7FC0'0001u);
    EXPECT_TRUE(matches_v128(expected, actual));
    put(1, 0x7FC0'0001u);  // Arithmetic but not canonical.
    EXPECT_FALSE(matches_v128(expected, actual));
    EXPECT_EQ(to_string(expected), "v128:f32x4:0x0,nan:canonical,0x3f800000,nan:arithmetic");

    EXPECT_FALSE(
        parse_script(R"({"commands": [{"type": "action", "line": 1, "action": {"type": "invoke",
        "field": "f", "args": [{"type": "v128", "lane_type": "i8", "value": ["256", "0", "0", "0", "0", "0",
        "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]}]}}]})",
                     diagnostic));
    EXPECT_FALSE(
        parse_script(R"({"commands": [{"type": "action", "line": 1, "action": {"type": "invoke",
        "field": "f", "args": [{"type": "v128", "lane_type": "i32", "value": ["1"]}]}}]})",
                     diagnostic));
}

TEST(WastValues, E1_NanPatternsFollowTheSpec) {
    EXPECT_TRUE(is_canonical_nan_f32(0x7FC0'0000u));
    EXPECT_TRUE(is_canonical_nan_f32(0xFFC0'0000u));
    EXPECT_FALSE(is_canonical_nan_f32(0x7FC0'0001u));
    EXPECT_TRUE(is_arithmetic_nan_f32(0x7FC0'0001u));
    EXPECT_FALSE(is_arithmetic_nan_f32(0x7F80'0001u));  // Signalling.
    EXPECT_FALSE(is_arithmetic_nan_f32(0x7F80'0000u));  // Infinity.
    EXPECT_TRUE(is_canonical_nan_f64(0xFFF8'0000'0000'0000ull));
    EXPECT_FALSE(is_canonical_nan_f64(0x7FF8'0000'0000'0001ull));
    EXPECT_TRUE(is_arithmetic_nan_f64(0x7FFC'0000'0000'0000ull));
    EXPECT_FALSE(is_arithmetic_nan_f64(0x7FF4'0000'0000'0000ull));
}

TEST(WastValues, E1_MatchingComparesTypeBitsAndReferences) {
    auto i32 = ScriptValue::number(ValType::I32, 5);
    EXPECT_TRUE(matches(i32, wasm::Value::i32(5)));
    EXPECT_FALSE(matches(i32, wasm::Value::i32(6)));
    EXPECT_FALSE(matches(i32, wasm::Value::i64(5)));
    // Floats compare as bits: -0.0 is not +0.0.
    auto zero = ScriptValue::number(ValType::F32, 0);
    EXPECT_FALSE(matches(zero, wasm::Value::f32_bits(0x8000'0000u)));

    EXPECT_TRUE(matches(ScriptValue::extern_ref(3), wasm::Value::externref(3)));
    EXPECT_FALSE(matches(ScriptValue::extern_ref(3), wasm::Value::externref(4)));
    EXPECT_FALSE(matches(ScriptValue::extern_ref(0), wasm::Value::null(ValType::ExternRef)));
    EXPECT_TRUE(
        matches(ScriptValue::null_ref(ValType::FuncRef), wasm::Value::null(ValType::FuncRef)));
    EXPECT_FALSE(
        matches(ScriptValue::null_ref(ValType::FuncRef), wasm::Value::null(ValType::ExternRef)));
}

TEST(WastValues, E1_TrapsMatchByReasonOrKind) {
    using wasm::TrapKind;
    EXPECT_TRUE(trap_matches("uninitialized element 2", TrapKind::IndirectCallMismatch,
                             "uninitialized element"));
    EXPECT_TRUE(
        trap_matches("integer divide by zero", TrapKind::IntegerDivideByZero, "divide by zero"));
    EXPECT_FALSE(trap_matches("integer divide by zero", TrapKind::IntegerOverflow, "overflow"));
    EXPECT_TRUE(trap_matches("undefined element", TrapKind::OutOfBounds, ""));
    EXPECT_FALSE(trap_matches("unreachable", TrapKind::FuelExhausted, "fuel exhausted"));
}

TEST(WastCounts, E1_ParsesTheTableAndReportsDifferences) {
    constexpr std::string_view kTable =
        "file\tsimd\tassert_return\tassert_trap\tassert_invalid\tassert_malformed\t"
        "assert_exhaustion\tassert_unlinkable\tassert_uninstantiable\tmodule\tregister\taction\t"
        "assertions_total\n"
        "a.wast\tn\t3\t1\t0\t2\t0\t0\t0\t4\t0\t0\t6\n"
        "a.wast\tn\t3\t1\t0\t2\t0\t0\t0\t4\t0\t0\t6\n";
    Diagnostic diagnostic;
    auto table = CountsTable::parse(kTable, diagnostic);
    ASSERT_TRUE(table) << diagnostic.to_string();
    EXPECT_EQ(table->size(), 1u);
    const ExpectedCounts* row = table->find("a.wast");
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(table->find("b.wast"), nullptr);

    CommandCounts ran{};
    ran[int(CommandType::AssertReturn)] = 3;
    ran[int(CommandType::AssertTrap)] = 1;
    ran[int(CommandType::AssertMalformed)] = 2;
    ran[int(CommandType::Module)] = 99;  // Not an assertion: not compared.
    EXPECT_TRUE(compare_counts(ran, *row).empty());

    ran[int(CommandType::AssertReturn)] = 2;
    auto differences = compare_counts(ran, *row);
    ASSERT_EQ(differences.size(), 2u);
    EXPECT_EQ(differences[0], "assert_return: ran 2, expected 3");
}

TEST(WastCounts, E1_RejectsConflictingRowsAndBadNumbers) {
    Diagnostic diagnostic;
    EXPECT_FALSE(CountsTable::parse("file\tassert_return\tassertions_total\na\t1\t1\na\t2\t2\n",
                                    diagnostic));
    EXPECT_FALSE(
        CountsTable::parse("file\tassert_return\tassertions_total\na\tx\t1\n", diagnostic));
    EXPECT_EQ(diagnostic.line, 2u);
    EXPECT_FALSE(CountsTable::parse("name\tcount\n", diagnostic));
}

}  // namespace
}  // namespace esta::app::wast
