#include "app/wast/runner.h"

#include <gtest/gtest.h>

#include <fstream>

#include "app/wast/converter.h"
#include "wasm/binary_builder_test_util.h"

namespace esta::app::wast {
namespace {

using wasm::ValType;
using namespace wasm::test;

// (module (func (export "add") (param i32 i32) (result i32) ...i32.add)
//         (func (export "div") (param i32 i32) (result i32) ...i32.div_s)
//         (global (export "g") i32 (i32.const 5)))
Bytes arithmetic_module() {
    return BinaryBuilder()
        .section(1, {0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F})
        .section(3, {0x02, 0x00, 0x00})
        .section(6, {0x01, 0x7F, 0x00, 0x41, 0x05, 0x0B})
        .section(7, concat({{0x03},
                            name("add"),
                            {0x00, 0x00},
                            name("div"),
                            {0x00, 0x01},
                            name("g"),
                            {0x03, 0x00}}))
        .section(10, concat({{0x02},
                             code_entry({}, 0, {0x20, 0x00, 0x20, 0x01, 0x6A}),
                             code_entry({}, 0, {0x20, 0x00, 0x20, 0x01, 0x6D})}))
        .bytes();
}

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
    std::ofstream stream(path, std::ios::binary);
    stream.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

Command invoke(CommandType type, u32 line, std::string field, std::vector<ScriptValue> args,
               std::vector<ScriptValue> expected = {}, std::string text = {}) {
    Command command;
    command.type = type;
    command.line = line;
    command.action = Action{Action::Kind::Invoke, "", std::move(field), std::move(args)};
    command.expected = std::move(expected);
    command.text = std::move(text);
    return command;
}

Command module_file(CommandType type, u32 line, std::string filename, bool text = false) {
    Command command;
    command.type = type;
    command.line = line;
    command.filename = std::move(filename);
    command.text_module = text;
    return command;
}

TEST(WastRunner, E1_CountsPassesFailuresAndSkipsWithTheirLines) {
    auto directory = TempDir::create("estalogic-runner-test");
    ASSERT_TRUE(directory);
    write_file(directory->path() / "m.wasm", arithmetic_module());
    write_file(directory->path() / "garbage.wasm", {0x00, 0x61, 0x73, 0x6D, 0x02});

    auto i32 = [](u32 value) { return ScriptValue::number(ValType::I32, value); };
    Script script;
    Command module = module_file(CommandType::Module, 1, "m.wasm");
    module.name = "$M";
    script.commands.push_back(module);
    script.commands.push_back(
        invoke(CommandType::AssertReturn, 2, "add", {i32(1), i32(2)}, {i32(3)}));
    script.commands.push_back(
        invoke(CommandType::AssertReturn, 3, "add", {i32(1), i32(2)}, {i32(4)}));
    script.commands.push_back(
        invoke(CommandType::AssertTrap, 4, "div", {i32(1), i32(0)}, {}, "integer divide by zero"));
    script.commands.push_back(
        invoke(CommandType::AssertTrap, 5, "add", {i32(1), i32(0)}, {}, "unreachable"));
    Command get = invoke(CommandType::AssertReturn, 6, "g", {}, {i32(5)});
    get.action->kind = Action::Kind::Get;
    get.action->module = "$M";
    script.commands.push_back(get);
    script.commands.push_back(module_file(CommandType::AssertMalformed, 7, "garbage.wasm"));
    script.commands.push_back(module_file(CommandType::AssertMalformed, 8, "quote.wat", true));
    script.commands.push_back(module_file(CommandType::AssertInvalid, 9, "m.wasm"));
    script.commands.push_back(invoke(CommandType::Action, 10, "missing", {}));

    FileReport report = run_script(script, directory->path(), "demo.wast", RunOptions{});
    EXPECT_EQ(report.file, "demo.wast");
    EXPECT_EQ(report.passed, 4u);
    EXPECT_EQ(report.failed, 4u);
    EXPECT_EQ(report.skipped, 1u);
    EXPECT_EQ(report.ran[int(CommandType::AssertReturn)], 3u);
    EXPECT_EQ(report.ran[int(CommandType::AssertMalformed)], 2u);
    ASSERT_EQ(report.failures.size(), 4u);
    EXPECT_EQ(report.failures[0].line, 3u);
    EXPECT_NE(report.failures[0].message.find("expected (i32:4"), std::string::npos);
    EXPECT_EQ(report.failures[1].line, 5u);
    EXPECT_EQ(report.failures[2].line, 9u);
    EXPECT_EQ(report.failures[3].line, 10u);
    EXPECT_NE(report.failures[3].message.find("no export"), std::string::npos);
}

TEST(WastRunner, E1_ActionsAfterAFailedModuleNeverReachAnOlderOne) {
    auto directory = TempDir::create("estalogic-runner-test");
    ASSERT_TRUE(directory);
    write_file(directory->path() / "m.wasm", arithmetic_module());
    write_file(directory->path() / "garbage.wasm", {0x00});

    auto i32 = [](u32 value) { return ScriptValue::number(ValType::I32, value); };
    Script script;
    script.commands.push_back(module_file(CommandType::Module, 1, "m.wasm"));
    script.commands.push_back(module_file(CommandType::Module, 2, "garbage.wasm"));
    script.commands.push_back(
        invoke(CommandType::AssertReturn, 3, "add", {i32(1), i32(2)}, {i32(3)}));

    FileReport report = run_script(script, directory->path(), "stale.wast", RunOptions{});
    EXPECT_EQ(report.passed, 0u);
    ASSERT_EQ(report.failed, 2u);
    EXPECT_EQ(report.failures[1].line, 3u);
    EXPECT_NE(report.failures[1].message.find("no module"), std::string::npos);
}

}  // namespace
}  // namespace esta::app::wast
