#include "kernel/redundancy/dirty_pages.h"

#include <algorithm>
#include <cstring>

namespace esta::kernel {

namespace {
void hash_u64(observe::Sha256& hasher, u64 value) {
    u8 bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<u8>(value >> (8 * i));
    hasher.update(ByteSpan(bytes, 8));
}
}  // namespace

void DirtyPageTracker::note_page(u64 page) {
    if (page >= m_bits.size()) m_bits.resize(page + 1, false);
    if (m_bits[page]) return;
    m_bits[page] = true;
    m_dirty.push_back(page);
}

void DirtyPageTracker::note_write(u64 address, u64 length) {
    if (length == 0) return;
    u64 first = address / kDirtyPageBytes;
    // Overflow-safe last byte: address + length - 1 cannot wrap for wasm32 addresses, but
    // a u64 caller might pass anything.
    u64 last_byte = length - 1 > ~u64{0} - address ? ~u64{0} : address + length - 1;
    u64 last = last_byte / kDirtyPageBytes;
    for (u64 page = first; page <= last; ++page)
        note_page(page);
}

void DirtyPageTracker::note_diff(ByteSpan before, ByteSpan after) {
    const u64 pages = (after.size() + kDirtyPageBytes - 1) / kDirtyPageBytes;
    for (u64 page = 0; page < pages; ++page) {
        const u64 begin = page * kDirtyPageBytes;
        const u64 length = std::min<u64>(kDirtyPageBytes, after.size() - begin);
        if (begin + length > before.size() ||
            std::memcmp(before.data() + begin, after.data() + begin, length) != 0)
            note_page(page);
    }
}

void DirtyPageTracker::clear() {
    for (u64 page : m_dirty)
        m_bits[page] = false;
    m_dirty.clear();
}

std::vector<u64> DirtyPageTracker::pages() const {
    std::vector<u64> sorted = m_dirty;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

bool DirtyPageTracker::same_pages(ByteSpan memory, const DirtyPageTracker& other,
                                  ByteSpan other_memory) const {
    if (memory.size() != other_memory.size() || m_dirty.size() != other.m_dirty.size())
        return false;
    for (u64 page : m_dirty) {
        if (!other.dirty(page)) return false;
        const u64 begin = page * kDirtyPageBytes;
        if (begin >= memory.size()) continue;
        const u64 length = std::min<u64>(kDirtyPageBytes, memory.size() - begin);
        if (std::memcmp(memory.data() + begin, other_memory.data() + begin, length) != 0)
            return false;
    }
    return true;
}

observe::Digest DirtyPageTracker::digest(ByteSpan memory) const {
    observe::Sha256 hasher;
    hash_u64(hasher, memory.size() / kWasmPageBytes);
    for (u64 page : pages()) {
        hash_u64(hasher, page);
        u64 begin = page * kDirtyPageBytes;
        if (begin >= memory.size()) continue;
        u64 length = std::min<u64>(kDirtyPageBytes, memory.size() - begin);
        hasher.update(memory.subspan(begin, length));
    }
    return hasher.finish();
}

}  // namespace esta::kernel
