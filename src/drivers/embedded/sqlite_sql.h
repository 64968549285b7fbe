// SqliteSql (D-6): the embedded stand-in for PostgreSQL. One database file; autocommit
// statements share one connection, and each open transaction gets its own connection so a
// transaction stays bound to its handle. WAL mode lets readers run beside the one writer;
// a lock still held after the busy timeout is UNAVAILABLE (not performed, retryable).
// Values are stored as: bool and int as INTEGER, float as REAL, text/json as TEXT, bytes
// and uuid as BLOB, timestamp as INTEGER nanoseconds, decimal as a BLOB
// of its text ("12.50"), so a NUMERIC column cannot turn it into a REAL and lose the scale.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "drivers/sql_driver.h"

namespace esta::drivers {

struct SqliteCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

class SqliteSql final : public SqlBackend {
  public:
    // `path` is the database file (created when absent). `setup_sql` runs once at start
    // (the application's schema); it is configuration, not module input.
    SqliteSql(std::string path, std::string setup_sql, int busy_timeout_ms = 5'000);

    Result<void> start(std::span<const SqlStatement> statements) override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    // The shared connection and one per open transaction.
    u64 connections() const override;
    Result<SqlRows> exec(u64 binding, bool in_transaction, const SqlStatement& statement,
                         std::span<const Value> params, Nanos deadline) override;
    Result<void> begin(u64 binding, Nanos deadline) override;
    Result<void> commit(u64 binding, Nanos deadline) override;
    Result<void> rollback(u64 binding, Nanos deadline) override;

  private:
    Result<SqliteHandle> open_connection() const;
    // The connection for a binding: its transaction's, or the shared one.
    sqlite3* connection_locked(u64 binding, bool in_transaction);
    Result<void> end_transaction(u64 binding, const char* sql);

    std::string m_path;
    std::string m_setup_sql;
    int m_busy_timeout_ms;
    mutable std::mutex m_mutex;
    SqliteHandle m_shared;
    std::unordered_map<u64, SqliteHandle> m_transactions;
};

// A SQLite result code as a Status: BUSY/LOCKED are Unavailable (nothing happened),
// constraint and type errors DriverError.
Error sqlite_error(int code, const char* context);

}  // namespace esta::drivers
