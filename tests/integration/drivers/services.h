// Test support for the driver integration tests: a private redis-server per fixture, a
// private PostgreSQL database per fixture, and the skip-or-fail rule (CI=true fails).
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/types.h>

#include <string>

#define ESTA_NEED_SERVICE(available, what)                                   \
    do {                                                                     \
        if (!(available)) {                                                  \
            if (::esta::drivers::testing::in_ci()) FAIL() << what " absent"; \
            GTEST_SKIP() << what " absent";                                  \
        }                                                                    \
    } while (0)

namespace esta::drivers::testing {

bool in_ci();

// A redis-server child on a free loopback port, without persistence.
class RedisServer {
  public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts (or restarts, on the same port) the server; false when it cannot run here.
    bool start();
    // SIGKILL, as a crash would.
    void kill();
    int port() const { return m_port; }
    bool running() const { return m_pid > 0; }

  private:
    int m_port = 0;
    pid_t m_pid = -1;
};

// A database of its own in the local PostgreSQL 15 cluster, dropped at the end.
class PostgresDatabase {
  public:
    PostgresDatabase();
    ~PostgresDatabase();
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    bool available() const { return !m_name.empty(); }
    // libpq keywords for the driver ("host=... dbname=...").
    std::string conninfo() const;
    // Runs `sql` on the test database directly (fixtures, checks); returns the first cell.
    std::string query(const std::string& sql) const;

  private:
    std::string m_server;  // conninfo of the cluster without dbname
    std::string m_name;
};

}  // namespace esta::drivers::testing
