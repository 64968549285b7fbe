// Handle: the move-only owner of one capability (a CapNode), living in a process's
// HandleTable or inside a message in flight (STYLE.md, "Kernel objects and handles").
// Dropping a handle lets go of its object; the object's on_zero_handles() runs when the
// last capability reaching it is gone. A HandleValue is what a guest sees: a slot index
// plus a generation, so a stale or forged value fails with BAD_HANDLE (REQUIREMENTS K-10).
#pragma once

#include "base/strong_id.h"
#include "kernel/cap_node.h"

namespace esta::kernel {

struct HandleValueTag {};
// ABI encoding (an i32 > 0, never 0): generation in bits 16..30, slot index in bits 0..15.
using HandleValue = StrongId<HandleValueTag, u32>;

inline constexpr u32 kHandleSlotBits = 16;
inline constexpr u32 kMaxHandleSlots = u32{1} << kHandleSlotBits;
inline constexpr u32 kMaxHandleGeneration = (u32{1} << 15) - 1;
// ABI v1: the handles one message (send) or one answer (reply) moves.
inline constexpr u32 kMaxMessageHandles = 4;

constexpr HandleValue make_handle_value(u32 slot, u32 generation) {
    return HandleValue((generation << kHandleSlotBits) | slot);
}
constexpr u32 handle_slot(HandleValue value) {
    return value.value() & (kMaxHandleSlots - 1);
}
constexpr u32 handle_generation(HandleValue value) {
    return value.value() >> kHandleSlotBits;
}

class Handle {
  public:
    Handle() = default;
    Handle(Handle&& other) noexcept = default;
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            m_node = std::move(other.m_node);
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { reset(); }

    // Drops the capability's hold on its object now (the node may live on while derived
    // capabilities point at it).
    void reset() {
        if (!m_node) return;
        m_node->detach_object();
        m_node.reset();
    }

    bool valid() const { return static_cast<bool>(m_node); }
    CapNode& node() const { return *m_node; }
    const Ref<CapNode>& node_ref() const { return m_node; }
    Rights rights() const { return m_node->rights(); }
    ObjectType type() const { return m_node->type(); }
    const Ref<KernelObject>& object() const { return m_node->object(); }

  private:
    friend class CapTree;
    explicit Handle(Ref<CapNode> node) : m_node(std::move(node)) {}

    Ref<CapNode> m_node;
};

}  // namespace esta::kernel
