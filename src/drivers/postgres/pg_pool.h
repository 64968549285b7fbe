// PgPool (D-4): connections to one database. min are opened at start, at most max exist;
// a checkout waits up to `max_wait` for one to come back; every checkout tests the
// connection with an empty query first (test on checkout), so a connection the server
// dropped is replaced before any request is sent on it ("a connection failure before the
// request was sent is retried"); connections idle beyond `idle` are closed down to min.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "drivers/contract.h"
#include "drivers/secrets.h"

namespace esta::drivers {

struct PgConnFinish {
    void operator()(PGconn* connection) const { PQfinish(connection); }
};
using PgConnHandle = std::unique_ptr<PGconn, PgConnFinish>;

struct PgResultClear {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultHandle = std::unique_ptr<PGresult, PgResultClear>;

struct PgConfig {
    // libpq keywords without the password ("host=/var/run/postgresql dbname=app"); the
    // password comes from `password` (S-2).
    std::string conninfo;
    SecretRef password{};
    std::string sslmode = "prefer";  // disable | allow | prefer | require | verify-ca | verify-full
    u32 pool_min = 1;
    u32 pool_max = 10;
    Nanos idle = 300'000 * kNanosPerMilli;
    Nanos max_wait = 30'000 * kNanosPerMilli;
    Nanos connect_timeout = 10'000 * kNanosPerMilli;
    Nanos statement_hard_limit = 300'000 * kNanosPerMilli;
};

// One pooled connection and the statements prepared on it.
struct PgConnection {
    PgConnHandle handle;
    std::set<std::string> prepared;
    Nanos returned_at = 0;
};

class PgPool {
  public:
    PgPool(PgConfig config, const protocol::Clock& clock);

    Result<void> start();
    void stop();
    // A tested connection, or Unavailable (cannot connect: nothing was sent) / Timeout (none
    // came back within min(max_wait, deadline)).
    Result<std::unique_ptr<PgConnection>> checkout(Nanos deadline);
    // Returns a connection; a broken one is closed instead.
    void give_back(std::unique_ptr<PgConnection> connection);
    // Closes one that died in use (the pool may open a new one later).
    void discard(std::unique_ptr<PgConnection> connection);

    u32 open_count() const;
    u32 failed_connects() const;
    bool started() const;

  private:
    Result<std::unique_ptr<PgConnection>> connect();

    PgConfig m_config;
    const protocol::Clock& m_clock;
    mutable std::mutex m_mutex;
    std::condition_variable m_returned;
    std::vector<std::unique_ptr<PgConnection>> m_idle;
    u32 m_open = 0;
    u32 m_failed_connects = 0;
    bool m_started = false;
};

// True when the connection still talks: an empty query answers PGRES_EMPTY_QUERY.
bool pg_ping(PGconn* connection);

}  // namespace esta::drivers
