// MemoryFileSystem: an in-memory FileSystem that models what survives a power loss (P-8).
// Each file keeps the bytes written and how many of them a sync made durable; a directory
// entry becomes durable when its directory is synced. crash() then throws away what the
// disk never promised: unsynced file tails (keeping a random prefix, as pages reach the
// disk in order) and entries never made durable, and may tear the last page (the rest of
// it filled with zeros or garbage). A capacity simulates a full disk (ENOSPC).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "protocol/file_system.h"
#include "protocol/prng.h"

namespace esta::protocol {

class MemoryFileSystem final : public FileSystem {
  public:
    static constexpr u64 kPageBytes = 4096;

    Result<std::unique_ptr<AppendFile>> open_append(const std::string& path) override;
    Result<std::vector<u8>> read_file(const std::string& path) const override;
    Result<std::vector<std::string>> list_files(const std::string& directory) const override;
    Result<void> create_directories(const std::string& directory) override;
    Result<void> remove_file(const std::string& path) override;
    Result<void> sync_directory(const std::string& directory) override;

    // Total bytes all files may hold; an append beyond it writes what fits, then fails
    // with Limit "fs.no_space". Unlimited by default.
    void set_capacity(u64 bytes) { m_capacity = bytes; }

    enum class Tear : u8 { None, Zeros, Garbage };
    // Simulates power loss. Open AppendFiles must not be used afterwards (they report
    // IoError "fs.stale_handle").
    void crash(DeterministicRng& rng, Tear tear);

    // Test access to the raw bytes: corrupt or cut a file as a disk might.
    std::vector<u8>* bytes_of(const std::string& path);

  private:
    struct FileState {
        std::vector<u8> data;
        u64 synced = 0;  // Bytes made durable by sync().
        bool entry_durable = false;
        u64 generation = 0;  // Bumped by crash(): stale handles stop working.
    };
    friend class MemoryAppendFile;

    u64 used_bytes() const;

    std::map<std::string, std::shared_ptr<FileState>> m_files;
    std::set<std::string> m_directories;
    u64 m_capacity = ~u64{0};
    u64 m_generation = 0;
};

}  // namespace esta::protocol
