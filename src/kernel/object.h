// KernelObject: the base of everything a handle can point at (STYLE.md, "Kernel objects
// and handles"). Only the kernel creates objects (REQUIREMENTS K-10); each names its exact
// resource (K-11: topic "decisions", not just "a topic"). Objects are shared through
// Ref<T>; the number of capabilities that reach an object is counted separately, and
// on_zero_handles() runs exactly once when the last one goes (dropped, revoked or torn
// down with its process), which is where an endpoint notices its last sender left.
#pragma once

#include <string>
#include <string_view>

#include "base/types.h"
#include "kernel/ids.h"
#include "kernel/object_type.h"
#include "kernel/ref.h"

namespace esta::kernel {

// The exact resource an object stands for. `custom_kind` is set only for ObjectType::Custom
// (so Custom("ledger") differs from Custom("queue")).
struct Resource {
    ObjectType type = ObjectType::Custom;
    std::string name;
    std::string custom_kind;

    // "topic:decisions", "custom(ledger):2026".
    std::string to_string() const;
    bool operator==(const Resource&) const = default;
};

// Hands out ObjectIds in creation order. One per kernel; not a global, so two kernels in
// one test never share ids.
class ObjectIdAllocator {
  public:
    ObjectId next() { return ObjectId(++m_last); }

  private:
    u64 m_last = 0;
};

class KernelObject : public RefCounted {
  public:
    ObjectId id() const { return m_id; }
    ObjectType type() const { return m_resource.type; }
    const Resource& resource() const { return m_resource; }
    // How many capabilities currently reach this object.
    u32 handle_count() const { return m_handle_count; }
    bool zero_handles_ran() const { return m_zero_handles_ran; }

  protected:
    KernelObject(ObjectId id, Resource resource) : m_id(id), m_resource(std::move(resource)) {}
    // Runs once, when the last capability reaching the object goes away. Not called for an
    // object that never had a handle. Must not fail; it may drop references.
    virtual void on_zero_handles() {}

  private:
    friend class CapNode;  // The only place that attaches and detaches capabilities.
    void attach_handle() { ++m_handle_count; }
    void detach_handle();

    ObjectId m_id;
    Resource m_resource;
    u32 m_handle_count = 0;
    bool m_zero_handles_ran = false;
};

// Ref<T> from a Ref<KernelObject> when the object is a T (checked through T::kType),
// a null Ref otherwise.
template <class T>
Ref<T> downcast(const Ref<KernelObject>& object) {
    if (!object || object->type() != T::kType) return nullptr;
    return Ref<T>(static_cast<T*>(object.get()));
}
// The same for a reference the caller gives up: no count changes (the syscall hot path).
template <class T>
Ref<T> downcast(Ref<KernelObject>&& object) {
    if (!object || object->type() != T::kType) return nullptr;
    return Ref<T>::adopt(static_cast<T*>(object.leak_for_move()));
}

}  // namespace esta::kernel
