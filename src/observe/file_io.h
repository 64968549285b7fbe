// Small POSIX file helpers for the append-only audit files: an owning descriptor, whole-file
// reads, and writes that retry short writes. Errors are values (IoError).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace esta::observe {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release() {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    void reset();

  private:
    int m_fd = -1;
};

// Opens `path` for appending, creating it with `mode` if needed.
Result<UniqueFd> open_append(const std::string& path, unsigned mode);
Result<void> write_all(int fd, ByteSpan bytes);
Result<void> sync_file(int fd);
Result<std::vector<u8>> read_whole_file(const std::string& path);

}  // namespace esta::observe
