#include "observe/merkle.h"

#include <bit>

namespace esta::observe {

namespace {

// The largest power of two strictly below n (n >= 2).
u64 split_point(u64 n) {
    return std::bit_floor(n - 1);
}

void collect_path(std::span<const Digest> leaves, u64 index, std::vector<Digest>& path) {
    if (leaves.size() <= 1) return;
    const u64 k = split_point(leaves.size());
    if (index < k) {
        collect_path(leaves.first(k), index, path);
        path.push_back(merkle_root(leaves.subspan(k)));
    } else {
        collect_path(leaves.subspan(k), index - k, path);
        path.push_back(merkle_root(leaves.first(k)));
    }
}

}  // namespace

Digest MerkleHasher::leaf(ByteSpan data) {
    static constexpr u8 kLeafPrefix = 0x00;
    m_sha.update(ByteSpan(&kLeafPrefix, 1));
    m_sha.update(data);
    return m_sha.finish();
}

Digest MerkleHasher::node(const Digest& left, const Digest& right) {
    static constexpr u8 kNodePrefix = 0x01;
    m_sha.update(ByteSpan(&kNodePrefix, 1));
    m_sha.update(left);
    m_sha.update(right);
    return m_sha.finish();
}

Digest MerkleHasher::root(std::span<const Digest> leaf_hashes) {
    if (leaf_hashes.empty()) return m_sha.finish();  // SHA-256 of nothing.
    if (leaf_hashes.size() == 1) return leaf_hashes[0];
    const u64 k = split_point(leaf_hashes.size());
    const Digest left = root(leaf_hashes.first(k));
    return node(left, root(leaf_hashes.subspan(k)));
}

Digest merkle_leaf_hash(ByteSpan data) {
    return MerkleHasher().leaf(data);
}

Digest merkle_node_hash(const Digest& left, const Digest& right) {
    return MerkleHasher().node(left, right);
}

Digest merkle_root(std::span<const Digest> leaf_hashes) {
    return MerkleHasher().root(leaf_hashes);
}

std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, u64 index) {
    ESTA_ASSERT(index < leaf_hashes.size());
    std::vector<Digest> path;
    collect_path(leaf_hashes, index, path);
    return path;
}

bool verify_merkle_inclusion(const Digest& leaf_hash, u64 index, u64 tree_size,
                             std::span<const Digest> proof, const Digest& root) {
    if (index >= tree_size) return false;
    u64 fn = index;
    u64 sn = tree_size - 1;
    Digest r = leaf_hash;
    for (const Digest& p : proof) {
        if (sn == 0) return false;
        if ((fn & 1) != 0 || fn == sn) {
            r = merkle_node_hash(p, r);
            if ((fn & 1) == 0) {
                // A right-most node with no right sibling at this level: climb until it is
                // a right child again.
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = merkle_node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;
}

}  // namespace esta::observe
