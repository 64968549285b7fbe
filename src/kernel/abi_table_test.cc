#include "kernel/abi_table.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "kernel/abi_render.h"
#include "wasm/parser.h"

namespace esta::kernel::abi {
namespace {

std::optional<std::string> read_text(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// The first line where two texts differ, to make a drift failure readable.
std::string first_difference(const std::string& expected, const std::string& actual) {
    std::istringstream left(expected);
    std::istringstream right(actual);
    std::string a;
    std::string b;
    for (int line = 1;; ++line) {
        bool more_a = static_cast<bool>(std::getline(left, a));
        bool more_b = static_cast<bool>(std::getline(right, b));
        if (!more_a && !more_b) return "identical";
        if (a != b || more_a != more_b) {
            return "line " + std::to_string(line) + "\n  generated: " + a + "\n  committed: " + b;
        }
    }
}

TEST(AbiTable, K20_GeneratedFilesMatchTheTable) {
    const char* source_dir = std::getenv("ESTA_SOURCE_DIR");
    if (!source_dir) GTEST_SKIP() << "ESTA_SOURCE_DIR is not set (ctest sets it)";
    std::filesystem::path root(source_dir);
    const std::pair<const char*, std::string> files[] = {{kMarkdownPath, render_markdown()},
                                                         {kCHeaderPath, render_c_header()}};
    for (const auto& [path, generated] : files) {
        auto committed = read_text(root / path);
        ASSERT_TRUE(committed.has_value()) << path << " is missing";
        EXPECT_TRUE(generated == *committed)
            << path << " drifted from the ABI table (regenerate with estalogic-abi --write): "
            << first_difference(generated, *committed);
    }
}

// ABI.md v1 as the spec states it; the table must say exactly this.
TEST(AbiTable, K20_EveryV1FunctionWithItsSignature) {
    const std::map<std::string, std::string> expected = {
        {"cap_lookup", "(i32, i32) -> i32"},
        {"cap_derive", "(i32, i64, i32, i32) -> i32"},
        {"cap_revoke", "(i32) -> i32"},
        {"cap_drop", "(i32) -> i32"},
        {"cap_info", "(i32, i32, i32) -> i32"},
        {"send", "(i32, i32, i32, i32, i32, i32, i32) -> i64"},
        {"recv", "(i64, i32, i32, i32, i32) -> i32"},
        {"reply", "(i32, i32, i32, i32, i32) -> i32"},
        {"call", "(i32, i32, i32, i32, i32, i32, i64) -> i32"},
        {"spawn", "(i32, i32, i32, i32, i32, i32) -> i32"},
        {"exit", "(i32) -> ()"},
        {"yield", "() -> i32"},
        {"now", "() -> i64"},
        {"random", "(i32, i32) -> i32"},
        {"log", "(i32, i32, i32) -> i32"},
        {"span_begin", "(i32, i32) -> i64"},
        {"span_end", "(i64, i32) -> i32"},
        {"metric", "(i32, i32, f64) -> i32"},
        {"audit", "(i32, i32, i32, i32) -> i64"},
    };
    std::map<std::string, std::string> actual;
    for (const Function& function : functions()) {
        EXPECT_TRUE(actual.emplace(std::string(function.name), signature(function)).second)
            << "duplicate " << function.name;
        EXPECT_FALSE(function.summary.empty()) << function.name;
        EXPECT_FALSE(function.example.empty()) << function.name;
    }
    EXPECT_EQ(actual, expected);
    EXPECT_EQ(kImportModule, "estalogic");
}

TEST(AbiTable, K20_StatusCodesAreTheAbiTable) {
    auto table = statuses();
    ASSERT_EQ(table.size(), 22u);
    for (std::size_t i = 0; i < table.size(); ++i) {
        EXPECT_EQ(table[i].code, static_cast<i32>(i));
        EXPECT_EQ(static_cast<i32>(table[i].status), table[i].code);
    }
    EXPECT_EQ(table[1].name, "BAD_HANDLE");
    EXPECT_EQ(table[6].name, "USES_EXHAUSTED");
    EXPECT_EQ(table[21].name, "RIGHTS_ESCALATION");
    std::vector<std::string_view> order;
    for (Status status : check_order())
        order.push_back(status_abi_name(status));
    EXPECT_EQ(order,
              (std::vector<std::string_view>{"BAD_HANDLE", "WRONG_TYPE", "REVOKED", "EXPIRED",
                                             "RESTRICTED", "ACCESS_DENIED", "USES_EXHAUSTED"}));
}

TEST(AbiTable, K20_InfoRecordIsContiguousAnd72Bytes) {
    u32 offset = 0;
    for (const InfoField& field : info_record()) {
        EXPECT_EQ(field.offset, offset) << field.name;
        EXPECT_EQ(field.offset % std::min<u32>(field.size / field.count, 8), 0u) << field.name;
        offset += field.size;
    }
    EXPECT_EQ(offset, kInfoRecordSize);
    EXPECT_EQ(info_record().front().name, "size");
}

TEST(AbiTable, K20_ValueTagsAndOpCodesAreDense) {
    u8 expected_tag = 0;
    for (const ValueTag& tag : value_tags())
        EXPECT_EQ(tag.tag, expected_tag++);
    EXPECT_EQ(expected_tag, 12);
    for (const HandleKindOps& kind : op_codes()) {
        i32 expected_op = 1;
        for (const OpCode& op : kind.ops)
            EXPECT_EQ(op.code, expected_op++) << kind.kind;
    }
}

// Compiles the generated header for wasm32 with clang-14 (no libc), links a module that
// imports every function, and reads the imports back with the engine's parser: each must be
// estalogic.<name> with exactly the table's wasm signature.
class CHeaderCompile : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::system("clang-14 --version > /dev/null 2>&1") != 0) {
            GTEST_SKIP() << "clang-14 not installed";
        }
        m_dir = std::filesystem::temp_directory_path() /
                ("esta_abi_test_" + std::to_string(::getpid()) + "_" +
                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(m_dir);
        std::ofstream(m_dir / "estalogic.h") << render_c_header();
    }
    void TearDown() override {
        if (!m_dir.empty()) std::filesystem::remove_all(m_dir);
    }
    int run(const std::string& command) {
        return std::system((command + " > " + (m_dir / "log.txt").string() + " 2>&1").c_str());
    }
    std::string log() { return read_text(m_dir / "log.txt").value_or(""); }

    std::filesystem::path m_dir;
};

std::string use_every_function() {
    // An exported function that can return each import's address keeps every import in the
    // module whatever the optimizer does.
    std::string source = "#include \"estalogic.h\"\nvoid* esta_all[] = {\n";
    for (const Function& function : functions()) {
        source += "    (void*)&esta_" + std::string(function.name) + ",\n";
    }
    source +=
        "};\n__attribute__((export_name(\"pick\"))) void* pick(int i) {\n"
        "    return esta_all[i + ESTA_SEND_PRIORITY(0)];\n}\n";
    return source;
}

TEST_F(CHeaderCompile, K20_CHeaderCompilesForWasm32WithoutLibc) {
    std::ofstream(m_dir / "use.c") << use_every_function();
    std::string flags = " --target=wasm32 -nostdlib -ffreestanding -Wall -Wextra -Werror -I" +
                        m_dir.string() + " -fsyntax-only ";
    ASSERT_EQ(run("clang-14" + flags + (m_dir / "use.c").string()), 0) << log();
    ASSERT_EQ(run("clang-14 -x c++ -std=c++17" + flags + (m_dir / "use.c").string()), 0) << log();
}

TEST_F(CHeaderCompile, K20_CHeaderImportsMatchTheTable) {
    std::ofstream(m_dir / "use.c") << use_every_function();
    std::string wasm_path = (m_dir / "use.wasm").string();
    int status =
        run("clang-14 --target=wasm32 -nostdlib -O1 -Wl,--no-entry "
            "-Wl,--allow-undefined -I" +
            m_dir.string() + " " + (m_dir / "use.c").string() + " -o " + wasm_path);
    if (status != 0 && log().find("wasm-ld") != std::string::npos) {
        GTEST_SKIP() << "no wasm linker: " << log();
    }
    ASSERT_EQ(status, 0) << log();
    auto bytes = read_text(wasm_path);
    ASSERT_TRUE(bytes.has_value());
    ByteSpan span(reinterpret_cast<const u8*>(bytes->data()), bytes->size());
    auto module = wasm::parse_module(span);
    ASSERT_TRUE(module.has_value()) << module.error().to_string();

    auto name_of = [](wasm::ValType type) -> std::string {
        switch (type) {
            case wasm::ValType::I32:
                return "i32";
            case wasm::ValType::I64:
                return "i64";
            case wasm::ValType::F64:
                return "f64";
            default:
                return "other";
        }
    };
    std::size_t seen = 0;
    for (const wasm::Import& import : module->imports) {
        if (import.kind != wasm::ExternKind::Func) continue;
        EXPECT_EQ(import.module, kImportModule);
        const Function* function = find_function(import.name);
        ASSERT_NE(function, nullptr) << "unknown import " << import.name;
        const wasm::FuncType& type = module->types[import.func_type.value()];
        std::string actual = "(";
        for (std::size_t i = 0; i < type.params.size(); ++i) {
            actual += (i ? ", " : "") + name_of(type.params[i]);
        }
        actual += ") -> " + (type.results.empty() ? std::string("()") : name_of(type.results[0]));
        EXPECT_EQ(actual, signature(*function)) << import.name;
        ++seen;
    }
    EXPECT_EQ(seen, functions().size());
}

}  // namespace
}  // namespace esta::kernel::abi
