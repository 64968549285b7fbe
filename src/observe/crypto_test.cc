#include "observe/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "observe/json.h"
#include "observe/merkle.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

ByteSpan as_bytes(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

TEST(Crypto, Sha256KnownAnswer) {
    EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 hasher;
    hasher.update(as_bytes("a"));
    hasher.update(as_bytes("bc"));
    EXPECT_EQ(hasher.finish(), sha256(as_bytes("abc")));
}

TEST(Crypto, O2_Ed25519SignsAndVerifies) {
    auto key = Ed25519PrivateKey::generate();
    ASSERT_TRUE(key);
    auto signature = key->sign(as_bytes("checkpoint"));
    ASSERT_TRUE(signature);
    EXPECT_TRUE(key->public_key().verify(as_bytes("checkpoint"), *signature));
    EXPECT_FALSE(key->public_key().verify(as_bytes("checkpoinT"), *signature));
    auto other = Ed25519PrivateKey::generate();
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->public_key().verify(as_bytes("checkpoint"), *signature));
}

TEST(Crypto, S2_PrivateKeyFileIsPrivate) {
    const std::string base = (test_directory() / "observe_crypto_key").string();
    std::remove((base + ".key").c_str());
    std::remove((base + ".pub").c_str());
    auto key = Ed25519PrivateKey::generate();
    ASSERT_TRUE(key);
    ASSERT_TRUE(key->save_pem(base + ".key"));
    ASSERT_TRUE(key->public_key().save_pem(base + ".pub"));
    struct stat info {};
    ASSERT_EQ(::stat((base + ".key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_FALSE(key->save_pem(base + ".key"));  // Never overwrites.

    auto loaded = Ed25519PrivateKey::load_pem(base + ".key");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->public_key(), key->public_key());
    auto loaded_public = Ed25519PublicKey::load_pem(base + ".pub");
    ASSERT_TRUE(loaded_public);
    EXPECT_EQ(*loaded_public, key->public_key());

    ::chmod((base + ".key").c_str(), 0644);
    auto refused = Ed25519PrivateKey::load_pem(base + ".key");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::AccessDenied);
}

TEST(Merkle, O2_Rfc6962KnownAnswers) {
    EXPECT_EQ(to_hex(merkle_root({})),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(merkle_leaf_hash({})),
              "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    // Three leaves: the tree splits 2 + 1.
    const Digest leaves[] = {merkle_leaf_hash(as_bytes("a")), merkle_leaf_hash(as_bytes("b")),
                             merkle_leaf_hash(as_bytes("c"))};
    EXPECT_EQ(merkle_root(leaves),
              merkle_node_hash(merkle_node_hash(leaves[0], leaves[1]), leaves[2]));
}

TEST(Merkle, O2_InclusionProofsVerifyForEveryLeafAndSize) {
    std::vector<Digest> leaves;
    for (u64 size = 1; size <= 33; ++size) {
        leaves.push_back(merkle_leaf_hash(as_bytes(std::to_string(size))));
        const Digest root = merkle_root(leaves);
        for (u64 index = 0; index < size; ++index) {
            auto proof = merkle_inclusion_proof(leaves, index);
            EXPECT_TRUE(verify_merkle_inclusion(leaves[index], index, size, proof, root))
                << "size " << size << " index " << index;
            // The same proof must not prove another position or a changed leaf.
            if (size > 1) {
                EXPECT_FALSE(
                    verify_merkle_inclusion(leaves[index], (index + 1) % size, size, proof, root));
            }
            Digest wrong = leaves[index];
            wrong[0] ^= 1;
            EXPECT_FALSE(verify_merkle_inclusion(wrong, index, size, proof, root));
        }
    }
}

}  // namespace
}  // namespace esta::observe
