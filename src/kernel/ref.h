// Ref<T>: an intrusive reference count for kernel objects and capability nodes, which
// handles in several processes point at (STYLE.md, "Ownership"). The count is atomic
// because scheduler threads on different cores drop references; everything else about an
// object is guarded by whoever owns it. make_ref<T>() is the only way to create one.
#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "base/assert.h"
#include "base/types.h"

namespace esta::kernel {

template <class T>
class Ref;

class RefCounted {
  public:
    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;
    u32 ref_count() const { return m_ref_count.load(std::memory_order_relaxed); }

  protected:
    RefCounted() = default;
    virtual ~RefCounted() = default;

  private:
    template <class T>
    friend class Ref;

    void retain() const { m_ref_count.fetch_add(1, std::memory_order_relaxed); }
    // True when this was the last reference: the caller then destroys the object.
    bool release() const {
        u32 before = m_ref_count.fetch_sub(1, std::memory_order_acq_rel);
        ESTA_ASSERT(before > 0);
        return before == 1;
    }

    mutable std::atomic<u32> m_ref_count{0};
};

template <class T>
class Ref {
  public:
    Ref() = default;
    Ref(std::nullptr_t) {}  // NOLINT: implicit, like a null pointer
    // Shares an object something else already keeps alive (a borrow becoming an owner).
    explicit Ref(T* object) : m_object(object) {
        if (m_object) m_object->retain();
    }
    Ref(const Ref& other) : Ref(other.m_object) {}
    Ref(Ref&& other) noexcept : m_object(std::exchange(other.m_object, nullptr)) {}
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    Ref(const Ref<U>& other) : Ref(other.get()) {}  // NOLINT: implicit upcast
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    Ref(Ref<U>&& other) noexcept : m_object(other.leak_for_move()) {}  // NOLINT: upcast
    ~Ref() { reset(); }

    Ref& operator=(Ref other) noexcept {
        std::swap(m_object, other.m_object);
        return *this;
    }

    void reset() {
        T* object = std::exchange(m_object, nullptr);
        if (object && object->release()) delete object;  // The last reference owns it.
    }

    T* get() const { return m_object; }
    T* operator->() const {
        ESTA_ASSERT(m_object);
        return m_object;
    }
    T& operator*() const {
        ESTA_ASSERT(m_object);
        return *m_object;
    }
    explicit operator bool() const { return m_object != nullptr; }
    template <class U>
    bool operator==(const Ref<U>& other) const {
        return m_object == other.get();
    }
    bool operator==(std::nullptr_t) const { return m_object == nullptr; }

    // Hands the reference over without touching the count (converting moves, downcast).
    T* leak_for_move() { return std::exchange(m_object, nullptr); }
    // Takes over a reference someone already counted (the other half of leak_for_move).
    static Ref adopt(T* object) {
        Ref ref;
        ref.m_object = object;
        return ref;
    }

  private:
    T* m_object = nullptr;
};

template <class T, class... Args>
Ref<T> make_ref(Args&&... args) {
    return Ref<T>(new T(std::forward<Args>(args)...));  // Owned by the Ref from here on.
}

}  // namespace esta::kernel
