// DirtyPageTracker (REQUIREMENTS K-60): which 4 KiB pages of a replica's memory one message
// wrote, so the lockstep comparison hashes only those. 4 KiB, not the 64 KiB wasm page:
// a message typically touches a few kilobytes in a page or two, and hashing whole wasm
// pages made the digest the largest cost of a lockstep message. The engine feeds it: every store,
// memory.fill/copy/ init and memory.grow of a replica's LinearMemory calls note_write(address,
// length) (or the engine marks pages from its own write barrier / mprotect fault handler); the
// kernel calls digest() at the end of the message and clear() before the next.
//
// The digest covers, in ascending page order, each dirty page's index and its full contents
// after the message, plus the memory's wasm page count, so a replica that grew differently or
// wrote a different page diverges even if the bytes happen to match.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/types.h"
#include "observe/crypto.h"

namespace esta::kernel {

inline constexpr u64 kWasmPageBytes = 65536;
inline constexpr u64 kDirtyPageBytes = 4096;  // The tracking granularity ("page" below).

class DirtyPageTracker {
  public:
    // Marks the pages [address, address + length) touches. Length 0 marks nothing.
    void note_write(u64 address, u64 length);
    void note_page(u64 page);
    void clear();
    // Marks every page whose bytes differ between `before` (the last released state) and
    // `after` (a replica now), and every page `after` has beyond `before`. Comparing with
    // the released copy instead of trapping writes keeps the interpreter's stores as they
    // are, and it also finds a page changed by a fault rather than by a store.
    void note_diff(ByteSpan before, ByteSpan after);

    bool dirty(u64 page) const { return page < m_bits.size() && m_bits[page]; }
    u64 dirty_count() const { return m_dirty.size(); }
    // Dirty page indices in ascending order.
    std::vector<u64> pages() const;
    // SHA-256 over (wasm page count, then index and bytes of each dirty page). Pages beyond the
    // end of `memory` (the memory shrank, which wasm cannot do, or a bug) hash as absent.
    observe::Digest digest(ByteSpan memory) const;

    // Whether `other` marked the same pages and `memory` (this tracker's replica) equals
    // `other_memory` on every one of them, with the same size: two replicas in this process
    // are compared byte for byte, which costs a memcmp instead of a digest of each.
    bool same_pages(ByteSpan memory, const DirtyPageTracker& other, ByteSpan other_memory) const;

  private:
    std::vector<bool> m_bits;  // One per page ever touched; grows on demand.
    std::vector<u64> m_dirty;  // Pages marked since clear(), in marking order.
};

}  // namespace esta::kernel
