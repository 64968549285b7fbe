// Module signatures (REQUIREMENTS K-23, ABI.md "The module's own declaration"): the custom
// section `estalogic.signature`, the module's last section, holds a value-encoded map
//
//   version    i64    1
//   algorithm  text   "ed25519"
//   key_id     bytes  8 bytes: the first 8 bytes of SHA-256 over the 32-byte raw public key
//   signature  bytes  64 bytes: Ed25519 over the 32-byte SHA-256 of the module bytes that
//                     precede the section (the module with the section removed)
//
// Being last, the section cannot be moved or repeated without the check noticing, and
// removing it is cutting the module at its start. The key id only picks which trusted key
// to try; trust comes from the policy's key set, never from the module.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "kernel/module_sections.h"
#include "observe/crypto.h"

namespace esta::kernel {

inline constexpr i64 kSignatureFormatVersion = 1;
inline constexpr u32 kMaxSignatureSectionBytes = 1024;

using KeyId = std::array<u8, 8>;
// The first 8 bytes of SHA-256 over the raw public key (what `keygen` prints as "key id").
KeyId key_id_of(const observe::Ed25519PublicKey& key);
std::string key_id_hex(const KeyId& id);

enum class SignatureRule : u8 {
    Optional,  // Unsigned modules load; a signature that is present must not be broken.
    Required,  // Production mode: only modules signed by a trusted key load.
};

struct SignaturePolicy {
    SignatureRule rule = SignatureRule::Optional;
    std::vector<observe::Ed25519PublicKey> trusted_keys;
};

enum class SignatureStatus : u8 {
    Unsigned,    // No signature section.
    Verified,    // Signed by a trusted key, and the signature holds.
    UnknownKey,  // Well-formed, but by a key that is not trusted (so it cannot be checked).
    Invalid,     // A trusted key's signature that does not hold: the module was changed.
    Malformed,   // The section is unreadable, repeated or not the last section.
};
std::string_view signature_status_name(SignatureStatus status);  // "verified"

struct SignatureCheck {
    SignatureStatus status = SignatureStatus::Unsigned;
    std::optional<KeyId> key_id;      // When the section names one.
    observe::Digest signed_digest{};  // SHA-256 of the module without the signature section.
    bool accepted = false;            // Under the policy it was checked with.
    std::string reason;               // For people: what was found, and what to do.
};

// Checks the signature of `module` (whose sections were listed) under `policy`. Never fails:
// every outcome, including a refusal, is a SignatureCheck.
SignatureCheck check_signature(ByteSpan module, const std::vector<RawSection>& sections,
                               const SignaturePolicy& policy);

// `module` with any signature sections removed and a new one by `key` appended.
// Status::Malformed when the module's sections cannot be listed.
Result<std::vector<u8>> sign_module(ByteSpan module, const observe::Ed25519PrivateKey& key);

}  // namespace esta::kernel
