#include "kernel/runtime/watchdog.h"

#include "base/assert.h"

namespace esta::kernel {

Watchdog::Watchdog(u32 slots, Nanos limit) : m_limit(limit) {
    for (u32 i = 0; i < slots; ++i)
        m_slots.push_back(std::make_unique<Slot>());
}

const std::atomic<bool>* Watchdog::interrupt_flag(u32 slot) const {
    ESTA_ASSERT(slot < m_slots.size());
    return &m_slots[slot]->interrupt;
}

void Watchdog::begin(u32 slot, Nanos now) {
    ESTA_ASSERT(slot < m_slots.size());
    Slot& entry = *m_slots[slot];
    std::lock_guard<std::mutex> lock(entry.mutex);
    entry.active = true;
    entry.raised = false;
    entry.started = now;
    entry.interrupt.store(false);
}

void Watchdog::end(u32 slot) {
    ESTA_ASSERT(slot < m_slots.size());
    Slot& entry = *m_slots[slot];
    std::lock_guard<std::mutex> lock(entry.mutex);
    entry.active = false;
    entry.interrupt.store(false);
}

u32 Watchdog::check(Nanos now) {
    u32 raised = 0;
    for (auto& slot : m_slots) {
        std::lock_guard<std::mutex> lock(slot->mutex);
        if (!slot->active || slot->raised || now - slot->started <= m_limit) continue;
        slot->raised = true;
        slot->interrupt.store(true);
        ++raised;
    }
    m_fired.fetch_add(raised, std::memory_order_relaxed);
    return raised;
}

}  // namespace esta::kernel
