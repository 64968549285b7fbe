#include "observe/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace esta::observe {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        m_fd = other.release();
    }
    return *this;
}

void UniqueFd::reset() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

Result<UniqueFd> open_append(const std::string& path, unsigned mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
    if (fd < 0) return Err(Status::IoError, "file.open_append");
    return UniqueFd(fd);
}

Result<void> write_all(int fd, ByteSpan bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t written = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (written < 0) {
            if (errno == EINTR) continue;
            return Err(Status::IoError, "file.write", {.offset = done});
        }
        done += static_cast<std::size_t>(written);
    }
    return Ok();
}

Result<void> sync_file(int fd) {
    if (::fdatasync(fd) != 0) return Err(Status::IoError, "file.sync");
    return Ok();
}

Result<std::vector<u8>> read_whole_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Err(errno == ENOENT ? Status::NotFound : Status::IoError, "file.open");
    std::vector<u8> bytes;
    u8 buffer[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            return Err(Status::IoError, "file.read");
        }
        if (got == 0) break;
        bytes.insert(bytes.end(), buffer, buffer + got);
    }
    return bytes;
}

}  // namespace esta::observe
