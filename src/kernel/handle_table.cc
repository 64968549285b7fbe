#include "kernel/handle_table.h"

namespace esta::kernel {

HandleTable::HandleTable(CapTree& tree, ProcessId owner, HandleTableConfig config)
    : m_tree(tree), m_owner(owner), m_config(config) {}

Result<HandleValue> HandleTable::insert(Handle handle) {
    ESTA_ASSERT(handle.valid());
    if (m_size >= m_config.max_handles) {
        return Err(Status::Limit, "handle_table.insert: handles per process",
                   Detail{.limit = m_config.max_handles, .actual = m_size + 1});
    }
    u32 index;
    if (!m_free.empty()) {
        index = m_free.back();
        m_free.pop_back();
    } else if (m_slots.size() < kMaxHandleSlots - 1) {
        index = static_cast<u32>(m_slots.size());
        m_slots.emplace_back();
    } else {
        return Err(Status::Limit, "handle_table.insert: slots exhausted");
    }
    Slot& slot = m_slots[index];
    slot.handle = std::move(handle);
    ++m_size;
    return make_handle_value(index, slot.generation);
}

Result<HandleTable::Slot*> HandleTable::find(HandleValue value, Rights asked,
                                             const CheckContext& context) {
    ESTA_ASSERT(context.caller == m_owner);  // Handles are bound to their holder (K-14).
    u32 index = handle_slot(value);
    bool present = index < m_slots.size() && m_slots[index].handle.valid() &&
                   m_slots[index].generation == handle_generation(value);
    if (!present) {
        return m_tree.deny(nullptr,
                           Err(Status::BadHandle, "handle: no such handle in this process",
                               Detail{.actual = value.value()}),
                           asked, context);
    }
    return &m_slots[index];
}

void HandleTable::clear() {
    for (u32 index = static_cast<u32>(m_slots.size()); index-- > 0;) {
        if (m_slots[index].handle.valid()) {
            (void)remove(make_handle_value(index, m_slots[index].generation));
        }
    }
}

Result<Handle> HandleTable::remove(HandleValue value) {
    u32 index = handle_slot(value);
    if (index >= m_slots.size() || !m_slots[index].handle.valid() ||
        m_slots[index].generation != handle_generation(value)) {
        return Err(Status::BadHandle, "handle_table.remove", Detail{.actual = value.value()});
    }
    Slot& slot = m_slots[index];
    Handle handle = std::move(slot.handle);
    --m_size;
    // A spent generation retires the slot: its values can never name anything again.
    if (++slot.generation <= kMaxHandleGeneration) m_free.push_back(index);
    return handle;
}

Result<Ref<KernelObject>> HandleTable::get_object(HandleValue value, std::optional<ObjectType> type,
                                                  Rights required, const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, required, context));
    ESTA_TRY(m_tree.check(slot->handle.node(), type, required, context));
    return slot->handle.object();
}

Result<void> HandleTable::consume_use(HandleValue value, const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, {}, context));
    return m_tree.consume_use(slot->handle.node(), context);
}

Result<const Handle*> HandleTable::lookup(HandleValue value, const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, {}, context));
    return &slot->handle;
}

Result<HandleValue> HandleTable::derive(HandleValue value, Rights rights, Restrictions added,
                                        const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, rights, context));
    ESTA_TRY(m_tree.check_derive(slot->handle.node(), rights, added, context));
    // Fail before issuing anything, so a full table leaves no Delegated record behind.
    if (m_size >= m_config.max_handles) {
        return Err(Status::Limit, "cap_derive: handles per process",
                   Detail{.limit = m_config.max_handles, .actual = m_size + 1});
    }
    Handle child = ESTA_TRY(m_tree.derive(slot->handle, rights, std::move(added), context));
    return insert(std::move(child));
}

Result<void> HandleTable::check_derive(HandleValue value, Rights rights, const Restrictions& added,
                                       const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, rights, context));
    return m_tree.check_derive(slot->handle.node(), rights, added, context);
}

Result<Handle> HandleTable::derive_out(HandleValue value, Rights rights, Restrictions added,
                                       const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, rights, context));
    return m_tree.derive(slot->handle, rights, std::move(added), context);
}

Result<Handle> HandleTable::take_for_transfer(HandleValue value, const CheckContext& context) {
    Slot* slot = ESTA_TRY(find(value, Right::Transfer, context));
    ESTA_TRY(m_tree.check(slot->handle.node(), std::nullopt, Right::Transfer, context));
    return remove(value);
}

Result<RevokeProgress> HandleTable::revoke(HandleValue value, const CheckContext& context,
                                           u32 budget) {
    Slot* slot = ESTA_TRY(find(value, Right::Revoke, context));
    const Handle& handle = slot->handle;
    // The handle itself must be usable; REVOKE is required unless the caller is in the
    // issuer chain (it derived this capability or one of its ancestors).
    bool issuer = false;
    for (const CapNode* node = &handle.node(); node; node = node->parent()) {
        if (node->issuer() == m_owner) issuer = true;
    }
    Rights required = issuer ? Rights::none() : Rights(Right::Revoke);
    // Revoking spends no use, so a capability whose uses are spent still revokes.
    ESTA_TRY(m_tree.check(handle.node(), std::nullopt, required, context, CapTree::UseCheck::Skip));
    return m_tree.revoke(handle.node_ref(), RevokeScope::Descendants, m_owner, context.now, budget);
}

}  // namespace esta::kernel
