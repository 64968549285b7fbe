// The PostgreSQL witness (REQUIREMENTS K-61): leadership as a session-level advisory lock
// (pg_try_advisory_lock) held on a connection the node keeps, so the server itself fences:
// the lock lives exactly as long as that session, and a node that dies, or whose session
// the server ends, loses it at once. Taking the lease raises the epoch in the table
// esta_leases (lock_key, epoch, holder) in the same session, so every leadership has its
// own number, and an effect written in a transaction that checks that row's epoch (the
// epoch-conditional write, epoch_guard_sql()) is refused once a newer leader exists.
#pragma once

#include <chrono>
#include <string>

#include "drivers/postgres/pg_pool.h"
#include "replication/witness.h"

namespace esta::drivers {

class PgWitness final : public replication::Witness {
  public:
    // `conninfo`: libpq keywords; `key`: the advisory lock's key (one per pair); `label`:
    // who holds it, for the table.
    PgWitness(std::string conninfo, i64 key, std::string label)
        : m_conninfo(std::move(conninfo)), m_key(key), m_label(std::move(label)) {}

    // Unavailable when another session holds the lock; IoError when the server cannot be
    // reached or the epoch cannot be raised.
    Result<replication::Lease> acquire(u64 node) override;
    // Whether the session holding the lock is still alive (reads what the server sent,
    // without waiting).
    bool holds(u64 node) const override;
    void release(u64 node) override;

    // A condition for an effect's transaction: true only while `epoch` is the newest
    // (SELECT ... WHERE <this>), so a deposed leader's write changes nothing.
    std::string epoch_guard_sql(u64 epoch) const;
    // The lease's epoch, read and share-locked inside an effect's transaction ($1: the
    // lock key as text). Its writes stay valid to commit: a new leader's epoch raise waits
    // for that transaction, and one committed before is what the read sees.
    static constexpr const char* kEpochForShareSql =
        "SELECT epoch FROM esta_leases WHERE lock_key = $1::bigint FOR SHARE";
    i64 key() const { return m_key; }
    // The last grant (epoch and holder) as esta_leases has it, on a short session of its
    // own; epoch 0 when none was granted. Errors: IoError.
    static Result<replication::LeaseView> peek(const std::string& conninfo, i64 key);

  private:
    std::string m_conninfo;
    i64 m_key;
    std::string m_label;
    mutable PgConnHandle m_session;  // Holds the lock while open.
    // A refused attempt is not retried for 100 ms: a standby asks at every poll, and each
    // attempt here is a new session.
    std::chrono::steady_clock::time_point m_retry_after{};
    u64 m_node = 0;
    replication::Lease m_lease;
};

}  // namespace esta::drivers
