#include "observe/crypto.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <cstdio>

namespace esta::observe {

namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

// Creates `path` exclusively with `mode` (so an existing key is never clobbered and the
// mode is right from the first byte).
Result<FileHandle> create_exclusive(const std::string& path, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        return Err(errno == EEXIST ? Status::Invalid : Status::IoError, "key.create_file");
    }
    std::FILE* file = ::fdopen(fd, "w");
    if (file == nullptr) {
        ::close(fd);
        return Err(Status::IoError, "key.create_file");
    }
    return FileHandle(file);
}

Result<FileHandle> open_for_reading(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) return Err(Status::NotFound, "key.open_file");
    return FileHandle(file);
}

Result<PublicKeyBytes> raw_public_key(EVP_PKEY* key) {
    PublicKeyBytes raw{};
    std::size_t length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key, raw.data(), &length) != 1 || length != raw.size()) {
        return Err(Status::Invalid, "key.not_ed25519");
    }
    return raw;
}

// SHA-256 fetched from the default provider once: given EVP_sha256(), every digest
// operation fetches the implementation again (a locked lookup in the provider store), which
// cost more than hashing a short record. Immutable once made; OpenSSL keeps it alive.
const EVP_MD* sha256_md() {
    static const EVP_MD* const md = [] {
        EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return fetched != nullptr ? fetched : EVP_sha256();
    }();
    return md;
}

}  // namespace

void Sha256::Deleter::operator()(EVP_MD_CTX* context) const {
    EVP_MD_CTX_free(context);
}
void PkeyDeleter::operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
}

Digest sha256(ByteSpan bytes) {
    Digest digest{};
    unsigned int length = 0;
    const int ok =
        EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, sha256_md(), nullptr);
    // SHA-256 over memory cannot fail short of the library being broken.
    ESTA_ASSERT(ok == 1 && length == digest.size());
    return digest;
}

Sha256::Sha256() : m_context(EVP_MD_CTX_new()) {
    ESTA_ASSERT(m_context != nullptr);
    ESTA_ASSERT(EVP_DigestInit_ex(m_context.get(), sha256_md(), nullptr) == 1);
}

void Sha256::update(ByteSpan bytes) {
    ESTA_ASSERT(EVP_DigestUpdate(m_context.get(), bytes.data(), bytes.size()) == 1);
}

Digest Sha256::finish() {
    Digest digest{};
    unsigned int length = 0;
    ESTA_ASSERT(EVP_DigestFinal_ex(m_context.get(), digest.data(), &length) == 1);
    ESTA_ASSERT(EVP_DigestInit_ex(m_context.get(), sha256_md(), nullptr) == 1);
    return digest;
}

bool equal_constant_time(ByteSpan a, ByteSpan b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Ed25519PublicKey> Ed25519PublicKey::from_bytes(ByteSpan raw) {
    if (raw.size() != PublicKeyBytes{}.size()) {
        return Err(Status::Invalid, "key.public_length", {.limit = 32, .actual = raw.size()});
    }
    PkeyHandle key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
    if (!key) return Err(Status::Invalid, "key.public_bytes");
    PublicKeyBytes copy{};
    std::copy(raw.begin(), raw.end(), copy.begin());
    return Ed25519PublicKey(std::move(key), copy);
}

Result<Ed25519PublicKey> Ed25519PublicKey::load_pem(const std::string& path) {
    FileHandle file = ESTA_TRY(open_for_reading(path));
    PkeyHandle key(PEM_read_PUBKEY(file.get(), nullptr, nullptr, nullptr));
    if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
        return Err(Status::Invalid, "key.public_pem");
    }
    const PublicKeyBytes raw = ESTA_TRY(raw_public_key(key.get()));
    return Ed25519PublicKey(std::move(key), raw);
}

Result<void> Ed25519PublicKey::save_pem(const std::string& path) const {
    FileHandle file = ESTA_TRY(create_exclusive(path, 0644));
    if (PEM_write_PUBKEY(file.get(), m_key.get()) != 1) {
        return Err(Status::IoError, "key.write_public");
    }
    return Ok();
}

bool Ed25519PublicKey::verify(ByteSpan message, const Signature& signature) const {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!context) return false;
    // Ed25519 is a one-shot scheme: no digest is named, the whole message goes in at once.
    if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, m_key.get()) != 1) {
        return false;
    }
    return EVP_DigestVerify(context.get(), signature.data(), signature.size(), message.data(),
                            message.size()) == 1;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::generate() {
    std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> context(
        EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
    if (!context || EVP_PKEY_keygen_init(context.get()) != 1) {
        return Err(Status::Internal, "key.generate");
    }
    EVP_PKEY* raw_key = nullptr;
    if (EVP_PKEY_keygen(context.get(), &raw_key) != 1) return Err(Status::Internal, "key.generate");
    PkeyHandle key(raw_key);
    const PublicKeyBytes raw = ESTA_TRY(raw_public_key(key.get()));
    Ed25519PublicKey public_key = ESTA_TRY(Ed25519PublicKey::from_bytes(raw));
    return Ed25519PrivateKey(std::move(key), std::move(public_key));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::load_pem(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return Err(Status::NotFound, "key.open_file");
    if ((info.st_mode & 077) != 0) {
        return Err(Status::AccessDenied, "key.private_file_mode", {.actual = info.st_mode & 0777});
    }
    FileHandle file = ESTA_TRY(open_for_reading(path));
    PkeyHandle key(PEM_read_PrivateKey(file.get(), nullptr, nullptr, nullptr));
    if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
        return Err(Status::Invalid, "key.private_pem");
    }
    const PublicKeyBytes raw = ESTA_TRY(raw_public_key(key.get()));
    Ed25519PublicKey public_key = ESTA_TRY(Ed25519PublicKey::from_bytes(raw));
    return Ed25519PrivateKey(std::move(key), std::move(public_key));
}

Result<void> Ed25519PrivateKey::save_pem(const std::string& path) const {
    FileHandle file = ESTA_TRY(create_exclusive(path, 0600));
    if (PEM_write_PrivateKey(file.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return Err(Status::IoError, "key.write_private");
    }
    return Ok();
}

Result<Signature> Ed25519PrivateKey::sign(ByteSpan message) const {
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!context ||
        EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, m_key.get()) != 1) {
        return Err(Status::Internal, "key.sign");
    }
    Signature signature{};
    std::size_t length = signature.size();
    if (EVP_DigestSign(context.get(), signature.data(), &length, message.data(), message.size()) !=
            1 ||
        length != signature.size()) {
        return Err(Status::Internal, "key.sign");
    }
    return signature;
}

}  // namespace esta::observe
