// LinearMemory: a memory instance (spec: meminst). Its pages are one reserved range of
// virtual address space sized to the largest size the memory may ever reach (the type's
// maximum capped by the instance limit, E-5), committed as it grows. The base address
// therefore never moves, which lets the interpreter cache it; the byte size changes only at
// memory.grow. Pages are zero-filled by the operating system.
// Spec: https://webassembly.github.io/spec/core/exec/runtime.html#memory-instances
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>

#include "base/result.h"
#include "base/types.h"
#include "wasm/types.h"

namespace esta::wasm {

class LinearMemory {
  public:
    // Reserves address space for min(type's max, max_pages) pages and commits the type's
    // minimum. Status::Limit when the minimum exceeds max_pages; Status::IoError when the
    // operating system refuses the reservation.
    static Result<std::unique_ptr<LinearMemory>> create(MemoryType type, u32 max_pages);
    ~LinearMemory();
    LinearMemory(const LinearMemory&) = delete;
    LinearMemory& operator=(const LinearMemory&) = delete;

    // The current type: minimum = current size in pages, maximum as declared (used to
    // match imports).
    MemoryType type() const { return MemoryType{Limits{pages(), m_declared_max}}; }
    u32 pages() const { return static_cast<u32>(m_size / kPageSize); }
    u64 size() const { return m_size; }
    u32 max_pages() const { return m_max_pages; }

    // Returns the old size in pages, or -1 when the new size would exceed the maximum
    // (declared or instance limit) or the system refuses to commit the pages. New pages
    // read as zero.
    i32 grow(u32 delta_pages);

    // True when [address, address + length) lies inside the memory (no overflow possible:
    // the operands are widened to 64 bits and the size is at most 4 GiB).
    bool in_bounds(u64 address, u64 length) const {
        return address <= m_size && length <= m_size - address;
    }

    // Little-endian loads and stores of numbers; Status::OutOfBounds outside the memory.
    template <class T>
    Result<T> read(u64 address) const {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!in_bounds(address, sizeof(T))) return Err(Status::OutOfBounds, "memory.read");
        T value;
        std::memcpy(&value, m_base + address, sizeof(T));
        return value;
    }
    template <class T>
    Result<void> write(u64 address, T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!in_bounds(address, sizeof(T))) return Err(Status::OutOfBounds, "memory.write");
        std::memcpy(m_base + address, &value, sizeof(T));
        return {};
    }

    // A checked view of [address, address + length). The span stays valid until the memory
    // is destroyed (the base never moves), but only its checked range may be used, and a
    // guest may change the bytes whenever it runs.
    Result<std::span<u8>> span(u64 address, u64 length);
    Result<std::span<const u8>> span(u64 address, u64 length) const;

    // Interpreter access: the base address and the current size in bytes.
    u8* base() const { return m_base; }
    const u64* size_pointer() const { return &m_size; }

  private:
    LinearMemory(u8* base, u64 reserved_bytes, u32 max_pages, std::optional<u32> declared_max)
        : m_base(base),
          m_reserved(reserved_bytes),
          m_max_pages(max_pages),
          m_declared_max(declared_max) {}

    u8* m_base;
    u64 m_reserved;  // Bytes of address space reserved at m_base.
    u64 m_size = 0;  // Committed and guest-visible bytes.
    u32 m_max_pages;
    std::optional<u32> m_declared_max;
};

}  // namespace esta::wasm
