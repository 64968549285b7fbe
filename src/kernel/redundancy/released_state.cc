#include "kernel/redundancy/released_state.h"

#include <algorithm>
#include <cstring>

#include "wasm/fault_hooks.h"

namespace esta::kernel {
namespace {

std::vector<std::array<u64, 2>> global_slots(const wasm::Instance& instance) {
    std::vector<std::array<u64, 2>> slots;
    for (wasm::GlobalInstance* global : wasm::instance_globals(instance))
        slots.push_back({global->slot()[0], global->slot()[1]});
    return slots;
}

ByteSpan memory_bytes(const wasm::Instance& instance) {
    const wasm::LinearMemory* memory = instance.memory(0);
    return memory == nullptr ? ByteSpan() : ByteSpan(memory->base(), memory->size());
}

}  // namespace

void ReleasedState::capture(const wasm::Instance& instance) {
    ByteSpan bytes = memory_bytes(instance);
    m_memory.assign(bytes.begin(), bytes.end());
    m_globals = global_slots(instance);
}

void ReleasedState::update(const wasm::Instance& instance, const DirtyPageTracker& dirty) {
    ByteSpan bytes = memory_bytes(instance);
    m_memory.resize(bytes.size(), 0);
    for (u64 page : dirty.pages()) {
        const u64 begin = page * kDirtyPageBytes;
        if (begin >= bytes.size()) continue;
        const u64 length = std::min<u64>(kDirtyPageBytes, bytes.size() - begin);
        std::memcpy(m_memory.data() + begin, bytes.data() + begin, length);
    }
    m_globals = global_slots(instance);
}

Result<void> ReleasedState::restore(wasm::Instance& instance) const {
    wasm::LinearMemory* memory = instance.memory(0);
    if (memory != nullptr) {
        if (memory->size() < m_memory.size()) {
            const u64 missing = (m_memory.size() - memory->size()) / kWasmPageBytes;
            if (memory->grow(static_cast<u32>(missing)) < 0)
                return Err(Status::Limit, "lockstep restore: memory.grow");
        }
        // Wasm memory cannot shrink: pages a failed attempt grew read as zero again.
        std::memcpy(memory->base(), m_memory.data(), m_memory.size());
        std::memset(memory->base() + m_memory.size(), 0, memory->size() - m_memory.size());
    }
    std::vector<wasm::GlobalInstance*> globals = wasm::instance_globals(instance);
    if (globals.size() != m_globals.size())
        return Err(Status::Internal, "lockstep restore: global count");
    for (std::size_t i = 0; i < globals.size(); ++i) {
        globals[i]->slot()[0] = m_globals[i][0];
        if (globals[i]->type().type == wasm::ValType::V128) globals[i]->slot()[1] = m_globals[i][1];
    }
    return {};
}

bool same_globals(const wasm::Instance& a, const wasm::Instance& b) {
    return global_slots(a) == global_slots(b);
}

observe::Digest globals_digest(const wasm::Instance& instance) {
    std::vector<std::array<u64, 2>> slots = global_slots(instance);
    return observe::sha256(
        ByteSpan(reinterpret_cast<const u8*>(slots.data()), slots.size() * sizeof(slots[0])));
}

}  // namespace esta::kernel
