// MemoryKv's snapshot (K-62), little-endian:
//
//   "EKV1", u64 entry count, then per entry in key order:
//   u32 key length, key, u8 kind (0 string, 1 hash), u8 has_expiry, [i64 expires_at],
//   string: u32 length, bytes | hash: u32 field count, per field u32 length, field,
//   u32 length, value
//
// The expiry stays on the clock the store was given (the nodes of a pair share wall time).
// Restoring never trusts a count or a length before checking it against what is present.
#include "drivers/embedded/memory_kv.h"

#include <cstring>

namespace esta::drivers {

namespace {

constexpr char kMagic[4] = {'E', 'K', 'V', '1'};

void put(std::vector<u8>& out, u64 value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

void put_text(std::vector<u8>& out, std::string_view text) {
    put(out, text.size(), 4);
    out.insert(out.end(), text.begin(), text.end());
}

Result<std::string> read_text(ByteReader& in) {
    u32 length = ESTA_TRY(in.read_u32_le());
    auto bytes = ESTA_TRY(in.read_bytes(length));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Error malformed(const char* what) {
    return Err(Status::Malformed, what);
}

}  // namespace

Result<std::vector<u8>> MemoryKv::snapshot() const {
    std::lock_guard lock(m_mutex);
    std::vector<u8> out(kMagic, kMagic + sizeof kMagic);
    put(out, m_entries.size(), 8);
    for (const auto& [key, entry] : m_entries) {
        put_text(out, key);
        const auto* text = std::get_if<std::string>(&entry.data);
        out.push_back(text ? 0 : 1);
        out.push_back(entry.expires_at ? 1 : 0);
        if (entry.expires_at) put(out, static_cast<u64>(*entry.expires_at), 8);
        if (text) {
            put_text(out, *text);
            continue;
        }
        const auto& hash = std::get<Hash>(entry.data);
        put(out, hash.size(), 4);
        for (const auto& [field, value] : hash) {
            put_text(out, field);
            put_text(out, value);
        }
    }
    return out;
}

Result<void> MemoryKv::restore(ByteSpan state) {
    ByteReader in(state);
    auto magic = in.read_bytes(sizeof kMagic);
    if (!magic || std::memcmp(magic->data(), kMagic, sizeof kMagic) != 0)
        return malformed("kv.snapshot: not a MemoryKv snapshot");
    auto count = in.read_u64_le();
    // Each entry takes at least 10 bytes: a count past that is a lie, not an allocation.
    if (!count || *count > in.remaining() / 10) return malformed("kv.snapshot: a bad entry count");
    std::map<std::string, Entry> entries;
    for (u64 i = 0; i < *count; ++i) {
        auto key = read_text(in);
        auto kind = in.read_u8();
        auto has_expiry = in.read_u8();
        if (!key || !kind || !has_expiry || *kind > 1 || *has_expiry > 1)
            return malformed("kv.snapshot: a truncated or bad entry");
        Entry entry;
        if (*has_expiry == 1) {
            auto at = in.read_u64_le();
            if (!at) return malformed("kv.snapshot: a truncated expiry");
            entry.expires_at = static_cast<Nanos>(*at);
        }
        if (*kind == 0) {
            auto text = read_text(in);
            if (!text) return malformed("kv.snapshot: a truncated value");
            entry.data = std::move(*text);
        } else {
            auto fields = in.read_u32_le();
            if (!fields || *fields > in.remaining() / 8)
                return malformed("kv.snapshot: a bad field count");
            Hash hash;
            for (u32 f = 0; f < *fields; ++f) {
                auto field = read_text(in);
                auto value = read_text(in);
                if (!field || !value) return malformed("kv.snapshot: a truncated field");
                hash.insert_or_assign(std::move(*field), std::move(*value));
            }
            entry.data = std::move(hash);
        }
        if (!entries.emplace(std::move(*key), std::move(entry)).second)
            return malformed("kv.snapshot: a key twice");
    }
    if (!in.at_end()) return malformed("kv.snapshot: bytes after the last entry");
    std::lock_guard lock(m_mutex);
    m_entries = std::move(entries);
    return Ok();
}

}  // namespace esta::drivers
