#include "kernel/cap_node.h"

namespace esta::kernel {

void CapListHook::push_back(CapListHook& hook) {
    hook.unlink();
    hook.m_prev = m_prev;
    hook.m_next = this;
    m_prev->m_next = &hook;
    m_prev = &hook;
}

void CapListHook::unlink() {
    m_prev->m_next = m_next;
    m_next->m_prev = m_prev;
    m_prev = this;
    m_next = this;
}

void CapListHook::splice_back(CapListHook& other) {
    if (other.empty() || &other == this) return;
    CapListHook* first = other.m_next;
    CapListHook* last = other.m_prev;
    other.m_next = &other;
    other.m_prev = &other;
    first->m_prev = m_prev;
    m_prev->m_next = first;
    last->m_next = this;
    m_prev = last;
}

CapNode::CapNode(Key, Init init)
    : m_id(init.id),
      m_type(init.object->type()),
      m_rights(init.rights),
      m_issuer(init.issuer),
      m_created_at(init.created_at),
      m_badge(init.badge),
      m_object(std::move(init.object)),
      m_restrictions(std::move(init.restrictions)),
      m_parent(std::move(init.parent)) {
    m_object->attach_handle();
    m_chain_restricted = m_restrictions != nullptr || (m_parent && m_parent->m_chain_restricted);
    if (m_parent) {
        m_depth = m_parent->m_depth + 1;
        m_parent_epoch = m_parent->m_child_epoch;
        m_parent->m_children.push_back(m_sibling);
    }
}

CapNode::~CapNode() {
    // Children hold references to their parent, so none is left; only the sibling hook
    // (unlinked by its destructor) and the object remain to let go of.
    detach_object();
}

void CapNode::detach_object() {
    if (!m_object) return;
    Ref<KernelObject> object = std::move(m_object);
    object->detach_handle();
}

Result<void> CapNode::check_not_revoked() const {
    for (const CapNode* node = this; node; node = node->m_parent.get()) {
        if (node->m_revoked) return Err(Status::Revoked, "capability revoked");
        if (node->m_parent && node->m_parent_epoch != node->m_parent->m_child_epoch) {
            return Err(Status::Revoked, "capability revoked (an ancestor revoked its descendants)");
        }
    }
    return Ok();
}

Result<void> CapNode::check_not_expired(Nanos now) const {
    for (const CapNode* node = this; node; node = node->m_parent.get()) {
        if (node->m_restrictions && node->m_restrictions->is_expired(now)) {
            return Err(Status::Expired, "capability expired",
                       Detail{.limit = static_cast<u64>(*node->m_restrictions->expires_at),
                              .actual = static_cast<u64>(now)});
        }
    }
    return Ok();
}

Result<void> CapNode::check_restrictions(Nanos now, ProcessId caller) const {
    for (const CapNode* node = this; node; node = node->m_parent.get()) {
        if (!node->m_restrictions) continue;
        ESTA_TRY(node->m_restrictions->check_window(now));
        ESTA_TRY(node->m_restrictions->check_process(caller));
    }
    return Ok();
}

Result<void> CapNode::check_uses(const PendingUses* pending) const {
    for (const CapNode* node = this; node; node = node->m_parent.get()) {
        if (!node->m_restrictions || !node->m_restrictions->max_uses) continue;
        const u64 spent = node->m_uses_consumed + (pending ? pending->of(*node) : 0);
        if (spent >= *node->m_restrictions->max_uses) {
            return Err(Status::UsesExhausted, "capability uses exhausted",
                       Detail{.limit = *node->m_restrictions->max_uses, .actual = spent});
        }
    }
    return Ok();
}

void PendingUses::add(const CapNode& node) {
    for (const CapNode* link = &node; link; link = link->parent()) {
        const Restrictions* restrictions = link->restrictions();
        if (restrictions != nullptr && restrictions->max_uses) ++m_uses[link];
    }
}

std::optional<u64> CapNode::uses_remaining() const {
    std::optional<u64> remaining;
    for (const CapNode* node = this; node; node = node->m_parent.get()) {
        if (!node->m_restrictions || !node->m_restrictions->max_uses) continue;
        u64 limit = *node->m_restrictions->max_uses;
        u64 left = node->m_uses_consumed >= limit ? 0 : limit - node->m_uses_consumed;
        remaining = remaining ? std::min(*remaining, left) : left;
    }
    return remaining;
}

}  // namespace esta::kernel
