// Merkle trees as in RFC 6962 / RFC 9162 (Certificate Transparency): leaves hashed as
// SHA-256(0x00 || data), interior nodes as SHA-256(0x01 || left || right), trees split at
// the largest power of two below the size, so they need not be full.
#pragma once

#include <span>
#include <vector>

#include "observe/crypto.h"

namespace esta::observe {

Digest merkle_leaf_hash(ByteSpan data);
Digest merkle_node_hash(const Digest& left, const Digest& right);

// The same two hashes with one reused SHA-256 context: for hot loops (appending, verifying),
// where setting up a context per hash would cost more than the hash.
class MerkleHasher {
  public:
    Digest leaf(ByteSpan data);
    Digest node(const Digest& left, const Digest& right);
    Digest root(std::span<const Digest> leaf_hashes);

  private:
    Sha256 m_sha;
};

// MTH(D[n]) over already-hashed leaves; the empty tree's root is SHA-256 of nothing.
// Cost: n - 1 node hashes.
Digest merkle_root(std::span<const Digest> leaf_hashes);

// PATH(m, D[n]) of RFC 6962 §2.1.1: sibling hashes from the leaf up. `index` < size.
std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, u64 index);

// RFC 9162 §2.1.3.2: true when `proof` shows that `leaf_hash` is leaf `index` of the tree of
// `tree_size` leaves whose root is `root`.
bool verify_merkle_inclusion(const Digest& leaf_hash, u64 index, u64 tree_size,
                             std::span<const Digest> proof, const Digest& root);

}  // namespace esta::observe
