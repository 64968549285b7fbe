#include "protocol/dedup_store.h"

namespace esta::protocol {

Result<DedupStore> DedupStore::create(const Clock& clock, DedupOptions options) {
    if (options.ttl <= 0 || options.max_entries == 0) {
        return Err(Status::InvalidArgs, "dedup.bad_options");
    }
    return DedupStore(clock, options);
}

std::optional<DedupStore::Hit> DedupStore::find(const std::string& scope,
                                                const std::string& key) const {
    const auto found = m_entries.find(Key{scope, key});
    if (found == m_entries.end() || found->second.expires_at <= m_clock->now_ns()) {
        return std::nullopt;
    }
    return Hit{found->second.processed_at, found->second.result};
}

std::size_t DedupStore::evict_expired() {
    const Nanos now = m_clock->now_ns();
    std::size_t evicted = 0;
    // An injected clock may step back, so an older entry can outlive a newer one: check
    // every entry. This runs only when the store is full or on request.
    for (auto it = m_by_age.begin(); it != m_by_age.end();) {
        const auto entry = m_entries.find(*it);
        if (entry->second.expires_at <= now) {
            m_entries.erase(entry);
            it = m_by_age.erase(it);
            ++evicted;
        } else {
            ++it;
        }
    }
    return evicted;
}

void DedupStore::record(const std::string& scope, const std::string& key, std::vector<u8> result) {
    const Nanos now = m_clock->now_ns();
    Key full_key{scope, key};
    if (const auto found = m_entries.find(full_key); found != m_entries.end()) {
        m_by_age.erase(found->second.age);
        m_entries.erase(found);
    }
    if (m_entries.size() >= m_options.max_entries) evict_expired();
    while (m_entries.size() >= m_options.max_entries) {
        m_entries.erase(m_by_age.front());
        m_by_age.pop_front();
    }
    m_by_age.push_back(full_key);
    Nanos expires_at = 0;
    if (__builtin_add_overflow(now, m_options.ttl, &expires_at)) expires_at = INT64_MAX;
    m_entries.emplace(std::move(full_key),
                      Entry{now, expires_at, std::move(result), std::prev(m_by_age.end())});
}

}  // namespace esta::protocol
