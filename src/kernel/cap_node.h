// CapNode: one capability, a node of the derivation tree (REQUIREMENTS K-15, K-16). It names
// the object, holds the rights (which never change), the restrictions this derivation added,
// the use count those restrictions budget, and its parent. A Handle (handle.h) owns one node;
// the node keeps its parent alive, and a parent lists its children without owning them, so
// a subtree whose handles are all gone frees itself.
//
// Revocation is effective at once and cleaned up incrementally: revoking a node's
// descendants bumps the node's child epoch, which makes every child (and so, by the walk
// up, every descendant) fail with REVOKED from that instant; CapTree then visits the
// descendants in bounded steps to mark them, release their objects and count them.
//
// Not thread-safe: the kernel's capability lock guards every node (scheduler issue).
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>

#include "base/result.h"
#include "kernel/ids.h"
#include "kernel/object.h"
#include "kernel/ref.h"
#include "kernel/restrictions.h"
#include "kernel/rights.h"

namespace esta::kernel {

class CapNode;

// Uses promised but not yet spent, per node of a use-limited chain (K-60: a critical
// process's held sends and audits spend their use only when released, so the next check
// in the same message counts them). The nodes are alive while their held effects are.
class PendingUses {
  public:
    // Promises one use of `node`: one on every use budget of its chain.
    void add(const CapNode& node);
    u64 of(const CapNode& node) const {
        auto found = m_uses.find(&node);
        return found == m_uses.end() ? 0 : found->second;
    }
    void clear() { m_uses.clear(); }

  private:
    std::unordered_map<const CapNode*, u64> m_uses;
};

// A hook in a circular doubly-linked list with a sentinel, so a node leaves whichever list
// it is in (its parent's children, a revocation's work list) in O(1), and a whole list moves
// to another in O(1) (splice). That is what keeps each revocation step constant-time.
class CapListHook {
  public:
    CapListHook() = default;
    explicit CapListHook(CapNode* owner) : m_owner(owner) {}
    CapListHook(const CapListHook&) = delete;
    CapListHook& operator=(const CapListHook&) = delete;
    ~CapListHook() { unlink(); }

    bool empty() const { return m_next == this; }  // For a sentinel: no members.
    CapNode* owner() const { return m_owner; }
    CapListHook* next() const { return m_next; }
    void push_back(CapListHook& hook);
    void unlink();
    // Moves every member of `other` to the end of this list.
    void splice_back(CapListHook& other);

  private:
    CapListHook* m_prev = this;
    CapListHook* m_next = this;
    CapNode* m_owner = nullptr;
};

class CapNode final : public RefCounted {
    struct Key {};  // Only CapTree constructs nodes (the passkey idiom keeps make_ref usable).

  public:
    struct Init {
        CapId id;
        Ref<KernelObject> object;
        Rights rights;
        std::unique_ptr<Restrictions> restrictions;  // Null: added nothing.
        Ref<CapNode> parent;
        ProcessId issuer;
        Nanos created_at = 0;
        u32 badge = 0;
    };
    CapNode(Key, Init init);
    ~CapNode() override;

    CapId id() const { return m_id; }
    ObjectType type() const { return m_type; }
    Rights rights() const { return m_rights; }
    // 0 for a root grant; at most CapTreeConfig::max_depth.
    u32 depth() const { return m_depth; }
    // The process that derived this capability (kKernelProcess for root grants).
    ProcessId issuer() const { return m_issuer; }
    Nanos created_at() const { return m_created_at; }
    // The sender's identity as a receiving endpoint sees it (set at grant, inherited by
    // derivation, so a guest cannot forge it).
    u32 badge() const { return m_badge; }
    CapNode* parent() const { return m_parent.get(); }
    // What this derivation added; the effective restrictions are these and every ancestor's.
    const Restrictions* restrictions() const { return m_restrictions.get(); }
    // Null once revoked or once its handle is gone.
    const Ref<KernelObject>& object() const { return m_object; }
    u64 uses_consumed() const { return m_uses_consumed; }
    // Whether this node or an ancestor carries restrictions. Restrictions never change, so
    // this is fixed at creation and lets the common unrestricted check skip three walks.
    bool chain_restricted() const { return m_chain_restricted; }

    // REVOKED if this node or an ancestor was revoked (walks at most max_depth parents).
    Result<void> check_not_revoked() const;
    // EXPIRED if this node's or an ancestor's expiry instant is behind `now`.
    Result<void> check_not_expired(Nanos now) const;
    // RESTRICTED if a window or a process restriction of the chain forbids it.
    Result<void> check_restrictions(Nanos now, ProcessId caller) const;
    // USES_EXHAUSTED if any use budget on the chain is spent (counting `pending` uses).
    Result<void> check_uses(const PendingUses* pending = nullptr) const;
    // The smallest remaining use budget on the chain, if any is limited.
    std::optional<u64> uses_remaining() const;

  private:
    friend class CapTree;
    friend class Handle;

    void detach_object();

    CapId m_id;
    ObjectType m_type;
    Rights m_rights;
    u32 m_depth = 0;
    ProcessId m_issuer;
    Nanos m_created_at;
    u32 m_badge;
    Ref<KernelObject> m_object;
    std::unique_ptr<Restrictions> m_restrictions;
    u64 m_uses_consumed = 0;
    bool m_chain_restricted = false;
    bool m_revoked = false;
    mutable bool m_expiry_reported = false;  // K-18's "expire" event is emitted once per node.

    // Tree links. A child is valid only while m_parent_epoch equals the parent's
    // m_child_epoch; revoking descendants bumps the epoch.
    Ref<CapNode> m_parent;
    u32 m_parent_epoch = 0;
    u32 m_child_epoch = 0;
    CapListHook m_sibling{this};  // Membership in the parent's m_children or a work list.
    CapListHook m_children;       // Sentinel: live children of the current epoch.

    // Revocation in progress from this node (CapTree::revoke).
    CapListHook m_revoke_pending;  // Sentinel: descendants still to visit.
    bool m_revoking = false;
    u64 m_revoke_count = 0;
    ProcessId m_revoked_by;
    Nanos m_revoke_started_at = 0;
};

}  // namespace esta::kernel
