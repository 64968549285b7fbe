#include "kernel/module_signature.h"

#include <algorithm>
#include <variant>

#include "kernel/abi_value.h"
#include "observe/json.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;
using abi::ByteString;
using abi::ValueMap;

struct SignatureRecord {
    KeyId key_id{};
    observe::Signature signature{};
};

std::vector<u8> encode_record(const SignatureRecord& record) {
    ValueMap map;
    map.emplace_back("version", kSignatureFormatVersion);
    map.emplace_back("algorithm", "ed25519");
    map.emplace_back("key_id", ByteString(record.key_id.begin(), record.key_id.end()));
    map.emplace_back("signature", ByteString(record.signature.begin(), record.signature.end()));
    return abi::encode_value(AbiValue(std::move(map)));
}

// The record, or why it cannot be read (for SignatureCheck::reason).
std::variant<SignatureRecord, std::string> decode_record(ByteSpan payload) {
    if (payload.size() > kMaxSignatureSectionBytes)
        return std::string("the signature section is larger than ") +
               std::to_string(kMaxSignatureSectionBytes) + " bytes";
    auto value = abi::decode_value(payload);
    if (!value)
        return std::string("the signature section is not one well-formed value (") +
               value.error().context + ")";
    const auto* map = value->get<ValueMap>();
    if (map == nullptr) return std::string("the signature section is not a map");
    if (map->size() != 4)
        return std::string(
            "the signature section must hold exactly version, algorithm, "
            "key_id and signature");
    const auto* version = value->find("version");
    const auto* algorithm = value->find("algorithm");
    const auto* key_id = value->find("key_id");
    const auto* signature = value->find("signature");
    if (version == nullptr || algorithm == nullptr || key_id == nullptr || signature == nullptr)
        return std::string(
            "the signature section must hold version, algorithm, key_id and "
            "signature");
    if (version->get<i64>() == nullptr) return std::string("signature version is not an i64");
    if (*version->get<i64>() > kSignatureFormatVersion)
        return "the signature has format version " + std::to_string(*version->get<i64>()) +
               "; this kernel reads version " + std::to_string(kSignatureFormatVersion) +
               ": use a newer estalogic";
    if (*version->get<i64>() < 1) return std::string("signature version must be 1");
    if (algorithm->get<std::string>() == nullptr || *algorithm->get<std::string>() != "ed25519")
        return std::string("signature algorithm must be \"ed25519\"");
    const auto* id_bytes = key_id->get<ByteString>();
    const auto* signature_bytes = signature->get<ByteString>();
    if (id_bytes == nullptr || id_bytes->size() != 8)
        return std::string("signature key_id must be 8 bytes");
    if (signature_bytes == nullptr || signature_bytes->size() != 64)
        return std::string("signature must be 64 bytes");
    SignatureRecord record;
    std::copy(id_bytes->begin(), id_bytes->end(), record.key_id.begin());
    std::copy(signature_bytes->begin(), signature_bytes->end(), record.signature.begin());
    return record;
}

SignatureCheck finish(SignatureCheck check, const SignaturePolicy& policy) {
    switch (check.status) {
        case SignatureStatus::Verified:
            check.accepted = true;
            break;
        case SignatureStatus::Unsigned:
        case SignatureStatus::UnknownKey:
            check.accepted = policy.rule == SignatureRule::Optional;
            if (!check.accepted)
                check.reason +=
                    "; signatures are required (production mode): sign the module "
                    "with `estalogic sign MODULE.wasm --key KEY` using a key whose "
                    "public half the kernel trusts";
            break;
        case SignatureStatus::Invalid:
        case SignatureStatus::Malformed:
            check.accepted = false;
            break;
    }
    return check;
}

}  // namespace

KeyId key_id_of(const observe::Ed25519PublicKey& key) {
    observe::Digest digest = observe::sha256(ByteSpan(key.bytes()));
    KeyId id{};
    std::copy(digest.begin(), digest.begin() + id.size(), id.begin());
    return id;
}

std::string key_id_hex(const KeyId& id) {
    return observe::to_hex(ByteSpan(id));
}

std::string_view signature_status_name(SignatureStatus status) {
    switch (status) {
        case SignatureStatus::Unsigned:
            return "unsigned";
        case SignatureStatus::Verified:
            return "verified";
        case SignatureStatus::UnknownKey:
            return "unknown-key";
        case SignatureStatus::Invalid:
            return "invalid";
        case SignatureStatus::Malformed:
            return "malformed";
    }
    return "unknown";
}

SignatureCheck check_signature(ByteSpan module, const std::vector<RawSection>& sections,
                               const SignaturePolicy& policy) {
    SignatureCheck check;
    auto found = find_custom_sections(sections, kSignatureSectionName);
    if (found.empty()) {
        check.signed_digest = observe::sha256(module);
        check.status = SignatureStatus::Unsigned;
        check.reason = "the module is not signed";
        return finish(std::move(check), policy);
    }
    const RawSection& section = *found.back();
    check.signed_digest = observe::sha256(module.first(found.front()->start));
    check.status = SignatureStatus::Malformed;
    if (found.size() > 1) {
        check.reason = "the module has " + std::to_string(found.size()) +
                       " signature sections; a signed module has one, as its last section: "
                       "sign it again with `estalogic sign`";
        return finish(std::move(check), policy);
    }
    if (&section != &sections.back()) {
        check.reason =
            "the signature section is not the module's last section (something was "
            "appended after signing): sign it again with `estalogic sign`";
        return finish(std::move(check), policy);
    }
    auto record = decode_record(section.payload(module));
    if (auto* why = std::get_if<std::string>(&record)) {
        check.reason = std::move(*why);
        return finish(std::move(check), policy);
    }
    const auto& signature = std::get<SignatureRecord>(record);
    check.key_id = signature.key_id;
    auto key = std::find_if(policy.trusted_keys.begin(), policy.trusted_keys.end(),
                            [&](const observe::Ed25519PublicKey& trusted) {
                                return key_id_of(trusted) == signature.key_id;
                            });
    if (key == policy.trusted_keys.end()) {
        check.status = SignatureStatus::UnknownKey;
        check.reason = "signed by key " + key_id_hex(signature.key_id) +
                       ", which is not a trusted key, so the signature was not checked";
        return finish(std::move(check), policy);
    }
    if (!key->verify(ByteSpan(check.signed_digest), signature.signature)) {
        check.status = SignatureStatus::Invalid;
        check.reason = "the signature by key " + key_id_hex(signature.key_id) +
                       " does not match the module: it was changed after signing";
        return finish(std::move(check), policy);
    }
    check.status = SignatureStatus::Verified;
    check.reason = "signed by trusted key " + key_id_hex(signature.key_id);
    return finish(std::move(check), policy);
}

Result<std::vector<u8>> sign_module(ByteSpan module, const observe::Ed25519PrivateKey& key) {
    auto sections = ESTA_TRY(list_sections(module));
    std::vector<u8> signed_module =
        without_custom_sections(module, sections, kSignatureSectionName);
    SignatureRecord record;
    record.key_id = key_id_of(key.public_key());
    record.signature = ESTA_TRY(key.sign(ByteSpan(observe::sha256(ByteSpan(signed_module)))));
    append_custom_section(signed_module, kSignatureSectionName, ByteSpan(encode_record(record)));
    return signed_module;
}

}  // namespace esta::kernel
