#include "kernel/module_manifest.h"

#include <gtest/gtest.h>

#include "kernel/module_test_util.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;
using abi::ValueList;
using abi::ValueMap;
using testing::sample_manifest;
using testing::sample_manifest_value;

// The manifest value with `key` replaced by (or, for a null value, without) `value`.
std::vector<u8> manifest_with(std::string_view key, const AbiValue& value) {
    AbiValue manifest = sample_manifest_value();
    auto& map = std::get<ValueMap>(manifest.data);
    std::erase_if(map, [&](const auto& entry) { return entry.first == key; });
    if (!value.is_null()) map.emplace_back(std::string(key), value);
    return abi::encode_value(manifest);
}

bool mentions(const Diagnostics& problems, std::string_view where, std::string_view text) {
    for (const Diagnostic& problem : problems)
        if (problem.where.find(where) != std::string::npos &&
            problem.message.find(text) != std::string::npos)
            return true;
    return false;
}

TEST(ModuleManifest, K22_DecodesTheDeclaredNeeds) {
    Diagnostics problems;
    auto manifest = decode_module_manifest(sample_manifest(), problems);
    ASSERT_TRUE(manifest) << to_string(problems);
    EXPECT_EQ(manifest->abi, 1);
    EXPECT_EQ(manifest->name, "approvals");
    EXPECT_EQ(manifest->version, "1.2.0");
    EXPECT_EQ(manifest->style, ModuleStyle::Reactive);
    ASSERT_EQ(manifest->needs.size(), 2u);
    EXPECT_EQ(manifest->needs[0].name, "decisions");  // Sorted by name.
    EXPECT_EQ(manifest->needs[0].kind, ObjectType::KafkaTopic);
    EXPECT_EQ(manifest->needs[0].rights, Rights(Right::Write));
    EXPECT_EQ(manifest->needs[1].name, "kv");
    EXPECT_EQ(manifest->needs[1].kind, ObjectType::RedisKeyspace);
    EXPECT_EQ(manifest->needs[1].rights, Right::Read | Right::Write);
}

TEST(ModuleManifest, EncodeDecodesBackEqual) {
    Diagnostics problems;
    auto manifest = decode_module_manifest(sample_manifest(), problems);
    ASSERT_TRUE(manifest);
    manifest->needs[1].custom_rights = {"approve"};
    auto again = decode_module_manifest(encode_module_manifest(*manifest), problems);
    ASSERT_TRUE(again) << to_string(problems);
    EXPECT_EQ(again->needs[1].custom_rights, std::vector<std::string>{"approve"});
    EXPECT_EQ(encode_module_manifest(*again), encode_module_manifest(*manifest));
}

TEST(ModuleManifest, K22_ReportsEveryProblemNamingItsKey) {
    AbiValue manifest = ValueMap{
        {"abi", "one"},
        {"name", ""},
        {"needs", ValueMap{{"kv", ValueMap{{"kind", "keyspaec"}, {"rights", ValueList{i64{3}}}}},
                           {"db", ValueMap{{"rights", ValueList{}}, {"colour", "red"}}}}},
        {"exports", "passive"},
        {"extra", true},
    };
    Diagnostics problems;
    auto decoded = decode_module_manifest(abi::encode_value(manifest), problems);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, Status::Invalid);
    EXPECT_TRUE(mentions(problems, "abi", "must be i64"));
    EXPECT_TRUE(mentions(problems, "name", "1 to 128 bytes"));
    EXPECT_TRUE(mentions(problems, "version", "is missing"));
    EXPECT_TRUE(mentions(problems, "needs.kv.kind", "unknown kind \"keyspaec\""));
    EXPECT_TRUE(mentions(problems, "needs.kv.rights[0]", "must be text, not i64"));
    EXPECT_TRUE(mentions(problems, "needs.db", "has no kind"));
    EXPECT_TRUE(mentions(problems, "needs.db.colour", "unknown key"));
    EXPECT_TRUE(mentions(problems, "exports", "\"reactive\" or \"actor\""));
    EXPECT_TRUE(mentions(problems, "extra", "unknown key"));
    EXPECT_EQ(problems.size(), 9u) << to_string(problems);
}

TEST(ModuleManifest, V1_NewerAbiIsRefusedSayingWhichIsNeeded) {
    Diagnostics problems;
    EXPECT_FALSE(decode_module_manifest(manifest_with("abi", i64{2}), problems));
    EXPECT_TRUE(mentions(problems, "abi", "supports ABI v2")) << to_string(problems);
}

TEST(ModuleManifest, DuplicateKeysAndRightsAreRefused) {
    AbiValue manifest = sample_manifest_value();
    std::get<ValueMap>(manifest.data).emplace_back("name", "again");
    Diagnostics problems;
    EXPECT_FALSE(decode_module_manifest(abi::encode_value(manifest), problems));
    EXPECT_TRUE(mentions(problems, "name", "appears twice"));

    problems.clear();
    AbiValue needs =
        ValueMap{{"kv", ValueMap{{"kind", "keyspace"}, {"rights", ValueList{"read", "read"}}}},
                 {"kv", ValueMap{{"kind", "keyspace"}, {"rights", ValueList{}}}}};
    EXPECT_FALSE(decode_module_manifest(manifest_with("needs", needs), problems));
    EXPECT_TRUE(mentions(problems, "needs.kv.rights[1]", "twice"));
    EXPECT_TRUE(mentions(problems, "needs.kv", "appears twice"));
}

TEST(ModuleManifest, NamesWithControlCharactersAreRefused) {
    Diagnostics problems;
    EXPECT_FALSE(decode_module_manifest(manifest_with("name", "ok\x1b[2Jspoof"), problems));
    EXPECT_TRUE(mentions(problems, "name", "control characters")) << to_string(problems);
}

TEST(ModuleManifest, NeedsAreOptional) {
    Diagnostics problems;
    auto manifest = decode_module_manifest(manifest_with("needs", AbiValue{}), problems);
    ASSERT_TRUE(manifest) << to_string(problems);
    EXPECT_TRUE(manifest->needs.empty());
}

TEST(ModuleManifest, HostileBytesAreClearErrorsNeverCrashes) {
    const std::vector<u8> whole = sample_manifest();
    // Every truncation of a valid manifest.
    for (std::size_t size = 0; size < whole.size(); ++size) {
        Diagnostics problems;
        EXPECT_FALSE(decode_module_manifest(ByteSpan(whole).first(size), problems)) << size;
        ASSERT_EQ(problems.size(), 1u);
        EXPECT_NE(problems[0].message.find("well-formed"), std::string::npos);
    }
    // A map claiming four billion entries, and a text claiming four gigabytes.
    for (std::vector<u8> bytes : {std::vector<u8>{8, 0xff, 0xff, 0xff, 0xff},
                                  std::vector<u8>{5, 0xff, 0xff, 0xff, 0xff, 'a'}}) {
        Diagnostics problems;
        EXPECT_FALSE(decode_module_manifest(bytes, problems));
        EXPECT_EQ(problems.size(), 1u);
    }
    // Lists nested ten thousand deep.
    std::vector<u8> deep;
    for (int i = 0; i < 10'000; ++i)
        deep.insert(deep.end(), {7, 1, 0, 0, 0});
    deep.push_back(0);
    Diagnostics problems;
    EXPECT_FALSE(decode_module_manifest(deep, problems));
    EXPECT_NE(problems.at(0).message.find("nested too deep"), std::string::npos);
    // More than kMaxManifestBytes.
    problems.clear();
    std::vector<u8> huge(kMaxManifestBytes + 1, 0);
    EXPECT_FALSE(decode_module_manifest(huge, problems));
    EXPECT_NE(problems.at(0).message.find("at most"), std::string::npos);
}

TEST(ModuleManifest, K22_DuplicateSectionIsRefused) {
    auto module =
        testing::with_section(testing::reactive_module(), kManifestSectionName, sample_manifest());
    module = testing::with_section(module, kManifestSectionName, sample_manifest());
    auto sections = list_sections(module);
    ASSERT_TRUE(sections);
    Diagnostics problems;
    EXPECT_FALSE(read_module_manifest(module, *sections, problems));
    EXPECT_TRUE(mentions(problems, "estalogic.manifest", "2 manifest sections"));
}

TEST(ModuleManifest, MissingSectionIsNoManifest) {
    auto module = testing::reactive_module();
    auto sections = list_sections(module);
    ASSERT_TRUE(sections);
    Diagnostics problems;
    auto manifest = read_module_manifest(module, *sections, problems);
    ASSERT_TRUE(manifest);
    EXPECT_FALSE(manifest->has_value());
}

class ModuleGrants : public ::testing::Test {
  protected:
    void SetUp() override {
        Diagnostics problems;
        AbiValue needs = ValueMap{
            {"kv", ValueMap{{"kind", "keyspace"}, {"rights", ValueList{"read", "write"}}}},
            {"decisions", ValueMap{{"kind", "topic"}, {"rights", ValueList{"write"}}}},
            {"ledger", ValueMap{{"kind", "database"}, {"rights", ValueList{"read", "approve"}}}},
            {"audit", ValueMap{{"kind", "audit_log"}, {"rights", ValueList{"write"}}}}};
        manifest = *decode_module_manifest(manifest_with("needs", needs), problems);
        approve = *custom.define("approve");
    }
    ModuleManifest manifest;
    CustomRights custom;
    Rights approve;
};

TEST_F(ModuleGrants, K22_AcceptsWhenEveryNeedIsGranted) {
    std::vector<OfferedGrant> grants = {
        {"kv", ObjectType::RedisKeyspace, Right::Read | Right::Write | Right::Delete},
        {"decisions", ObjectType::KafkaTopic, Right::Write},
        {"ledger", ObjectType::Database, Right::Read | approve},
        {"audit", ObjectType::AuditLog, Right::Write},
        {"extra", ObjectType::Timer, Right::Read},
    };
    Diagnostics problems;
    EXPECT_TRUE(check_grants(manifest, grants, &custom, problems)) << to_string(problems);
    EXPECT_TRUE(problems.empty());
}

TEST_F(ModuleGrants, K22_RefusesListingEveryMissingGrantWrongKindAndRight) {
    std::vector<OfferedGrant> grants = {
        {"kv", ObjectType::RedisKeyspace, Right::Read},
        {"decisions", ObjectType::Database, Right::Write},
        {"ledger", ObjectType::Database, Right::Read},
    };
    Diagnostics problems;
    auto checked = check_grants(manifest, grants, &custom, problems);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code, Status::AccessDenied);
    ASSERT_EQ(problems.size(), 4u) << to_string(problems);
    EXPECT_TRUE(mentions(problems, "needs.audit", "not granted"));
    EXPECT_TRUE(mentions(problems, "needs.decisions",
                         "granted as kind database, but the module needs kind topic"));
    EXPECT_TRUE(mentions(problems, "needs.kv", "without the rights write"));
    EXPECT_TRUE(mentions(problems, "needs.ledger", "without the rights approve"));
}

TEST_F(ModuleGrants, K22_UndefinedCustomRightIsMissing) {
    std::vector<OfferedGrant> grants = {
        {"kv", ObjectType::RedisKeyspace, Right::Read | Right::Write},
        {"decisions", ObjectType::KafkaTopic, Right::Write},
        {"ledger", ObjectType::Database, Rights::all_standard()},
        {"audit", ObjectType::AuditLog, Right::Write},
    };
    Diagnostics problems;
    EXPECT_FALSE(check_grants(manifest, grants, nullptr, problems));
    EXPECT_TRUE(mentions(problems, "needs.ledger", "approve (not a right the application"));
}

}  // namespace
}  // namespace esta::kernel
