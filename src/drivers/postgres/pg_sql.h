// PgSql (D-4): the SQL backend on libpq. Declared statements are prepared per connection
// on first use with typed parameters; results come back in binary and are decoded by
// column type (pg_types.h). A transaction holds one pooled connection until it ends.
//
// Retry rules (D-4), applied here because only here is the SQLSTATE known:
//   - no connection could be had (nothing sent): UNAVAILABLE, which the guard retries;
//   - 40001 serialization failure and 40P01 deadlock: the whole transaction is retried
//     (a lone statement is its own transaction; in a bound transaction the statements run
//     so far are replayed, and if any replay answers differently from what the module
//     already saw, the transaction fails instead of pretending);
//   - 53xxx insufficient resources: retried with backoff;
//   - 57014 after our own cancel (deadline) or our statement_timeout: TIMEOUT, never retried;
//   - the connection dies after the request was sent: TIMEOUT "sql.outcome_unknown";
//   - a COMMIT whose answer is lost: resolved through the transaction's idempotency key
//     (written in the transaction, looked up on a fresh connection), never re-executed.
// Everything else is DRIVER_ERROR with the SQLSTATE class in the detail.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "drivers/postgres/pg_pool.h"
#include "drivers/resilience.h"
#include "drivers/sql_driver.h"

namespace esta::drivers {

// SQLSTATE class (the first two characters) and the retry decision for it.
enum class PgRetry : u8 { No, Transaction, Backoff };
PgRetry pg_retry_rule(std::string_view sqlstate);

class PgSql final : public SqlBackend {
  public:
    // `clock` and `sleeper` are borrowed. `setup_sql` runs at start (schema; configuration,
    // never module input).
    PgSql(PgConfig config, std::string setup_sql, const protocol::Clock& clock, Sleeper& sleeper,
          RetryPolicy retry = RetryPolicy{2, 1'000 * kNanosPerMilli, 10'000 * kNanosPerMilli},
          u64 jitter_seed = 1);
    ~PgSql() override;

    Result<void> start(std::span<const SqlStatement> statements) override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    // The pool's open connections (idle or held by a transaction or a request).
    u64 connections() const override { return m_pool.open_count(); }
    Result<SqlRows> exec(u64 binding, bool in_transaction, const SqlStatement& statement,
                         std::span<const Value> params, Nanos deadline) override;
    // BEGIN's idempotency key is generated from the binding and a counter.
    Result<void> begin(u64 binding, Nanos deadline) override;
    Result<void> commit(u64 binding, Nanos deadline) override;
    Result<void> rollback(u64 binding, Nanos deadline) override;

    u64 retries() const { return m_retries; }
    PgPool& pool() { return m_pool; }

  private:
    struct Recorded {
        const SqlStatement* statement;
        std::vector<Value> params;
        SqlRows rows;
    };
    struct Transaction {
        std::unique_ptr<PgConnection> connection;
        std::string key;
        std::vector<Recorded> statements;
    };
    // The outcome of one statement on one connection: rows, or an error with its SQLSTATE.
    struct Attempt {
        Result<SqlRows> rows = Err(Status::Internal, "sql.unset");
        std::string sqlstate;
        bool connection_lost = false;
    };

    Attempt run(PgConnection& connection, const SqlStatement& statement,
                std::span<const Value> params, Nanos deadline);
    Result<void> simple(PgConnection& connection, const char* sql, Nanos deadline);
    Result<SqlRows> exec_alone(const SqlStatement& statement, std::span<const Value> params,
                               Nanos deadline);
    Result<SqlRows> exec_in(Transaction& transaction, const SqlStatement& statement,
                            std::span<const Value> params, Nanos deadline);
    // Rolls back and replays `transaction` up to (not including) its newest statement.
    Result<void> replay(Transaction& transaction, Nanos deadline);
    Result<void> resolve_commit(const std::string& key, Nanos deadline);
    std::unique_ptr<Transaction> take(u64 binding);
    void wait_before_retry(u32 attempt);

    PgConfig m_config;
    std::string m_setup_sql;
    const protocol::Clock& m_clock;
    Sleeper& m_sleeper;
    RetryPolicy m_retry;
    PgPool m_pool;
    std::mutex m_mutex;
    Backoff m_backoff;
    std::unordered_map<u64, std::unique_ptr<Transaction>> m_transactions;
    u64 m_transaction_counter = 0;
    std::atomic<u64> m_retries{0};
};

}  // namespace esta::drivers
