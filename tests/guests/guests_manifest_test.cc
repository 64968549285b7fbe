// A module's own declaration (K-22): modules/undeclared_needs.c writes its
// `estalogic.manifest` custom section from C with sdk/c/estalogic_manifest.h; the kernel's
// module loader reads it and refuses to admit the module until the application grants every
// need, naming each one that is missing.
//
// Only guest_modules.h here: module_manifest.h and process.h both define a ModuleStyle.
#include <gtest/gtest.h>

#include <algorithm>

#include "guest_modules.h"
#include "kernel/module_loader.h"

namespace esta::kernel::testing {
namespace {

class GuestManifest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed";
        bytes = guest_bytes("undeclared_needs");
        auto module = load_module(ByteSpan(bytes.data(), bytes.size()), {}, nullptr, problems);
        ASSERT_TRUE(module.has_value()) << to_string(problems);
        loaded = std::move(*module);
    }
    // Whether some diagnostic names `where` (a need: "needs.kv").
    bool names(const std::string& where) const {
        return std::any_of(problems.begin(), problems.end(), [&](const Diagnostic& problem) {
            return problem.where.find(where) != std::string::npos;
        });
    }

    std::vector<u8> bytes;
    Diagnostics problems;
    LoadedModule loaded;
};

TEST_F(GuestManifest, K22_TheSectionWrittenFromCDecodesAsDeclared) {
    ASSERT_TRUE(loaded.manifest.has_value());
    const ModuleManifest& manifest = *loaded.manifest;
    EXPECT_EQ(manifest.abi, 1);
    EXPECT_EQ(manifest.name, "undeclared_needs");
    EXPECT_EQ(manifest.version, "0.1.0");
    EXPECT_EQ(manifest.style, ModuleStyle::Actor);
    ASSERT_EQ(manifest.needs.size(), 2u);  // Sorted by name.
    EXPECT_EQ(manifest.needs[0].name, "decisions");
    EXPECT_EQ(manifest.needs[0].kind, ObjectType::KafkaTopic);
    EXPECT_EQ(manifest.needs[0].rights, Rights(Right::Write));
    EXPECT_EQ(manifest.needs[1].name, "kv");
    EXPECT_EQ(manifest.needs[1].kind, ObjectType::RedisKeyspace);
    EXPECT_EQ(manifest.needs[1].rights, Right::Read | Right::Write);
}

TEST_F(GuestManifest, K22_RefusedUntilEveryNeedIsGrantedListingWhatIsMissing) {
    EXPECT_EQ(admit_module(loaded, {}, nullptr, nullptr, problems).error().code,
              Status::AccessDenied);
    EXPECT_TRUE(names("needs.kv")) << to_string(problems);
    EXPECT_TRUE(names("needs.decisions")) << to_string(problems);

    // A read-only store and no topic: both still named.
    problems.clear();
    std::vector<OfferedGrant> partial = {{"kv", ObjectType::RedisKeyspace, Right::Read}};
    EXPECT_FALSE(admit_module(loaded, partial, nullptr, nullptr, problems).has_value());
    EXPECT_TRUE(names("needs.kv")) << to_string(problems);
    EXPECT_TRUE(names("needs.decisions")) << to_string(problems);

    // The wrong kind under the right name is missing too.
    problems.clear();
    std::vector<OfferedGrant> wrong_kind = {
        {"kv", ObjectType::RedisKeyspace, Right::Read | Right::Write},
        {"decisions", ObjectType::Endpoint, Right::Write}};
    EXPECT_FALSE(admit_module(loaded, wrong_kind, nullptr, nullptr, problems).has_value());
    EXPECT_FALSE(names("needs.kv")) << to_string(problems);
    EXPECT_TRUE(names("needs.decisions")) << to_string(problems);

    problems.clear();
    std::vector<OfferedGrant> enough = {
        {"kv", ObjectType::RedisKeyspace, Right::Read | Right::Write | Right::List},
        {"decisions", ObjectType::KafkaTopic, Right::Write}};
    EXPECT_TRUE(admit_module(loaded, enough, nullptr, nullptr, problems).has_value())
        << to_string(problems);
}

TEST_F(GuestManifest, K22_AModuleWithoutADeclarationIsRefusedByDefault) {
    std::vector<u8> plain = guest_bytes("ping");
    Diagnostics refused;
    EXPECT_FALSE(load_module(ByteSpan(plain.data(), plain.size()), {}, nullptr, refused));
    EXPECT_FALSE(refused.empty());
}

}  // namespace
}  // namespace esta::kernel::testing
