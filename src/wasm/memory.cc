// LinearMemory: reserve once, commit as the memory grows (see memory.h).
#include "wasm/memory.h"

#include <sys/mman.h>

#include <algorithm>

namespace esta::wasm {

namespace {

// A memory with no pages still gets one page of reservation so its base is a real mapping.
u64 reservation_bytes(u32 max_pages) {
    return u64{std::max<u32>(max_pages, 1)} * kPageSize;
}

}  // namespace

Result<std::unique_ptr<LinearMemory>> LinearMemory::create(MemoryType type, u32 max_pages) {
    const u32 declared_max = type.limits.max.value_or(65536);
    const u32 limit = std::min({declared_max, max_pages, u32{65536}});
    if (type.limits.min > limit)
        return Err(Status::Limit, "memory: minimum exceeds the instance limit",
                   {.limit = limit, .actual = type.limits.min});
    const u64 reserved = reservation_bytes(limit);
    void* base =
        ::mmap(nullptr, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return Err(Status::IoError, "memory: reserve address space");
    std::unique_ptr<LinearMemory> memory(
        new LinearMemory(static_cast<u8*>(base), reserved, limit, type.limits.max));
    if (memory->grow(type.limits.min) < 0)
        return Err(Status::IoError, "memory: commit initial pages");
    return memory;
}

LinearMemory::~LinearMemory() {
    ::munmap(m_base, m_reserved);
}

i32 LinearMemory::grow(u32 delta_pages) {
    const u32 old_pages = pages();
    if (delta_pages > m_max_pages - old_pages) return -1;
    if (delta_pages == 0) return static_cast<i32>(old_pages);
    const u64 new_size = u64{old_pages + delta_pages} * kPageSize;
    // The pages were reserved at creation; committing them only changes their protection,
    // and fresh anonymous pages read as zero.
    if (::mprotect(m_base + m_size, new_size - m_size, PROT_READ | PROT_WRITE) != 0) return -1;
    m_size = new_size;
    return static_cast<i32>(old_pages);
}

Result<std::span<u8>> LinearMemory::span(u64 address, u64 length) {
    if (!in_bounds(address, length)) return Err(Status::OutOfBounds, "memory.span");
    return std::span<u8>(m_base + address, length);
}

Result<std::span<const u8>> LinearMemory::span(u64 address, u64 length) const {
    if (!in_bounds(address, length)) return Err(Status::OutOfBounds, "memory.span");
    return std::span<const u8>(m_base + address, length);
}

}  // namespace esta::wasm
