#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "protocol/file_system.h"

namespace esta::protocol {

namespace {

Error io_error(const char* context, int error_number) {
    if (error_number == ENOSPC || error_number == EDQUOT) {
        return Err(Status::Limit, "fs.no_space", Detail{.actual = static_cast<u64>(error_number)});
    }
    if (error_number == ENOENT) {
        return Err(Status::NotFound, context, Detail{.actual = static_cast<u64>(error_number)});
    }
    return Err(Status::IoError, context, Detail{.actual = static_cast<u64>(error_number)});
}

// Owns a file descriptor; closes it exactly once.
class FileDescriptor {
  public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const { return m_fd; }

  private:
    int m_fd;
};

class PosixAppendFile final : public AppendFile {
  public:
    PosixAppendFile(int fd, u64 size) : m_fd(fd), m_size(size) {}

    Result<void> append(ByteSpan bytes) override {
        std::size_t written = 0;
        while (written < bytes.size()) {
            const ssize_t result =
                ::write(m_fd.get(), bytes.data() + written, bytes.size() - written);
            if (result < 0) {
                if (errno == EINTR) continue;
                return io_error("fs.write", errno);
            }
            written += static_cast<std::size_t>(result);
            m_size += static_cast<u64>(result);
        }
        return Ok();
    }

    Result<void> sync() override {
        if (::fdatasync(m_fd.get()) != 0) return io_error("fs.fsync", errno);
        return Ok();
    }

    Result<void> truncate(u64 size) override {
        if (::ftruncate(m_fd.get(), static_cast<off_t>(size)) != 0) {
            return io_error("fs.truncate", errno);
        }
        m_size = size;
        return Ok();
    }

    u64 size() const override { return m_size; }

  private:
    FileDescriptor m_fd;
    u64 m_size;
};

}  // namespace

std::string join_path(const std::string& directory, const std::string& name) {
    if (directory.empty()) return name;
    if (directory.back() == '/') return directory + name;
    return directory + "/" + name;
}

Result<std::unique_ptr<AppendFile>> PosixFileSystem::open_append(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("fs.open", errno);
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error_number = errno;
        ::close(fd);
        return io_error("fs.stat", error_number);
    }
    return std::unique_ptr<AppendFile>(
        std::make_unique<PosixAppendFile>(fd, static_cast<u64>(info.st_size)));
}

Result<std::vector<u8>> PosixFileSystem::read_file(const std::string& path) const {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return io_error("fs.open", errno);
    std::vector<u8> bytes;
    u8 buffer[1 << 16];
    for (;;) {
        const ssize_t result = ::read(fd.get(), buffer, sizeof buffer);
        if (result < 0) {
            if (errno == EINTR) continue;
            return io_error("fs.read", errno);
        }
        if (result == 0) break;
        bytes.insert(bytes.end(), buffer, buffer + result);
    }
    return bytes;
}

Result<std::vector<std::string>> PosixFileSystem::list_files(const std::string& directory) const {
    std::error_code error;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        if (entry.is_regular_file(error)) names.push_back(entry.path().filename().string());
    }
    if (error) return io_error("fs.list", error.value());
    return names;
}

Result<void> PosixFileSystem::create_directories(const std::string& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return io_error("fs.mkdir", error.value());
    return Ok();
}

Result<void> PosixFileSystem::remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0) return io_error("fs.unlink", errno);
    return Ok();
}

Result<void> PosixFileSystem::sync_directory(const std::string& directory) {
    FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return io_error("fs.open_dir", errno);
    if (::fsync(fd.get()) != 0) return io_error("fs.fsync_dir", errno);
    return Ok();
}

}  // namespace esta::protocol
