#include "kernel/module_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernel/kernel.h"  // The door compiles with the loader in it.
#include "kernel/module_test_util.h"

namespace esta::kernel {
namespace {

using testing::Bytes;

// A module's declared style and a running process's are one type.
static_assert(std::is_same_v<decltype(ModuleManifest{}.style),
                             decltype(std::declval<const Process&>().style())>);

class RecordingAuditLog final : public KernelAuditLog {
  public:
    Result<u64> append(ProcessId process, std::string_view kind,
                       std::span<const u8> record) override {
        EXPECT_EQ(process, kKernelProcess);
        kinds.emplace_back(kind);
        auto value = abi::decode_value(record);
        EXPECT_TRUE(value);
        if (value) records.push_back(std::move(*value));
        return kinds.size();
    }
    std::vector<std::string> kinds;
    std::vector<abi::AbiValue> records;
};

class ModuleLoader : public ::testing::Test {
  protected:
    void SetUp() override {
        module = testing::with_section(testing::reactive_module(), kManifestSectionName,
                                       testing::sample_manifest());
        production.signatures.rule = SignatureRule::Required;
        production.signatures.trusted_keys.push_back(key->public_key());
    }

    Result<observe::Ed25519PrivateKey> key = observe::Ed25519PrivateKey::generate();
    Bytes module;
    ModuleLoadPolicy production;
    RecordingAuditLog audit;
    Diagnostics problems;
};

TEST_F(ModuleLoader, K23_LoadsASignedModuleInProductionMode) {
    auto signed_module = sign_module(module, *key);
    ASSERT_TRUE(signed_module);
    auto loaded = load_module(*signed_module, production, &audit, problems);
    ASSERT_TRUE(loaded) << to_string(problems);
    EXPECT_NE(loaded->compiled, nullptr);
    ASSERT_TRUE(loaded->manifest);
    EXPECT_EQ(loaded->manifest->name, "approvals");
    EXPECT_EQ(loaded->signature.status, SignatureStatus::Verified);
    EXPECT_EQ(loaded->sha256, observe::sha256(*signed_module));
    EXPECT_EQ(audit.kinds,
              (std::vector<std::string>{"kernel.module.signature", "kernel.module.loaded"}));
    const auto* sha = audit.records.back().find("sha256");
    ASSERT_NE(sha, nullptr);
    EXPECT_EQ(*sha->get<abi::ByteString>(),
              abi::ByteString(loaded->sha256.begin(), loaded->sha256.end()));
}

TEST_F(ModuleLoader, K23_RefusesAnUnsignedModuleInProductionModeSayingWhy) {
    auto loaded = load_module(module, production, &audit, problems);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Status::AccessDenied);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].message.find("not signed"), std::string::npos);
    EXPECT_EQ(audit.kinds,
              (std::vector<std::string>{"kernel.module.signature", "kernel.module.refused"}));
    EXPECT_EQ(*audit.records.back().find("stage")->get<std::string>(), "signature");
}

TEST_F(ModuleLoader, K23_RefusesATamperedModule) {
    auto signed_module = sign_module(module, *key);
    ASSERT_TRUE(signed_module);
    // The constant the function returns: i32.const 0 -> i32.const 1.
    Bytes tampered = *signed_module;
    const u8 body[] = {0x41, 0x00, 0x0b};
    auto at = std::search(tampered.begin(), tampered.end(), std::begin(body), std::end(body));
    ASSERT_NE(at, tampered.end());
    at[1] = 0x01;
    auto loaded = load_module(tampered, production, &audit, problems);
    ASSERT_FALSE(loaded);
    EXPECT_NE(problems.at(0).message.find("changed after signing"), std::string::npos);
}

TEST_F(ModuleLoader, K22_RefusesAModuleWithoutManifestUnlessOptional) {
    auto plain = testing::reactive_module();
    auto loaded = load_module(plain, ModuleLoadPolicy{}, &audit, problems);
    ASSERT_FALSE(loaded);
    EXPECT_NE(problems.at(0).message.find("estalogic embed"), std::string::npos);

    ModuleLoadPolicy tools;
    tools.manifest = ManifestRule::Optional;
    problems.clear();
    auto looked_at = load_module(plain, tools, nullptr, problems);
    ASSERT_TRUE(looked_at) << to_string(problems);
    EXPECT_FALSE(looked_at->manifest);
}

TEST_F(ModuleLoader, RefusesAnInvalidModuleWithTheEnginesDiagnostic) {
    Bytes broken = testing::reactive_module();
    broken[broken.size() - 3] = 0x42;  // i32.const -> i64.const: the result type is wrong.
    broken = testing::with_section(broken, kManifestSectionName, testing::sample_manifest());
    auto loaded = load_module(broken, ModuleLoadPolicy{}, &audit, problems);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Status::Invalid);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_FALSE(problems[0].message.empty());
    EXPECT_EQ(*audit.records.back().find("stage")->get<std::string>(), "compile");
}

TEST_F(ModuleLoader, RefusesGarbageWithoutCrashing) {
    for (Bytes bytes :
         {Bytes{}, Bytes{0, 'a', 's', 'm'}, Bytes{0, 'a', 's', 'm', 1, 0, 0, 0, 0, 0xff},
          Bytes{0, 'a', 's', 'm', 1, 0, 0, 0, 0, 0x05, 0xff, 'x'}}) {
        problems.clear();
        EXPECT_FALSE(load_module(bytes, ModuleLoadPolicy{}, nullptr, problems));
        EXPECT_EQ(problems.size(), 1u);
    }
}

TEST_F(ModuleLoader, ReactiveStyleNeedsItsEntryPoint) {
    abi::AbiValue manifest = testing::sample_manifest_value();
    auto& map = std::get<abi::ValueMap>(manifest.data);
    Bytes no_entry = testing::BinaryBuilder().bytes();  // An empty module.
    no_entry = testing::with_section(no_entry, kManifestSectionName, abi::encode_value(manifest));
    EXPECT_FALSE(load_module(no_entry, ModuleLoadPolicy{}, nullptr, problems));
    EXPECT_NE(problems.at(0).message.find("estalogic_handle"), std::string::npos);

    map.back().second = "actor";  // `exports`: the entry is named when spawning.
    Bytes actor = testing::with_section(testing::BinaryBuilder().bytes(), kManifestSectionName,
                                        abi::encode_value(manifest));
    problems.clear();
    EXPECT_TRUE(load_module(actor, ModuleLoadPolicy{}, nullptr, problems)) << to_string(problems);
}

TEST_F(ModuleLoader, K22_AdmitChecksGrantsAndRecordsTheDecision) {
    auto loaded = load_module(module, ModuleLoadPolicy{}, nullptr, problems);
    ASSERT_TRUE(loaded) << to_string(problems);
    std::vector<OfferedGrant> grants = {{"kv", ObjectType::RedisKeyspace, Right::Read}};
    auto admitted = admit_module(*loaded, grants, nullptr, &audit, problems);
    ASSERT_FALSE(admitted);
    EXPECT_EQ(problems.size(), 2u) << to_string(problems);  // kv lacks write; no decisions.
    EXPECT_EQ(audit.kinds.back(), "kernel.module.refused");

    grants = {{"kv", ObjectType::RedisKeyspace, Right::Read | Right::Write},
              {"decisions", ObjectType::KafkaTopic, Right::Write}};
    problems.clear();
    EXPECT_TRUE(admit_module(*loaded, grants, nullptr, &audit, problems)) << to_string(problems);
    EXPECT_EQ(audit.kinds.back(), "kernel.module.admitted");
}

}  // namespace
}  // namespace esta::kernel
