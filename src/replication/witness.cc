#include "replication/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace esta::replication {

Result<Lease> MemoryWitness::acquire(u64 node) {
    if (m_holder == node) return Lease{m_epoch};
    if (m_holder) {
        return Err(Status::Unavailable, "witness: the lease is held", Detail{.actual = *m_holder});
    }
    m_holder = node;
    ++m_grants;
    return Lease{++m_epoch};
}

void MemoryWitness::release(u64 node) {
    if (m_holder == node) m_holder.reset();
}

LockFileWitness::~LockFileWitness() {
    if (m_fd >= 0) ::close(m_fd);
}

Result<Lease> LockFileWitness::acquire(u64 node) {
    if (m_fd >= 0) {
        if (m_node == node) return m_lease;
        return Err(Status::Unavailable, "witness: held by this process for another node");
    }
    int fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Err(Status::IoError, "witness: open", Detail{.actual = u64(errno)});
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK) return Err(Status::Unavailable, "witness: the lease is held");
        return Err(Status::IoError, "witness: flock", Detail{.actual = u64(error)});
    }
    u8 bytes[8] = {};
    ssize_t got = ::pread(fd, bytes, sizeof bytes, 0);
    u64 epoch = 0;
    if (got == static_cast<ssize_t>(sizeof bytes)) {
        for (int i = 7; i >= 0; --i)
            epoch = (epoch << 8) | bytes[i];
    }
    ++epoch;
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<u8>(epoch >> (8 * i));
    if (::pwrite(fd, bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes) ||
        ::fsync(fd) != 0) {
        ::close(fd);
        return Err(Status::IoError, "witness: writing the epoch");
    }
    m_fd = fd;
    m_node = node;
    m_lease = Lease{epoch};
    return m_lease;
}

void LockFileWitness::release(u64 node) {
    if (m_fd < 0 || m_node != node) return;
    ::close(m_fd);  // Closing the descriptor drops the lock.
    m_fd = -1;
}

}  // namespace esta::replication
