// Test support for the driver integration tests: a private redis-server per fixture, a
// private PostgreSQL database per fixture, and the skip-or-fail rule (CI=true fails).
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#define ESTA_NEED_SERVICE(available, what)                                   \
    do {                                                                     \
        if (!(available)) {                                                  \
            if (::esta::drivers::testing::in_ci()) FAIL() << what " absent"; \
            GTEST_SKIP() << what " absent";                                  \
        }                                                                    \
    } while (0)

namespace esta::drivers::testing {

bool in_ci();

// A redis-server child on a free loopback port. Without persistence by default; `durable`
// keeps an append-only file fsynced on every write in a directory of its own, so a restart
// after SIGKILL has everything the server acknowledged.
class RedisServer {
  public:
    explicit RedisServer(bool durable = false);
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
    std::string m_dir;  // Durable only: where the append-only file lives.
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
    // The server's Unix socket (".s.PGSQL.PORT" in the host directory); empty when the
    // cluster is reached over TCP.
    std::string socket_path() const;
    // conninfo() through a socket in `directory` instead (a SocketRelay's).
    std::string conninfo_via(const std::string& directory) const;

  private:
    std::string m_server;  // conninfo of the cluster without dbname
    std::string m_name;
};

// A relay between clients and a server's Unix socket, standing for the network path, so a
// test can make the server go away and come back (stop(), start()) without stopping a
// server other tests share, or lose an answer on its way back (cut_after()). Bytes pass
// through unchanged; one thread serves every connection.
class SocketRelay {
  public:
    // Listens at `listen_path` and connects each client to `upstream_path`.
    SocketRelay(std::string listen_path, std::string upstream_path);
    ~SocketRelay();
    SocketRelay(const SocketRelay&) = delete;
    SocketRelay& operator=(const SocketRelay&) = delete;

    // Listens (again); false when the socket cannot be made.
    bool start();
    // Closes the listener and every relayed connection: to a client, the server is gone
    // (connections reset, new ones refused).
    void stop();
    // The next client message containing `marker` is forwarded to the server (or, without
    // `forward`, dropped), and its connection is cut before the server's answer gets back.
    void cut_after(std::string marker, bool forward);
    // Whether the armed cut happened.
    bool cut_done() const { return m_cut_done.load(); }

  private:
    void serve();

    std::string m_listen_path;
    std::string m_upstream_path;
    int m_listener = -1;
    int m_wake[2] = {-1, -1};  // Tells the thread to stop.
    std::thread m_thread;
    std::mutex m_mutex;
    std::string m_marker;  // Armed cut (empty: none).
    bool m_forward = false;
    std::atomic<bool> m_cut_done{false};
};

}  // namespace esta::drivers::testing
