#include "kernel/cap_tree.h"

#include <algorithm>

namespace esta::kernel {

std::string_view cap_event_kind_name(CapEventKind kind) {
    switch (kind) {
        case CapEventKind::Created:
            return "create";
        case CapEventKind::Denied:
            return "validate_denied";
        case CapEventKind::Delegated:
            return "delegate";
        case CapEventKind::Revoked:
            return "revoke";
        case CapEventKind::Expired:
            return "expire";
        case CapEventKind::UseLimitReached:
            return "use_limit_reached";
    }
    return "unknown";
}

CapTree::CapTree(CapabilityAudit& audit, CapTreeConfig config) : m_audit(audit), m_config(config) {}

Handle CapTree::grant(Ref<KernelObject> object, Rights rights, Restrictions restrictions,
                      ProcessId holder, Nanos now, u32 badge) {
    ESTA_ASSERT(object);
    ObjectId object_id = object->id();
    auto added =
        restrictions.empty() ? nullptr : std::make_unique<Restrictions>(std::move(restrictions));
    CapNode::Init init{.id = next_id(),
                       .object = std::move(object),
                       .rights = rights,
                       .restrictions = std::move(added),
                       .parent = nullptr,
                       .issuer = kKernelProcess,
                       .created_at = now,
                       .badge = badge};
    Handle handle(make_ref<CapNode>(CapNode::Key{}, std::move(init)));
    ++m_stats.created;
    m_audit.record(CapEvent{.kind = CapEventKind::Created,
                            .at = now,
                            .process = holder,
                            .cap = handle.node().id(),
                            .object = object_id,
                            .rights = rights});
    return handle;
}

Error CapTree::deny(const CapNode* node, Error error, Rights asked, const CheckContext& context) {
    ++m_stats.denied;
    CapEvent event{.kind = CapEventKind::Denied,
                   .at = context.now,
                   .process = context.caller,
                   .rights = asked,
                   .status = error.code};
    if (node) {
        event.cap = node->id();
        if (node->object()) event.object = node->object()->id();
    }
    m_audit.record(event);
    return error;
}

Result<void> CapTree::check(const CapNode& node, std::optional<ObjectType> type, Rights required,
                            const CheckContext& context, UseCheck uses) {
    // (1) BAD_HANDLE was the table's; (2) the object's kind.
    if (type && node.type() != *type) {
        return deny(
            &node,
            Err(Status::WrongType, "capability: wrong object type",
                Detail{.limit = static_cast<u64>(*type), .actual = static_cast<u64>(node.type())}),
            required, context);
    }
    // (3) revoked, (4) expired, (5) restricted.
    if (auto live = node.check_not_revoked(); !live) {
        return deny(&node, live.error(), required, context);
    }
    if (node.chain_restricted()) {
        if (auto fresh = node.check_not_expired(context.now); !fresh) {
            if (!node.m_expiry_reported) {
                node.m_expiry_reported = true;
                m_audit.record(CapEvent{.kind = CapEventKind::Expired,
                                        .at = context.now,
                                        .process = context.caller,
                                        .cap = node.id(),
                                        .status = Status::Expired});
            }
            return deny(&node, fresh.error(), required, context);
        }
        if (auto allowed = node.check_restrictions(context.now, context.caller); !allowed) {
            return deny(&node, allowed.error(), required, context);
        }
    }
    // (6) rights, (7) uses: a denied call above consumed nothing, and neither does a check.
    if (!node.rights().contains(required)) {
        return deny(&node,
                    Err(Status::AccessDenied, "capability: missing rights",
                        Detail{.limit = required.bits(), .actual = node.rights().bits()}),
                    required, context);
    }
    if (uses == UseCheck::Check && node.chain_restricted()) {
        if (auto left = node.check_uses(); !left) {
            return deny(&node, left.error(), required, context);
        }
    }
    return Ok();
}

Result<void> CapTree::consume_use(CapNode& node, const CheckContext& context) {
    if (auto uses = node.check_uses(); !uses) return deny(&node, uses.error(), {}, context);
    ++m_stats.uses;
    for (CapNode* link = &node; link; link = link->m_parent.get()) {
        if (!link->m_restrictions || !link->m_restrictions->max_uses) continue;
        u64 limit = *link->m_restrictions->max_uses;
        if (++link->m_uses_consumed == limit) {
            m_audit.record(CapEvent{.kind = CapEventKind::UseLimitReached,
                                    .at = context.now,
                                    .process = context.caller,
                                    .cap = link->id(),
                                    .count = limit});
        }
    }
    return Ok();
}

Result<void> CapTree::check_derive(const CapNode& parent, Rights rights, const Restrictions& added,
                                   const CheckContext& context) {
    // The parent must be fit for use (K-15: live, unexpired) and hold DELEGATE.
    ESTA_TRY(check(parent, std::nullopt, Right::Delegate, context));
    if (!rights.is_subset_of(parent.rights())) {
        // Never a silent narrowing (K-12).
        return deny(&parent,
                    Err(Status::RightsEscalation, "derive: rights not held",
                        Detail{.limit = parent.rights().bits(), .actual = rights.bits()}),
                    rights, context);
    }
    if (parent.depth() + 1 > m_config.max_depth) {
        return deny(&parent,
                    Err(Status::Limit, "derive: delegation depth",
                        Detail{.limit = m_config.max_depth, .actual = parent.depth() + 1}),
                    rights, context);
    }
    bool bad_uses = added.max_uses && *added.max_uses == 0;
    bool bad_window =
        added.valid_after && added.valid_before && *added.valid_after > *added.valid_before;
    if (bad_uses || bad_window) {
        return deny(&parent, Err(Status::InvalidArgs, "derive: malformed restrictions"), rights,
                    context);
    }
    return Ok();
}

Result<Handle> CapTree::derive(const Handle& parent, Rights rights, Restrictions added,
                               const CheckContext& context) {
    if (!parent.valid()) {
        return deny(nullptr, Err(Status::BadHandle, "derive: no capability"), rights, context);
    }
    ESTA_TRY(check_derive(parent.node(), rights, added, context));
    ESTA_ASSERT(parent.object());  // A live, unrevoked capability still holds its object.
    auto own = added.empty() ? nullptr : std::make_unique<Restrictions>(std::move(added));
    CapNode::Init init{.id = next_id(),
                       .object = parent.object(),
                       .rights = rights,
                       .restrictions = std::move(own),
                       .parent = parent.node_ref(),
                       .issuer = context.caller,
                       .created_at = context.now,
                       .badge = parent.node().badge()};
    Handle child(make_ref<CapNode>(CapNode::Key{}, std::move(init)));
    ++m_stats.delegated;
    m_audit.record(CapEvent{.kind = CapEventKind::Delegated,
                            .at = context.now,
                            .process = context.caller,
                            .cap = child.node().id(),
                            .parent = parent.node().id(),
                            .object = child.object()->id(),
                            .rights = rights});
    return child;
}

RevokeProgress CapTree::revoke(const Ref<CapNode>& node, RevokeScope scope, ProcessId by, Nanos now,
                               u32 budget) {
    ESTA_ASSERT(node);
    CapNode& root = *node;
    if (!root.m_revoking) {
        root.m_revoking = true;
        root.m_revoke_count = 0;
        root.m_revoked_by = by;
        root.m_revoke_started_at = now;
        m_revoking.push_back(node);
    }
    if (scope == RevokeScope::SelfAndDescendants && !root.m_revoked) {
        root.m_revoked = true;
        root.detach_object();
        ++root.m_revoke_count;
    }
    // Effective now: every current child fails the epoch check from here on. Children
    // derived later belong to the new epoch and are untouched by this revocation.
    ++root.m_child_epoch;
    root.m_revoke_pending.splice_back(root.m_children);
    return run_revocation(root, now, budget);
}

RevokeProgress CapTree::resume_revoke(const Ref<CapNode>& node, Nanos now, u32 budget) {
    ESTA_ASSERT(node);
    if (!node->m_revoking) return RevokeProgress{RevokeState::Done, node->m_revoke_count, 0};
    return run_revocation(*node, now, budget);
}

u32 CapTree::step_revocations(Nanos now, u32 budget) {
    u32 spent = 0;
    while (spent < budget && !m_revoking.empty()) {
        Ref<CapNode> root = m_revoking.front();  // Keeps it alive past finish_revocation.
        RevokeProgress progress = run_revocation(*root, now, budget - spent);
        spent += progress.steps;
        if (progress.state == RevokeState::Partial) break;
    }
    return spent;
}

RevokeProgress CapTree::run_revocation(CapNode& root, Nanos now, u32 budget) {
    RevokeProgress progress;
    // One step = one descendant: marked, its object released, its children queued. The
    // work list is a linked list, so every step is O(1) however wide the tree is.
    while (progress.steps < budget && !root.m_revoke_pending.empty()) {
        Ref<CapNode> node(root.m_revoke_pending.next()->owner());
        node->m_sibling.unlink();
        if (!node->m_revoked) {
            node->m_revoked = true;
            ++root.m_revoke_count;
        }
        node->detach_object();
        root.m_revoke_pending.splice_back(node->m_children);
        ++progress.steps;
    }
    progress.revoked = root.m_revoke_count;
    if (!root.m_revoke_pending.empty()) {
        progress.state = RevokeState::Partial;
        return progress;
    }
    progress.state = RevokeState::Done;
    finish_revocation(root, now);
    return progress;
}

void CapTree::finish_revocation(CapNode& root, Nanos now) {
    root.m_revoking = false;
    m_stats.revoked += root.m_revoke_count;
    m_records.push_back(RevocationRecord{root.id(), root.m_revoked_by, root.m_revoke_started_at,
                                         now, root.m_revoke_count});
    m_audit.record(CapEvent{.kind = CapEventKind::Revoked,
                            .at = now,
                            .process = root.m_revoked_by,
                            .cap = root.id(),
                            .count = root.m_revoke_count});
    purge_revocation_records(now);
    // Last: this may drop the final reference to `root` when the caller holds none.
    auto position = std::find_if(m_revoking.begin(), m_revoking.end(),
                                 [&root](const Ref<CapNode>& item) { return item.get() == &root; });
    if (position != m_revoking.end()) m_revoking.erase(position);
}

void CapTree::purge_revocation_records(Nanos now) {
    while (!m_records.empty() &&
           now - m_records.front().finished_at > m_config.revocation_retention) {
        m_records.pop_front();
    }
}

}  // namespace esta::kernel
