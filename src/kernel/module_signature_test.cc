#include "kernel/module_signature.h"

#include <gtest/gtest.h>

#include "kernel/module_test_util.h"

namespace esta::kernel {
namespace {

using testing::Bytes;

class ModuleSignature : public ::testing::Test {
  protected:
    void SetUp() override {
        module = testing::with_section(testing::reactive_module(), kManifestSectionName,
                                       testing::sample_manifest());
        auto signed_module = sign_module(module, *key);
        ASSERT_TRUE(signed_module);
        signed_bytes = std::move(*signed_module);
        required.rule = SignatureRule::Required;
        required.trusted_keys.push_back(key->public_key());
    }

    SignatureCheck check(const Bytes& bytes, const SignaturePolicy& policy) {
        auto sections = list_sections(bytes);
        EXPECT_TRUE(sections);
        if (!sections) return {};
        return check_signature(bytes, *sections, policy);
    }

    Result<observe::Ed25519PrivateKey> key = observe::Ed25519PrivateKey::generate();
    Result<observe::Ed25519PrivateKey> other_key = observe::Ed25519PrivateKey::generate();
    Bytes module;
    Bytes signed_bytes;
    SignaturePolicy required;
};

TEST_F(ModuleSignature, K23_TrustedSignatureVerifies) {
    SignatureCheck result = check(signed_bytes, required);
    EXPECT_EQ(result.status, SignatureStatus::Verified) << result.reason;
    EXPECT_TRUE(result.accepted);
    EXPECT_EQ(result.key_id, key_id_of(key->public_key()));
    // The signed digest is the module's without the section: the unsigned module's.
    EXPECT_EQ(result.signed_digest, observe::sha256(module));
}

TEST_F(ModuleSignature, K23_UnsignedIsRefusedOnlyWhenRequired) {
    SignatureCheck result = check(module, required);
    EXPECT_EQ(result.status, SignatureStatus::Unsigned);
    EXPECT_FALSE(result.accepted);
    EXPECT_NE(result.reason.find("signatures are required"), std::string::npos);
    EXPECT_TRUE(check(module, SignaturePolicy{}).accepted);
}

TEST_F(ModuleSignature, K23_EveryFlippedByteIsRefused) {
    // Any byte before the signature section: code, manifest, section headers.
    auto sections = list_sections(signed_bytes);
    ASSERT_TRUE(sections);
    const u32 signature_start = sections->back().start;
    for (u32 offset = 8; offset < signature_start; ++offset) {
        Bytes tampered = signed_bytes;
        tampered[offset] ^= 0x01;
        auto tampered_sections = list_sections(tampered);
        if (!tampered_sections) continue;  // No longer a module at all: refused earlier.
        SignatureCheck result = check_signature(tampered, *tampered_sections, required);
        EXPECT_FALSE(result.accepted) << "offset " << offset;
    }
    // The last byte belongs to the signature itself.
    Bytes tampered = signed_bytes;
    tampered.back() ^= 0x01;
    SignatureCheck result = check(tampered, required);
    EXPECT_EQ(result.status, SignatureStatus::Invalid);
    EXPECT_NE(result.reason.find("changed after signing"), std::string::npos);
    // Under the optional policy a broken signature by a trusted key is refused too.
    SignaturePolicy optional = required;
    optional.rule = SignatureRule::Optional;
    EXPECT_FALSE(check(tampered, optional).accepted);
}

TEST_F(ModuleSignature, K23_UntrustedKeyIsRefusedWhenRequired) {
    auto resigned = sign_module(signed_bytes, *other_key);
    ASSERT_TRUE(resigned);
    SignatureCheck result = check(*resigned, required);
    EXPECT_EQ(result.status, SignatureStatus::UnknownKey);
    EXPECT_FALSE(result.accepted);
    EXPECT_NE(result.reason.find(key_id_hex(key_id_of(other_key->public_key()))),
              std::string::npos);
}

TEST_F(ModuleSignature, K23_SignReplacesAnExistingSignature) {
    auto resigned = sign_module(signed_bytes, *key);
    ASSERT_TRUE(resigned);
    auto sections = list_sections(*resigned);
    ASSERT_TRUE(sections);
    EXPECT_EQ(find_custom_sections(*sections, kSignatureSectionName).size(), 1u);
    EXPECT_TRUE(check(*resigned, required).accepted);
}

TEST_F(ModuleSignature, K23_MovedSignatureIsRefused) {
    // The signature section moved in front of the manifest: same bytes otherwise.
    auto sections = list_sections(signed_bytes);
    ASSERT_TRUE(sections);
    const RawSection& signature = sections->back();
    Bytes moved(signed_bytes.begin(), signed_bytes.begin() + 8);
    moved.insert(moved.end(), signed_bytes.begin() + signature.start, signed_bytes.end());
    moved.insert(moved.end(), signed_bytes.begin() + 8, signed_bytes.begin() + signature.start);
    SignatureCheck result = check(moved, required);
    EXPECT_EQ(result.status, SignatureStatus::Malformed);
    EXPECT_FALSE(result.accepted);
    EXPECT_NE(result.reason.find("not the module's last section"), std::string::npos);
}

TEST_F(ModuleSignature, K23_DuplicatedSignatureIsRefused) {
    auto sections = list_sections(signed_bytes);
    ASSERT_TRUE(sections);
    Bytes doubled = signed_bytes;
    doubled.insert(doubled.end(), signed_bytes.begin() + sections->back().start,
                   signed_bytes.end());
    SignatureCheck result = check(doubled, SignaturePolicy{});
    EXPECT_EQ(result.status, SignatureStatus::Malformed);
    EXPECT_FALSE(result.accepted);
    EXPECT_NE(result.reason.find("2 signature sections"), std::string::npos);
}

TEST_F(ModuleSignature, K23_MalformedSignatureSectionsAreRefused) {
    const std::vector<Bytes> payloads = {
        {},                                        // Nothing.
        {8, 0xff, 0xff, 0xff, 0xff},               // A map of four billion entries.
        {6, 0x40, 0, 0, 0, 1, 2, 3},               // Bytes shorter than claimed.
        abi::encode_value(abi::AbiValue(i64{1})),  // Not a map.
    };
    for (const Bytes& payload : payloads) {
        Bytes bytes = testing::with_section(module, kSignatureSectionName, payload);
        SignatureCheck result = check(bytes, SignaturePolicy{});
        EXPECT_EQ(result.status, SignatureStatus::Malformed);
        EXPECT_FALSE(result.accepted);
        EXPECT_FALSE(result.reason.empty());
    }
}

TEST(ModuleKeyId, IsTheFirstEightBytesOfTheSha256OfThePublicKey) {
    // RFC 8032's first test key.
    observe::PublicKeyBytes raw{};
    const char* hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    for (int i = 0; i < 32; ++i)
        raw[i] = static_cast<u8>(std::stoi(std::string(hex + 2 * i, 2), nullptr, 16));
    auto key = observe::Ed25519PublicKey::from_bytes(raw);
    ASSERT_TRUE(key);
    // python3 -c "import hashlib;
    // print(hashlib.sha256(bytes.fromhex('d75a...511a')).hexdigest()[:16])"
    EXPECT_EQ(key_id_hex(key_id_of(*key)), "21fe31dfa154a261");
}

}  // namespace
}  // namespace esta::kernel
