#include "replication/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <sstream>

namespace esta::replication {

namespace {

Error stale(u64 epoch, u64 current) {
    return Err(Status::Revoked, "ledger: stale epoch", Detail{.limit = current, .actual = epoch});
}

}  // namespace

Result<void> EffectLedger::fence(u64 epoch) {
    if (epoch < m_epoch) {
        ++m_refused;
        return stale(epoch, m_epoch);
    }
    m_epoch = epoch;
    return Ok();
}

Result<Applied> EffectLedger::apply(u64 epoch, u64 effect_id, ByteSpan effect) {
    if (epoch < m_epoch) {
        ++m_refused;
        return stale(epoch, m_epoch);
    }
    m_epoch = epoch;
    if (m_effects.contains(effect_id)) return Applied::Duplicate;
    m_effects.emplace(effect_id, std::vector<u8>(effect.begin(), effect.end()));
    return Applied::Applied;
}

namespace {

struct LedgerState {
    u64 epoch = 0;
    std::vector<u64> applied;
    std::set<u64> ids;
};

LedgerState read_state(int fd) {
    LedgerState state;
    std::string text;
    char buffer[4096];
    ssize_t n = 0;
    off_t offset = 0;
    while ((n = ::pread(fd, buffer, sizeof buffer, offset)) > 0) {
        text.append(buffer, static_cast<std::size_t>(n));
        offset += n;
    }
    std::istringstream lines(text);
    std::string kind;
    while (lines >> kind) {
        u64 epoch = 0;
        lines >> epoch;
        if (epoch > state.epoch) state.epoch = epoch;
        if (kind == "A") {
            u64 id = 0;
            lines >> id;
            state.applied.push_back(id);
            state.ids.insert(id);
        }
    }
    return state;
}

Result<void> append_line(int fd, const std::string& line) {
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(fd) != 0) {
        return Err(Status::IoError, "ledger: append");
    }
    return Ok();
}

class LockedFile {
  public:
    explicit LockedFile(const std::string& path)
        : m_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
        if (m_fd >= 0) ::flock(m_fd, LOCK_EX);
    }
    ~LockedFile() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int fd() const { return m_fd; }

  private:
    int m_fd;
};

}  // namespace

Result<void> FileLedger::fence(u64 epoch) {
    LockedFile file(m_path);
    if (file.fd() < 0) return Err(Status::IoError, "ledger: open");
    LedgerState state = read_state(file.fd());
    if (epoch < state.epoch) return stale(epoch, state.epoch);
    return append_line(file.fd(), "E " + std::to_string(epoch) + "\n");
}

Result<Applied> FileLedger::apply(u64 epoch, u64 effect_id) {
    LockedFile file(m_path);
    if (file.fd() < 0) return Err(Status::IoError, "ledger: open");
    LedgerState state = read_state(file.fd());
    if (epoch < state.epoch) return stale(epoch, state.epoch);
    if (state.ids.contains(effect_id)) return Applied::Duplicate;
    ESTA_TRY(append_line(file.fd(),
                         "A " + std::to_string(epoch) + " " + std::to_string(effect_id) + "\n"));
    return Applied::Applied;
}

Result<std::vector<u64>> FileLedger::applied() const {
    LockedFile file(m_path);
    if (file.fd() < 0) return Err(Status::IoError, "ledger: open");
    return read_state(file.fd()).applied;
}

}  // namespace esta::replication
