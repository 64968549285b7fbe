// SHA-256 and Ed25519 through OpenSSL's libcrypto (EVP), wrapped in RAII types with errors
// as values. The only file in observe that includes OpenSSL headers.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

// Forward declarations keep OpenSSL out of every includer.
typedef struct evp_md_ctx_st EVP_MD_CTX;
typedef struct evp_pkey_st EVP_PKEY;

namespace esta::observe {

using Digest = std::array<u8, 32>;
using Signature = std::array<u8, 64>;
using PublicKeyBytes = std::array<u8, 32>;

// One-shot SHA-256.
Digest sha256(ByteSpan bytes);

// Incremental SHA-256, for hashing several pieces without concatenating them.
class Sha256 {
  public:
    Sha256();
    Sha256(Sha256&&) noexcept = default;
    Sha256& operator=(Sha256&&) noexcept = default;
    void update(ByteSpan bytes);
    Digest finish();  // Then the hasher starts over.

  private:
    struct Deleter {
        void operator()(EVP_MD_CTX* context) const;
    };
    std::unique_ptr<EVP_MD_CTX, Deleter> m_context;
};

// Constant-time comparison (for tokens and MACs).
bool equal_constant_time(ByteSpan a, ByteSpan b);

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const;
};
using PkeyHandle = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class Ed25519PublicKey {
  public:
    static Result<Ed25519PublicKey> from_bytes(ByteSpan raw);
    // PEM "PUBLIC KEY" (SubjectPublicKeyInfo), as `keygen` writes and `openssl pkey` reads.
    static Result<Ed25519PublicKey> load_pem(const std::string& path);
    Result<void> save_pem(const std::string& path) const;

    const PublicKeyBytes& bytes() const { return m_raw; }
    bool verify(ByteSpan message, const Signature& signature) const;

    bool operator==(const Ed25519PublicKey& other) const { return m_raw == other.m_raw; }

  private:
    Ed25519PublicKey(PkeyHandle key, const PublicKeyBytes& raw)
        : m_key(std::shared_ptr<EVP_PKEY>(key.release(), PkeyDeleter{})), m_raw(raw) {}

    std::shared_ptr<EVP_PKEY> m_key;  // Immutable once made, so copies share it.
    PublicKeyBytes m_raw;
};

class Ed25519PrivateKey {
  public:
    // A fresh key from OpenSSL's CSPRNG (key generation is not a deterministic decision).
    static Result<Ed25519PrivateKey> generate();
    // PEM "PRIVATE KEY" (PKCS#8). Refused (AccessDenied) when the file is readable by group or
    // others, because a signing key must stay secret (REQUIREMENTS S-2).
    static Result<Ed25519PrivateKey> load_pem(const std::string& path);
    // Writes PKCS#8 PEM with mode 0600; refuses to overwrite an existing file.
    Result<void> save_pem(const std::string& path) const;

    const Ed25519PublicKey& public_key() const { return m_public; }
    Result<Signature> sign(ByteSpan message) const;

  private:
    Ed25519PrivateKey(PkeyHandle key, Ed25519PublicKey public_key)
        : m_key(std::move(key)), m_public(std::move(public_key)) {}

    PkeyHandle m_key;
    Ed25519PublicKey m_public;
};

}  // namespace esta::observe
