#include "drivers/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace esta::drivers {

namespace {

struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Result<std::string> read_secret(const SecretRef& ref) {
    switch (ref.source) {
        case SecretRef::Source::None:
            return std::string();
        case SecretRef::Source::Environment: {
            const char* value = std::getenv(ref.name.c_str());
            if (value == nullptr) return Err(Status::NotFound, "secret.env_absent");
            return std::string(value);
        }
        case SecretRef::Source::File:
            break;
    }
    FdCloser file{::open(ref.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (file.fd < 0) {
        return Err(errno == ENOENT ? Status::NotFound : Status::IoError, "secret.open",
                   Detail{.actual = static_cast<u64>(errno)});
    }
    // Checked on the opened descriptor, so a file swapped after the check cannot slip in.
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) return Err(Status::IoError, "secret.stat");
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        return Err(Status::AccessDenied, "secret.file_permissions",
                   Detail{.actual = static_cast<u64>(info.st_mode & 0777)});
    }
    std::string secret;
    char buffer[512];
    for (;;) {
        ssize_t got = ::read(file.fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Err(Status::IoError, "secret.read");
        if (got == 0) break;
        secret.append(buffer, static_cast<std::size_t>(got));
        if (secret.size() > 64 * 1024) return Err(Status::Invalid, "secret.too_large");
    }
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
        secret.pop_back();
    return secret;
}

}  // namespace esta::drivers
