#include "replication/epoch_file.h"

#include <unistd.h>

#include <cerrno>

namespace esta::replication {

Result<u64> read_epoch_at(int fd) {
    u8 bytes[8] = {};
    ssize_t got = ::pread(fd, bytes, sizeof bytes, 0);
    if (got < 0) return Err(Status::IoError, "epoch: read", Detail{.actual = u64(errno)});
    if (got != static_cast<ssize_t>(sizeof bytes)) return u64{0};
    u64 epoch = 0;
    for (int i = 7; i >= 0; --i)
        epoch = (epoch << 8) | bytes[i];
    return epoch;
}

Result<void> write_epoch_at(int fd, u64 epoch) {
    u8 bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<u8>(epoch >> (8 * i));
    if (::pwrite(fd, bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes) ||
        ::fsync(fd) != 0)
        return Err(Status::IoError, "epoch: write", Detail{.actual = u64(errno)});
    return Ok();
}

}  // namespace esta::replication
