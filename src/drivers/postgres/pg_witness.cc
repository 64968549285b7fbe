#include "drivers/postgres/pg_witness.h"

namespace esta::drivers {

namespace {

// Runs `sql` with text parameters; the result, or nullptr with the session's error.
PgResultHandle run(PGconn* session, const char* sql, std::initializer_list<std::string> params) {
    std::vector<const char*> values;
    for (const auto& value : params)
        values.push_back(value.c_str());
    return PgResultHandle(PQexecParams(session, sql, static_cast<int>(values.size()), nullptr,
                                       values.data(), nullptr, nullptr, 0));
}

bool ok(const PgResultHandle& result) {
    auto status = PQresultStatus(result.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

Result<replication::Lease> PgWitness::acquire(u64 node) {
    if (m_session) {
        if (m_node == node && holds(node)) return m_lease;
        if (m_node != node) return Err(Status::Unavailable, "pg_witness: held for another node");
        m_session.reset();  // The session died: try again on a new one.
    }
    auto now = std::chrono::steady_clock::now();
    if (now < m_retry_after) return Err(Status::Unavailable, "pg_witness: retried too soon");
    m_retry_after = now + std::chrono::milliseconds(100);
    PgConnHandle session(PQconnectdb(m_conninfo.c_str()));
    if (PQstatus(session.get()) != CONNECTION_OK)
        return Err(Status::IoError, "pg_witness: cannot connect");
    std::string key = std::to_string(m_key);
    auto locked = run(session.get(), "SELECT pg_try_advisory_lock($1::bigint)", {key});
    if (!ok(locked)) return Err(Status::IoError, "pg_witness: advisory lock");
    if (std::string(PQgetvalue(locked.get(), 0, 0)) != "t")
        return Err(Status::Unavailable, "pg_witness: the lease is held");
    run(session.get(), "SET client_min_messages TO warning", {});  // No "already exists".
    auto created = run(session.get(),
                       "CREATE TABLE IF NOT EXISTS esta_leases (lock_key bigint PRIMARY KEY, "
                       "epoch bigint NOT NULL, holder text NOT NULL)",
                       {});
    auto raised =
        run(session.get(),
            "INSERT INTO esta_leases (lock_key, epoch, holder) VALUES ($1::bigint, 1, $2) "
            "ON CONFLICT (lock_key) DO UPDATE SET epoch = esta_leases.epoch + 1, "
            "holder = EXCLUDED.holder RETURNING epoch",
            {key, m_label});
    if (!ok(created) || !ok(raised) || PQntuples(raised.get()) != 1)
        return Err(Status::IoError, "pg_witness: raising the epoch");
    m_lease = replication::Lease{std::stoull(PQgetvalue(raised.get(), 0, 0))};
    m_session = std::move(session);
    m_node = node;
    return m_lease;
}

bool PgWitness::holds(u64 node) const {
    if (!m_session || m_node != node) return false;
    // A session the server ended (or whose connection broke) shows on the next read.
    if (PQconsumeInput(m_session.get()) == 0 || PQstatus(m_session.get()) != CONNECTION_OK) {
        m_session.reset();
        return false;
    }
    return true;
}

void PgWitness::release(u64 node) {
    if (m_node == node) m_session.reset();  // Ending the session drops the lock.
}

Result<replication::LeaseView> PgWitness::peek(const std::string& conninfo, i64 key) {
    PgConnHandle session(PQconnectdb(conninfo.c_str()));
    if (PQstatus(session.get()) != CONNECTION_OK)
        return Err(Status::IoError, "pg_witness: cannot connect");
    auto found =
        run(session.get(), "SELECT epoch, holder FROM esta_leases WHERE lock_key = $1::bigint",
            {std::to_string(key)});
    replication::LeaseView view;
    // No table yet: nothing was ever granted.
    if (!ok(found) || PQntuples(found.get()) != 1) return view;
    view.epoch = std::stoull(PQgetvalue(found.get(), 0, 0));
    view.holder = PQgetvalue(found.get(), 0, 1);
    return view;
}

std::string PgWitness::epoch_guard_sql(u64 epoch) const {
    return "(SELECT epoch FROM esta_leases WHERE lock_key = " + std::to_string(m_key) +
           ") = " + std::to_string(epoch);
}

}  // namespace esta::drivers
