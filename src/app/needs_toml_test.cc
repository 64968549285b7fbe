#include "app/needs_toml.h"

#include <gtest/gtest.h>

namespace esta::app {
namespace {

TEST(NeedsToml, K22_ReadsADeclaration) {
    Diagnostics problems;
    auto manifest = parse_needs_toml(R"(
name = "approvals"
version = "1.2.0"
exports = "actor"

[needs.kv]
kind = "keyspace"
rights = ["read", "write", "approve"]
)",
                                     "needs.toml", problems);
    ASSERT_TRUE(manifest) << to_string(problems);
    EXPECT_EQ(manifest->abi, 1);  // Defaulted.
    EXPECT_EQ(manifest->name, "approvals");
    EXPECT_EQ(manifest->style, kernel::ModuleStyle::Actor);
    ASSERT_EQ(manifest->needs.size(), 1u);
    EXPECT_EQ(manifest->needs[0].kind, kernel::ObjectType::RedisKeyspace);
    EXPECT_EQ(manifest->needs[0].rights, kernel::Right::Read | kernel::Right::Write);
    EXPECT_EQ(manifest->needs[0].custom_rights, std::vector<std::string>{"approve"});
}

TEST(NeedsToml, K22_ReportsEveryProblemWithItsLineInFileOrder) {
    Diagnostics problems;
    auto manifest = parse_needs_toml(
        "name = \"x\"\n"
        "version = 1\n"
        "exports = \"reactiv\"\n"
        "[needs.kv]\n"
        "kind = \"keyspaec\"\n"
        "rights = [\"read\", 3]\n"
        "when = 1979-05-27\n",
        "needs.toml", problems);
    ASSERT_FALSE(manifest);
    ASSERT_EQ(problems.size(), 1u) << to_string(problems);  // The date stops conversion.
    EXPECT_EQ(problems[0].line, 7u);

    problems.clear();
    manifest = parse_needs_toml(
        "name = \"x\"\n"
        "version = 1\n"
        "exports = \"reactiv\"\n"
        "[needs.kv]\n"
        "kind = \"keyspaec\"\n"
        "rights = [\"read\", 3]\n",
        "needs.toml", problems);
    ASSERT_FALSE(manifest);
    ASSERT_EQ(problems.size(), 4u) << to_string(problems);
    EXPECT_EQ(problems[0].to_string(), "needs.toml:2: version: must be text, not i64");
    EXPECT_EQ(problems[1].line, 3u);
    EXPECT_EQ(problems[2].line, 5u);
    EXPECT_EQ(problems[3].line, 6u);
    EXPECT_NE(problems[3].message.find("needs.kv.rights[1]"), std::string::npos);
}

TEST(NeedsToml, SyntaxErrorsAreDiagnosticsNotExceptions) {
    Diagnostics problems;
    EXPECT_FALSE(parse_needs_toml("name = \"unterminated\n", "needs.toml", problems));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].line, 1u);
    EXPECT_EQ(problems[0].where, "needs.toml");
}

}  // namespace
}  // namespace esta::app
