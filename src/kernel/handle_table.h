// HandleTable: one process's capabilities, indexed by the small integers the guest sees
// (REQUIREMENTS K-10, K-14, K-17). get<T>() is the only lookup path; it runs the ABI's
// check order and reports the first failure: BAD_HANDLE, WRONG_TYPE, REVOKED, EXPIRED,
// RESTRICTED, ACCESS_DENIED, USES_EXHAUSTED. A check never consumes a use; the syscall
// calls consume_use() once the operation is performed, so a denied or failed call costs
// nothing (K-14).
//
// A handle value is a slot index plus the slot's generation; freeing a slot bumps its
// generation, and a slot whose generation is spent is retired rather than reused, so no
// value ever names two capabilities. Values mean nothing in another process's table.
//
// Not thread-safe: the owning process's syscalls and the capability lock serialize access.
#pragma once

#include <optional>
#include <vector>

#include "base/result.h"
#include "kernel/cap_tree.h"
#include "kernel/handle.h"

namespace esta::kernel {

struct HandleTableConfig {
    u32 max_handles = 1000;  // K-17, per process.
};

class HandleTable {
  public:
    // `tree` is the kernel's and outlives the table.
    HandleTable(CapTree& tree, ProcessId owner, HandleTableConfig config = {});
    HandleTable(const HandleTable&) = delete;
    HandleTable& operator=(const HandleTable&) = delete;

    ProcessId owner() const { return m_owner; }
    u32 size() const { return m_size; }
    u32 max_handles() const { return m_config.max_handles; }

    // Stores a handle (a grant, a derived handle, one received in a message). LIMIT when the
    // process already holds max_handles; the handle is then dropped.
    Result<HandleValue> insert(Handle handle);
    // Drops every handle, newest slot first (a process ending releases in reverse order).
    void clear();
    // Takes a handle out (cap_drop, or the sender's side of a move). BAD_HANDLE if absent.
    Result<Handle> remove(HandleValue value);

    // The only lookup path: the object behind `value` as a T, if every check passes.
    template <class T>
    Result<Ref<T>> get(HandleValue value, Rights required, const CheckContext& context) {
        auto object = ESTA_TRY(get_object(value, T::kType, required, context));
        return downcast<T>(std::move(object));
    }
    // The same checks for operations that accept several kinds (`type` nullopt = any).
    Result<Ref<KernelObject>> get_object(HandleValue value, std::optional<ObjectType> type,
                                         Rights required, const CheckContext& context);
    // Spends one use of the handle's shared budgets; call when the operation is performed.
    Result<void> consume_use(HandleValue value, const CheckContext& context);

    // The capability behind a value with no check but BAD_HANDLE (cap_info reports even a
    // revoked handle's kind and rights).
    Result<const Handle*> lookup(HandleValue value, const CheckContext& context);

    // cap_derive: a new handle in this table with `rights` ⊆ held and added restrictions.
    Result<HandleValue> derive(HandleValue value, Rights rights, Restrictions added,
                               const CheckContext& context);
    // spawn's derived grants: derive()'s checks, and a new handle given out (to another
    // process) rather than stored here.
    Result<void> check_derive(HandleValue value, Rights rights, const Restrictions& added,
                              const CheckContext& context);
    Result<Handle> derive_out(HandleValue value, Rights rights, Restrictions added,
                              const CheckContext& context);
    // Takes a handle out to move it inside a message: needs TRANSFER (and a usable
    // capability), checked in the ABI's order. The table is unchanged on failure.
    Result<Handle> take_for_transfer(HandleValue value, const CheckContext& context);
    // cap_revoke: revokes everything derived from the handle (not the handle itself), in up
    // to `budget` steps; Partial means call CapTree::resume_revoke with the node later.
    // Needs REVOKE, or the caller issued this capability or one of its ancestors (K-16).
    Result<RevokeProgress> revoke(HandleValue value, const CheckContext& context, u32 budget);

  private:
    struct Slot {
        Handle handle;
        u32 generation = 1;
    };

    Result<Slot*> find(HandleValue value, Rights asked, const CheckContext& context);

    CapTree& m_tree;
    ProcessId m_owner;
    HandleTableConfig m_config;
    std::vector<Slot> m_slots;
    std::vector<u32> m_free;  // LIFO, so reuse order is deterministic.
    u32 m_size = 0;
};

}  // namespace esta::kernel
