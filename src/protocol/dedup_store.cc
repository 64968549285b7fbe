#include "protocol/dedup_store.h"

#include "protocol/byte_writer.h"

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
    insert(Key{scope, key}, m_clock->now_ns(), std::move(result));
}

void DedupStore::restore(const std::string& scope, const std::string& key, Nanos processed_at,
                         std::vector<u8> result) {
    Nanos expires_at = 0;
    if (!__builtin_add_overflow(processed_at, m_options.ttl, &expires_at) &&
        expires_at <= m_clock->now_ns()) {
        return;
    }
    insert(Key{scope, key}, processed_at, std::move(result));
}

void DedupStore::insert(Key key, Nanos processed_at, std::vector<u8> result) {
    if (const auto found = m_entries.find(key); found != m_entries.end()) {
        m_by_age.erase(found->second.age);
        m_entries.erase(found);
    }
    if (m_entries.size() >= m_options.max_entries) evict_expired();
    while (m_entries.size() >= m_options.max_entries) {
        m_entries.erase(m_by_age.front());
        m_by_age.pop_front();
    }
    m_by_age.push_back(key);
    Nanos expires_at = 0;
    if (__builtin_add_overflow(processed_at, m_options.ttl, &expires_at)) expires_at = INT64_MAX;
    m_entries.emplace(std::move(key), Entry{processed_at, expires_at, std::move(result),
                                            std::prev(m_by_age.end())});
}

std::vector<u8> encode_dedup_entry(const DedupEntry& entry) {
    std::vector<u8> out;
    ByteWriter writer(out);
    writer.put_string(entry.scope);
    writer.put_string(entry.key);
    writer.put_i64(entry.processed_at);
    writer.put_blob(ByteSpan(entry.result));
    return out;
}

Result<DedupEntry> decode_dedup_entry(ByteSpan bytes) {
    ByteReader reader(bytes);
    DedupEntry entry;
    auto read_text = [&reader]() -> Result<std::string> {
        const u32 size = ESTA_TRY(reader.read_u32_le());
        const ByteSpan text = ESTA_TRY(reader.read_bytes(size));
        return std::string(text.begin(), text.end());
    };
    entry.scope = ESTA_TRY(read_text());
    entry.key = ESTA_TRY(read_text());
    entry.processed_at = ESTA_TRY(reader.read_le<i64>());
    const u32 size = ESTA_TRY(reader.read_u32_le());
    const ByteSpan result = ESTA_TRY(reader.read_bytes(size));
    entry.result.assign(result.begin(), result.end());
    if (!reader.at_end()) return Err(Status::Malformed, "dedup.bad_entry");
    return entry;
}

}  // namespace esta::protocol
