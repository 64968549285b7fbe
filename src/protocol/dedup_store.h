// DedupStore (P-5): remembers the result of every message processed under an idempotency
// key, for a TTL and up to a bound, so a duplicate gets the stored result instead of being
// executed again (exactly-once). Keys are scoped (by tenant or sender), so equal keys of
// different scopes never collide. When full, the oldest entry goes first. O(log n) per
// operation; time from the injected clock. Single owner; not thread-safe.
#pragma once

#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/clock.h"

namespace esta::protocol {

struct DedupOptions {
    Nanos ttl = 24 * 3600 * kNanosPerSecond;
    std::size_t max_entries = 100'000;
};

class DedupStore {
  public:
    struct Hit {
        Nanos processed_at = 0;
        std::vector<u8> result;
    };

    // InvalidArgs when ttl <= 0 or max_entries == 0.
    static Result<DedupStore> create(const Clock& clock, DedupOptions options);

    // The stored result of `key` in `scope` if it was processed and has not expired.
    std::optional<Hit> find(const std::string& scope, const std::string& key) const;
    // Records the result of processing `key`; replaces an earlier entry for it. Expired
    // entries are dropped first, then the oldest while the store is full.
    void record(const std::string& scope, const std::string& key, std::vector<u8> result);
    // Re-inserts an entry recorded before a restart at `processed_at`; one already expired
    // is skipped. Rebuilding the store from the journal keeps exactly-once across crashes.
    void restore(const std::string& scope, const std::string& key, Nanos processed_at,
                 std::vector<u8> result);
    // Drops expired entries; returns how many.
    std::size_t evict_expired();

    std::size_t size() const { return m_entries.size(); }

  private:
    using Key = std::pair<std::string, std::string>;
    struct Entry {
        Nanos processed_at = 0;
        Nanos expires_at = 0;
        std::vector<u8> result;
        std::list<Key>::iterator age;  // Position in m_by_age.
    };

    DedupStore(const Clock& clock, DedupOptions options) : m_clock(&clock), m_options(options) {}
    void insert(Key key, Nanos processed_at, std::vector<u8> result);

    const Clock* m_clock;  // Borrowed; a pointer so the store stays movable.
    DedupOptions m_options;
    std::map<Key, Entry> m_entries;
    std::list<Key> m_by_age;  // Oldest first; with one TTL this is also expiry order.
};

// One processed message, as journaled (record type Output) so the store survives restarts:
// string scope, string key, i64 processed_at, u32 length and the result.
struct DedupEntry {
    std::string scope;
    std::string key;
    Nanos processed_at = 0;
    std::vector<u8> result;
    bool operator==(const DedupEntry&) const = default;
};
std::vector<u8> encode_dedup_entry(const DedupEntry& entry);
// Malformed "dedup.bad_entry" (or the reader's error) for bytes that are not an entry.
Result<DedupEntry> decode_dedup_entry(ByteSpan bytes);

}  // namespace esta::protocol
