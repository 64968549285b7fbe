#include "replication/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include "replication/epoch_file.h"

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
    auto stored = read_epoch_at(fd);
    u64 epoch = stored ? *stored + 1 : 0;
    // The holder's label follows the epoch, for `estalogic status` on either node.
    if (!stored || !write_epoch_at(fd, epoch) || ::ftruncate(fd, 8) != 0 ||
        ::pwrite(fd, m_label.data(), m_label.size(), 8) != static_cast<ssize_t>(m_label.size())) {
        ::close(fd);
        return Err(Status::IoError, "witness: writing the epoch");
    }
    m_fd = fd;
    m_node = node;
    m_lease = Lease{epoch};
    return m_lease;
}

Result<LeaseView> LockFileWitness::peek(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Err(Status::NotFound, "witness: no lock file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LeaseView view;
    if (bytes.size() < 8) return view;
    for (int i = 7; i >= 0; --i)
        view.epoch = (view.epoch << 8) | static_cast<u8>(bytes[static_cast<std::size_t>(i)]);
    view.holder = bytes.substr(8);
    return view;
}

void LockFileWitness::release(u64 node) {
    if (m_fd < 0 || m_node != node) return;
    ::close(m_fd);  // Closing the descriptor drops the lock.
    m_fd = -1;
}

}  // namespace esta::replication
