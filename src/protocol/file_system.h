// FileSystem: the narrow file layer under the journal and the dead-letter queue. Two
// implementations: PosixFileSystem (the real one) and MemoryFileSystem (memory_file_system.h),
// which injects power loss, torn pages and a full disk for the P-8 tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

namespace esta::protocol {

// A file opened for appending. Nothing is durable until sync() returns.
class AppendFile {
  public:
    virtual ~AppendFile() = default;
    // Appends all of `bytes` or fails. On failure a prefix may have been written (as
    // write(2) does on a full disk); the caller truncates back to size() from before.
    // A full disk is Status::Limit with context "fs.no_space".
    virtual Result<void> append(ByteSpan bytes) = 0;
    // Makes every appended byte durable (fsync).
    virtual Result<void> sync() = 0;
    // Cuts the file to `size` bytes (size <= current size).
    virtual Result<void> truncate(u64 size) = 0;
    // Bytes in the file, durable or not.
    virtual u64 size() const = 0;
};

class FileSystem {
  public:
    virtual ~FileSystem() = default;
    // Opens `path` for appending, creating it empty when missing.
    virtual Result<std::unique_ptr<AppendFile>> open_append(const std::string& path) = 0;
    // The whole file, as much of it as exists (including bytes not yet synced).
    virtual Result<std::vector<u8>> read_file(const std::string& path) const = 0;
    // Names (not paths) of the regular files directly in `directory`, unsorted.
    virtual Result<std::vector<std::string>> list_files(const std::string& directory) const = 0;
    virtual Result<void> create_directories(const std::string& directory) = 0;
    virtual Result<void> remove_file(const std::string& path) = 0;
    // Makes creations and removals of entries in `directory` durable.
    virtual Result<void> sync_directory(const std::string& directory) = 0;
};

class PosixFileSystem final : public FileSystem {
  public:
    Result<std::unique_ptr<AppendFile>> open_append(const std::string& path) override;
    Result<std::vector<u8>> read_file(const std::string& path) const override;
    Result<std::vector<std::string>> list_files(const std::string& directory) const override;
    Result<void> create_directories(const std::string& directory) override;
    Result<void> remove_file(const std::string& path) override;
    Result<void> sync_directory(const std::string& directory) override;
};

// "dir/name", without doubling a trailing slash.
std::string join_path(const std::string& directory, const std::string& name);

}  // namespace esta::protocol
