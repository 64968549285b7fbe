#include "kernel/module_imports.h"

#include <gtest/gtest.h>

#include "wasm/binary_builder_test_util.h"
#include "wasm/parser.h"

namespace esta::kernel {
namespace {

using namespace wasm::test;

TEST(ModuleImports, K20_JudgesEveryImportAgainstTheAbi) {
    // Types: 0 = () -> i64, 1 = (i32, i32) -> i32, 2 = (i32, i32, i32, i32) -> i32.
    Bytes types = {0x03, 0x60, 0x00, 0x01, 0x7e, 0x60, 0x02, 0x7f, 0x7f, 0x01,
                   0x7f, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f};
    Bytes imports = concat({{0x06},
                            name("estalogic"),
                            name("now"),
                            {0x00, 0x00},
                            name("estalogic"),
                            name("cap_lookup"),
                            {0x00, 0x00},
                            name("estalogic"),
                            name("teleport"),
                            {0x00, 0x01},
                            name("wasi_snapshot_preview1"),
                            name("clock_time_get"),
                            {0x00, 0x02},
                            name("wasi_snapshot_preview1"),
                            name("random_get"),
                            {0x00, 0x01},
                            name("env"),
                            name("memory"),
                            {0x02, 0x00, 0x01}});
    auto module = wasm::parse_module(BinaryBuilder().section(1, types).section(2, imports).bytes());
    ASSERT_TRUE(module);
    auto findings = judge_imports(*module);
    ASSERT_EQ(findings.size(), 6u);
    EXPECT_EQ(findings[0].verdict, ImportVerdict::Abi);
    EXPECT_EQ(findings[0].type, "func () -> i64");
    EXPECT_TRUE(findings[0].note.empty());
    EXPECT_EQ(findings[1].verdict, ImportVerdict::WrongSignature);
    EXPECT_NE(findings[1].note.find("(i32, i32) -> i32"), std::string::npos);
    EXPECT_EQ(findings[2].verdict, ImportVerdict::UnknownFunction);
    EXPECT_EQ(findings[3].verdict, ImportVerdict::Nondeterministic);
    EXPECT_NE(findings[3].note.find("estalogic.now"), std::string::npos);
    EXPECT_EQ(findings[4].verdict, ImportVerdict::Nondeterministic);
    EXPECT_NE(findings[4].note.find("estalogic.random"), std::string::npos);
    EXPECT_EQ(findings[5].verdict, ImportVerdict::OutsideAbi);
    EXPECT_EQ(findings[5].type, "memory");
}

}  // namespace
}  // namespace esta::kernel
