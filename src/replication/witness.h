// Leadership (REQUIREMENTS K-61): a lease held in a witness that fences by itself. At most
// one node holds it; taking it raises the epoch, so every leadership has its own number.
// The lease is not renewed by time: it is held as long as the holder's session lives (an
// advisory lock on a session the node keeps, a lock file's descriptor), so a node that
// dies loses it at once and a node that is merely cut off from its standby keeps it — the
// standby then cannot take over, which is what keeps two primaries from ever coexisting.
//
//   LockFileWitness  one host: flock(2) on a file that also stores the last epoch.
//   MemoryWitness    tests: the same rules, with end_session() standing in for a death.
// A Redis lease alone is not accepted (it expires by time, fencing nothing).
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "base/types.h"

namespace esta::replication {

struct Lease {
    u64 epoch = 0;
};

class Witness {
  public:
    virtual ~Witness() = default;
    // Takes the lease for `node`: the new epoch. Unavailable when another node holds it.
    // Taking it again while holding it returns the held lease.
    virtual Result<Lease> acquire(u64 node) = 0;
    // Whether `node` still holds the lease (its session is alive).
    virtual bool holds(u64 node) const = 0;
    virtual void release(u64 node) = 0;
};

class MemoryWitness final : public Witness {
  public:
    Result<Lease> acquire(u64 node) override;
    bool holds(u64 node) const override { return m_holder == node; }
    void release(u64 node) override;
    // The holder's session ended (the process died or its connection dropped).
    void end_session(u64 node) { release(node); }
    std::optional<u64> holder() const { return m_holder; }
    u64 epoch() const { return m_epoch; }
    u64 grants() const { return m_grants; }

  private:
    std::optional<u64> m_holder;
    u64 m_epoch = 0;
    u64 m_grants = 0;
};

// What a lock file says: the last epoch granted and the label its holder gave.
struct LeaseView {
    u64 epoch = 0;
    std::string holder;
};

// The lock file's first 8 bytes are the last epoch granted (little-endian), then the
// holder's label. The lock is released by the operating system when the holder's process
// ends, however it ends.
class LockFileWitness final : public Witness {
  public:
    explicit LockFileWitness(std::string path, std::string label = {})
        : m_path(std::move(path)), m_label(std::move(label)) {}
    ~LockFileWitness() override;
    LockFileWitness(const LockFileWitness&) = delete;
    LockFileWitness& operator=(const LockFileWitness&) = delete;

    Result<Lease> acquire(u64 node) override;
    bool holds(u64 node) const override { return m_fd >= 0 && m_node == node; }
    void release(u64 node) override;
    // Reads `path` without locking it (the epoch and label of the last grant).
    static Result<LeaseView> peek(const std::string& path);

  private:
    std::string m_path;
    std::string m_label;
    int m_fd = -1;
    u64 m_node = 0;
    Lease m_lease;
};

}  // namespace esta::replication
