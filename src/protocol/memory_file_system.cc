#include "protocol/memory_file_system.h"

#include <algorithm>

namespace esta::protocol {

namespace {
std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}
}  // namespace

class MemoryAppendFile final : public AppendFile {
  public:
    MemoryAppendFile(MemoryFileSystem& owner, std::shared_ptr<MemoryFileSystem::FileState> state)
        : m_owner(owner), m_state(std::move(state)), m_generation(m_state->generation) {}

    Result<void> append(ByteSpan bytes) override {
        ESTA_TRY(check_live());
        const u64 used = m_owner.used_bytes();
        const u64 room = m_owner.m_capacity > used ? m_owner.m_capacity - used : 0;
        const u64 fits = std::min<u64>(room, bytes.size());
        m_state->data.insert(m_state->data.end(), bytes.begin(), bytes.begin() + fits);
        if (fits < bytes.size()) {
            return Err(Status::Limit, "fs.no_space",
                       Detail{.limit = m_owner.m_capacity, .actual = used + bytes.size()});
        }
        return Ok();
    }

    Result<void> sync() override {
        ESTA_TRY(check_live());
        m_state->synced = m_state->data.size();
        return Ok();
    }

    Result<void> truncate(u64 size) override {
        ESTA_TRY(check_live());
        ESTA_ASSERT(size <= m_state->data.size());
        m_state->data.resize(size);
        // Modelled as durable at once; the journal syncs right after truncating anyway.
        m_state->synced = std::min(m_state->synced, size);
        return Ok();
    }

    u64 size() const override { return m_state->data.size(); }

  private:
    Result<void> check_live() const {
        if (m_state->generation != m_generation) return Err(Status::IoError, "fs.stale_handle");
        return Ok();
    }

    MemoryFileSystem& m_owner;
    std::shared_ptr<MemoryFileSystem::FileState> m_state;
    u64 m_generation;
};

u64 MemoryFileSystem::used_bytes() const {
    u64 used = 0;
    for (const auto& [path, state] : m_files)
        used += state->data.size();
    return used;
}

Result<std::unique_ptr<AppendFile>> MemoryFileSystem::open_append(const std::string& path) {
    if (!m_directories.contains(parent_of(path))) return Err(Status::NotFound, "fs.open");
    auto& state = m_files[path];
    if (!state) {
        state = std::make_shared<FileState>();
        state->generation = m_generation;
    }
    return std::unique_ptr<AppendFile>(std::make_unique<MemoryAppendFile>(*this, state));
}

Result<std::vector<u8>> MemoryFileSystem::read_file(const std::string& path) const {
    const auto found = m_files.find(path);
    if (found == m_files.end()) return Err(Status::NotFound, "fs.open");
    return found->second->data;
}

Result<std::vector<std::string>> MemoryFileSystem::list_files(const std::string& directory) const {
    if (!m_directories.contains(directory)) return Err(Status::NotFound, "fs.list");
    std::vector<std::string> names;
    for (const auto& [path, state] : m_files) {
        if (parent_of(path) == directory) names.push_back(path.substr(directory.size() + 1));
    }
    return names;
}

Result<void> MemoryFileSystem::create_directories(const std::string& directory) {
    // Directories themselves are modelled as always durable.
    m_directories.insert(directory);
    return Ok();
}

Result<void> MemoryFileSystem::remove_file(const std::string& path) {
    if (m_files.erase(path) == 0) return Err(Status::NotFound, "fs.unlink");
    return Ok();
}

Result<void> MemoryFileSystem::sync_directory(const std::string& directory) {
    for (auto& [path, state] : m_files) {
        if (parent_of(path) == directory) state->entry_durable = true;
    }
    return Ok();
}

void MemoryFileSystem::crash(DeterministicRng& rng, Tear tear) {
    ++m_generation;
    for (auto it = m_files.begin(); it != m_files.end();) {
        FileState& state = *it->second;
        if (!state.entry_durable) {
            it = m_files.erase(it);
            continue;
        }
        // Pages reach the disk in order, so some prefix of the unsynced tail survives.
        const u64 unsynced = state.data.size() - state.synced;
        const u64 kept = state.synced + rng.next_below(unsynced + 1);
        const bool torn = kept < state.data.size() && tear != Tear::None;
        state.data.resize(kept);
        if (torn) {
            // The last page was being written when power failed: its end holds junk.
            const u64 page_end = (kept / kPageBytes + 1) * kPageBytes;
            const u64 junk = rng.next_below(page_end - kept + 1);
            for (u64 i = 0; i < junk; ++i) {
                state.data.push_back(tear == Tear::Zeros ? u8{0} : static_cast<u8>(rng.next_u64()));
            }
        }
        state.synced = state.data.size();
        state.generation = m_generation;
        ++it;
    }
}

std::vector<u8>* MemoryFileSystem::bytes_of(const std::string& path) {
    const auto found = m_files.find(path);
    return found == m_files.end() ? nullptr : &found->second->data;
}

}  // namespace esta::protocol
