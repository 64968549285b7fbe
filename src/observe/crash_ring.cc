#include "observe/crash_ring.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace esta::observe {

namespace {

bool write_fully(int fd, const char* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
    return true;
}

}  // namespace

CrashRing::CrashRing(std::size_t slots, std::size_t slot_bytes)
    : m_slots(std::max<std::size_t>(slots, 1)),
      m_slot_bytes(std::clamp<std::size_t>(slot_bytes, 1, kMaxSlotBytes)),
      m_bytes(std::make_unique<char[]>(m_slots * m_slot_bytes)),
      m_lengths(std::make_unique<u32[]>(m_slots)),
      m_sequence(std::make_unique<std::atomic<u64>[]>(m_slots)) {}

bool CrashRing::push(std::string_view line) {
    if (line.size() > m_slot_bytes) return false;
    const u64 n = m_pushed.load(std::memory_order_relaxed);
    const std::size_t slot = static_cast<std::size_t>(n % m_slots);
    m_sequence[slot].store(2 * n + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(m_bytes.get() + slot * m_slot_bytes, line.data(), line.size());
    m_lengths[slot] = static_cast<u32>(line.size());
    m_sequence[slot].store(2 * n + 2, std::memory_order_release);
    m_pushed.store(n + 1, std::memory_order_release);
    return true;
}

std::size_t CrashRing::dump_to_fd(int fd) const noexcept {
    char copy[kMaxSlotBytes];
    const u64 end = m_pushed.load(std::memory_order_acquire);
    const u64 begin = end > m_slots ? end - m_slots : 0;
    std::size_t written = 0;
    for (u64 n = begin; n < end; ++n) {
        const std::size_t slot = static_cast<std::size_t>(n % m_slots);
        if (m_sequence[slot].load(std::memory_order_acquire) != 2 * n + 2) continue;
        const std::size_t length = std::min<std::size_t>(m_lengths[slot], m_slot_bytes);
        std::memcpy(copy, m_bytes.get() + slot * m_slot_bytes, length);
        std::atomic_thread_fence(std::memory_order_acquire);
        // Overwritten while copied (a writer still running on another thread): skipped.
        if (m_sequence[slot].load(std::memory_order_relaxed) != 2 * n + 2) continue;
        if (!write_fully(fd, copy, length)) break;
        ++written;
    }
    return written;
}

}  // namespace esta::observe
