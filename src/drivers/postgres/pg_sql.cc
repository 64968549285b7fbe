#include "drivers/postgres/pg_sql.h"

#include <poll.h>

#include <cstdlib>

#include "drivers/postgres/pg_types.h"

namespace esta::drivers {

namespace {

constexpr const char* kCommitLogDdl =
    "CREATE TABLE IF NOT EXISTS estalogic_commit_log ("
    "key text PRIMARY KEY, committed_at timestamptz NOT NULL DEFAULT now())";

std::string sqlstate_of(const PGresult* result) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    return state != nullptr ? state : "";
}

// The SQLSTATE class as a number for Detail ("40" -> 40, "0A" -> 0x0A), so an error says
// which class without allocating.
u64 class_code(std::string_view sqlstate) {
    if (sqlstate.size() < 2) return Detail::kUnset;
    return std::strtoull(std::string(sqlstate.substr(0, 2)).c_str(), nullptr, 36);
}

void cancel(PGconn* connection) {
    PGcancel* handle = PQgetCancel(connection);
    if (handle == nullptr) return;
    char error[256];
    (void)PQcancel(handle, error, sizeof error);
    PQfreeCancel(handle);
}

}  // namespace

PgRetry pg_retry_rule(std::string_view sqlstate) {
    if (sqlstate == "40001" || sqlstate == "40P01") return PgRetry::Transaction;
    if (sqlstate.substr(0, 2) == "53") return PgRetry::Backoff;
    return PgRetry::No;
}

PgSql::PgSql(PgConfig config, std::string setup_sql, const protocol::Clock& clock, Sleeper& sleeper,
             RetryPolicy retry, u64 jitter_seed)
    : m_config(config),
      m_setup_sql(std::move(setup_sql)),
      m_clock(clock),
      m_sleeper(sleeper),
      m_retry(retry),
      m_pool(std::move(config), clock),
      m_backoff(retry.base_delay, retry.max_delay, jitter_seed) {}

PgSql::~PgSql() {
    stop();
}

Result<void> PgSql::start(std::span<const SqlStatement> statements) {
    ESTA_TRY(m_pool.start());
    Nanos deadline = m_clock.now_ns() + m_config.connect_timeout;
    auto connection = ESTA_TRY(m_pool.checkout(deadline));
    PGconn* pg = connection->handle.get();
    for (const std::string& sql : {m_setup_sql, std::string(kCommitLogDdl)}) {
        if (sql.empty()) continue;
        PgResultHandle result(PQexec(pg, sql.c_str()));
        if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            m_pool.give_back(std::move(connection));
            return Err(Status::Invalid, "sql.pg_setup",
                       Detail{.actual = class_code(sqlstate_of(result.get()))});
        }
    }
    // Every declared statement must prepare against the schema now.
    for (const SqlStatement& statement : statements) {
        std::vector<Oid> oids;
        for (SqlType type : statement.params)
            oids.push_back(pg::param_oid(type));
        PgResultHandle result(PQprepare(pg, statement.name.c_str(), statement.sql.c_str(),
                                        static_cast<int>(oids.size()), oids.data()));
        if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            m_pool.give_back(std::move(connection));
            return Err(Status::Invalid, "sql.statement_does_not_compile");
        }
        connection->prepared.insert(statement.name);
    }
    {
        std::lock_guard lock(m_mutex);
        m_transaction_counter = static_cast<u64>(m_clock.now_ns());
    }
    m_pool.give_back(std::move(connection));
    return Ok();
}

void PgSql::stop() {
    std::unordered_map<u64, std::unique_ptr<Transaction>> open;
    {
        std::lock_guard lock(m_mutex);
        open.swap(m_transactions);
    }
    // Closing a connection ends its transaction on the server (rolled back).
    open.clear();
    m_pool.stop();
}

Health PgSql::health() const {
    if (!m_pool.started()) return {HealthState::Stopped, ""};
    if (m_pool.failed_connects() > kDegradedAfterAttempts) {
        return {HealthState::Degraded, "Multiple connection attempts"};
    }
    return {HealthState::Healthy, ""};
}

Lifecycle PgSql::lifecycle() const {
    return m_pool.started() ? Lifecycle::Ready : Lifecycle::Disconnected;
}

PgSql::Attempt PgSql::run(PgConnection& connection, const SqlStatement& statement,
                          std::span<const Value> params, Nanos deadline) {
    Attempt attempt;
    PGconn* pg = connection.handle.get();
    if (connection.prepared.count(statement.name) == 0) {
        std::vector<Oid> oids;
        for (SqlType type : statement.params)
            oids.push_back(pg::param_oid(type));
        PgResultHandle prepared(PQprepare(pg, statement.name.c_str(), statement.sql.c_str(),
                                          static_cast<int>(oids.size()), oids.data()));
        if (!prepared || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
            attempt.sqlstate = sqlstate_of(prepared.get());
            attempt.connection_lost = PQstatus(pg) != CONNECTION_OK;
            attempt.rows = Err(Status::DriverError, "sql.pg_prepare");
            return attempt;
        }
        connection.prepared.insert(statement.name);
    }
    std::vector<pg::EncodedParam> encoded;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    encoded.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i)
        encoded.push_back(pg::encode_param(statement.params[i], params[i]));
    for (const pg::EncodedParam& param : encoded) {
        values.push_back(param.is_null ? nullptr : param.bytes.data());
        lengths.push_back(static_cast<int>(param.bytes.size()));
        formats.push_back(param.binary ? 1 : 0);
    }
    if (PQsendQueryPrepared(pg, statement.name.c_str(), static_cast<int>(params.size()),
                            values.data(), lengths.data(), formats.data(), 1) == 0) {
        // Nothing reached the server.
        attempt.connection_lost = true;
        attempt.rows = Err(Status::Unavailable, "sql.pg_send");
        return attempt;
    }
    // Wait for the answer; at the deadline, cancel (D-4 firm timeout: CancelQuery) and
    // collect the 57014 the server answers with.
    bool cancelled = false;
    while (PQisBusy(pg) != 0) {
        if (!cancelled && m_clock.now_ns() >= deadline) {
            cancel(pg);
            cancelled = true;
        }
        pollfd descriptor{PQsocket(pg), POLLIN, 0};
        (void)::poll(&descriptor, 1, 20);
        if (PQconsumeInput(pg) == 0) {
            attempt.connection_lost = true;
            break;
        }
    }
    PgResultHandle last;
    while (PGresult* raw = PQgetResult(pg)) {
        PgResultHandle result(raw);
        if (!last || PQresultStatus(result.get()) == PGRES_FATAL_ERROR) last = std::move(result);
    }
    if (attempt.connection_lost || PQstatus(pg) != CONNECTION_OK) {
        attempt.connection_lost = true;
        attempt.rows = Err(Status::Timeout, "sql.outcome_unknown");
        return attempt;
    }
    if (!last) {
        attempt.rows = Err(Status::DriverError, "sql.pg_no_result");
        return attempt;
    }
    ExecStatusType status = PQresultStatus(last.get());
    if (status == PGRES_FATAL_ERROR) {
        attempt.sqlstate = sqlstate_of(last.get());
        attempt.rows = attempt.sqlstate == "57014"
                           ? Err(Status::Timeout,
                                 cancelled ? "sql.cancelled_at_deadline" : "sql.statement_timeout")
                           : Err(Status::DriverError, "sql.pg_error",
                                 Detail{.actual = class_code(attempt.sqlstate)});
        return attempt;
    }
    SqlRows rows;
    if (status == PGRES_TUPLES_OK) {
        int columns = PQnfields(last.get());
        for (int row = 0; row < PQntuples(last.get()); ++row) {
            ValueList cells;
            for (int column = 0; column < columns; ++column) {
                if (PQgetisnull(last.get(), row, column)) {
                    cells.emplace_back();
                    continue;
                }
                auto cell = pg::decode_cell(PQftype(last.get(), column),
                                            PQgetvalue(last.get(), row, column),
                                            PQgetlength(last.get(), row, column));
                if (!cell) {
                    attempt.rows = cell.error();
                    return attempt;
                }
                cells.push_back(std::move(*cell));
            }
            rows.rows.push_back(Value(std::move(cells)));
        }
    }
    // A SELECT changes nothing; its tag's count is the rows returned, not rows affected.
    std::string_view tag = PQcmdStatus(last.get());
    if (tag.substr(0, 6) != "SELECT") rows.affected = std::atoll(PQcmdTuples(last.get()));
    attempt.rows = std::move(rows);
    return attempt;
}

Result<void> PgSql::simple(PgConnection& connection, const char* sql, Nanos deadline) {
    (void)deadline;  // BEGIN/ROLLBACK are bounded by the server-side statement timeout.
    PgResultHandle result(PQexec(connection.handle.get(), sql));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        if (PQstatus(connection.handle.get()) != CONNECTION_OK) {
            return Err(Status::Unavailable, "sql.pg_connection_lost");
        }
        return Err(Status::DriverError, "sql.pg_simple",
                   Detail{.actual = class_code(sqlstate_of(result.get()))});
    }
    return Ok();
}

void PgSql::wait_before_retry(u32 attempt) {
    Nanos wait;
    {
        std::lock_guard lock(m_mutex);
        wait = m_backoff.delay(attempt);
    }
    ++m_retries;
    m_sleeper.sleep_for(wait);
}

Result<SqlRows> PgSql::exec_alone(const SqlStatement& statement, std::span<const Value> params,
                                  Nanos deadline) {
    for (u32 attempt = 0;; ++attempt) {
        // Unavailable here means nothing was sent; the guard retries it.
        auto connection = ESTA_TRY(m_pool.checkout(deadline));
        Attempt outcome = run(*connection, statement, params, deadline);
        if (outcome.connection_lost) {
            m_pool.discard(std::move(connection));
            return outcome.rows;
        }
        m_pool.give_back(std::move(connection));
        if (outcome.rows) return outcome.rows;
        // A lone statement is its own transaction: 40001/40P01 rerun it whole.
        PgRetry rule = pg_retry_rule(outcome.sqlstate);
        if (rule == PgRetry::No || attempt >= m_retry.max_retries || m_clock.now_ns() >= deadline) {
            return outcome.rows;
        }
        wait_before_retry(attempt);
    }
}

Result<void> PgSql::replay(Transaction& transaction, Nanos deadline) {
    if (transaction.connection && simple(*transaction.connection, "ROLLBACK", deadline)) {
        // The same connection serves the retry.
    } else {
        if (transaction.connection) m_pool.discard(std::move(transaction.connection));
        transaction.connection = ESTA_TRY(m_pool.checkout(deadline));
    }
    ESTA_TRY(simple(*transaction.connection, "BEGIN", deadline));
    for (std::size_t i = 0; i + 1 < transaction.statements.size(); ++i) {
        Recorded& recorded = transaction.statements[i];
        Attempt outcome =
            run(*transaction.connection, *recorded.statement, recorded.params, deadline);
        if (!outcome.rows) return Err(Status::DriverError, "sql.replay_failed");
        // The module already acted on the first answers; a different answer now would make
        // the retried transaction a different transaction.
        if (!(outcome.rows->rows == recorded.rows.rows) ||
            outcome.rows->affected != recorded.rows.affected) {
            return Err(Status::DriverError, "sql.replay_diverged", Detail{.index = i});
        }
    }
    return Ok();
}

Result<SqlRows> PgSql::exec_in(Transaction& transaction, const SqlStatement& statement,
                               std::span<const Value> params, Nanos deadline) {
    transaction.statements.push_back(
        Recorded{&statement, std::vector<Value>(params.begin(), params.end()), {}});
    for (u32 attempt = 0;; ++attempt) {
        Attempt outcome = run(*transaction.connection, statement, params, deadline);
        if (outcome.rows) {
            transaction.statements.back().rows = *outcome.rows;
            return outcome.rows;
        }
        // Any error aborts a PostgreSQL transaction, so every retry here is a replay. A
        // connection lost inside an open transaction lost nothing committed: replayable too.
        PgRetry rule =
            outcome.connection_lost ? PgRetry::Transaction : pg_retry_rule(outcome.sqlstate);
        bool timed_out = outcome.rows.error().code == Status::Timeout && !outcome.connection_lost;
        if (rule == PgRetry::No || timed_out || attempt >= m_retry.max_retries ||
            m_clock.now_ns() >= deadline) {
            transaction.statements.pop_back();
            if (outcome.connection_lost) m_pool.discard(std::move(transaction.connection));
            return outcome.rows;
        }
        wait_before_retry(attempt);
        auto replayed = replay(transaction, deadline);
        if (!replayed) {
            transaction.statements.pop_back();
            return replayed.error();
        }
    }
}

Result<SqlRows> PgSql::exec(u64 binding, bool in_transaction, const SqlStatement& statement,
                            std::span<const Value> params, Nanos deadline) {
    if (!in_transaction) return exec_alone(statement, params, deadline);
    Transaction* transaction = nullptr;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_transactions.find(binding);
        if (found != m_transactions.end()) transaction = found->second.get();
    }
    if (transaction == nullptr) return Err(Status::InvalidArgs, "sql.no_transaction");
    if (!transaction->connection) return Err(Status::DriverError, "sql.transaction_lost");
    // One binding's calls are serialized by its handle, so the transaction is not shared.
    return exec_in(*transaction, statement, params, deadline);
}

Result<void> PgSql::begin(u64 binding, Nanos deadline) {
    auto transaction = std::make_unique<Transaction>();
    transaction->connection = ESTA_TRY(m_pool.checkout(deadline));
    auto begun = simple(*transaction->connection, "BEGIN", deadline);
    if (!begun) {
        m_pool.discard(std::move(transaction->connection));
        return begun;
    }
    std::lock_guard lock(m_mutex);
    transaction->key = std::to_string(++m_transaction_counter) + "-" + std::to_string(binding);
    m_transactions.insert_or_assign(binding, std::move(transaction));
    return Ok();
}

std::unique_ptr<PgSql::Transaction> PgSql::take(u64 binding) {
    std::lock_guard lock(m_mutex);
    auto found = m_transactions.find(binding);
    if (found == m_transactions.end()) return nullptr;
    auto transaction = std::move(found->second);
    m_transactions.erase(found);
    return transaction;
}

Result<void> PgSql::resolve_commit(const std::string& key, Nanos deadline) {
    auto connection = m_pool.checkout(deadline);
    if (!connection) return Err(Status::Timeout, "sql.commit_outcome_unknown");
    const char* values[] = {key.c_str()};
    PgResultHandle result(PQexecParams((*connection)->handle.get(),
                                       "SELECT 1 FROM estalogic_commit_log WHERE key = $1", 1,
                                       nullptr, values, nullptr, nullptr, 0));
    bool answered = result && PQresultStatus(result.get()) == PGRES_TUPLES_OK;
    bool committed = answered && PQntuples(result.get()) == 1;
    m_pool.give_back(std::move(*connection));
    if (!answered) return Err(Status::Timeout, "sql.commit_outcome_unknown");
    if (!committed) return Err(Status::DriverError, "sql.commit_rolled_back");
    return Ok();
}

Result<void> PgSql::commit(u64 binding, Nanos deadline) {
    auto transaction = take(binding);
    if (!transaction) return Err(Status::InvalidArgs, "sql.no_transaction");
    if (!transaction->connection) return Err(Status::DriverError, "sql.transaction_lost");
    for (u32 attempt = 0;; ++attempt) {
        PGconn* pg = transaction->connection->handle.get();
        // (1) The idempotency key rides inside the transaction it names.
        const char* values[] = {transaction->key.c_str()};
        PgResultHandle marked(PQexecParams(pg, "INSERT INTO estalogic_commit_log(key) VALUES ($1)",
                                           1, nullptr, values, nullptr, nullptr, 0));
        bool marked_ok = marked && PQresultStatus(marked.get()) == PGRES_COMMAND_OK;
        std::string sqlstate = sqlstate_of(marked.get());
        bool lost = PQstatus(pg) != CONNECTION_OK;
        if (marked_ok) {
            // (2) COMMIT. (3) If its answer is lost, the key tells what happened.
            PgResultHandle committed(PQexec(pg, "COMMIT"));
            if (committed && PQresultStatus(committed.get()) == PGRES_COMMAND_OK) {
                m_pool.give_back(std::move(transaction->connection));
                return Ok();
            }
            if (PQstatus(pg) != CONNECTION_OK) {
                m_pool.discard(std::move(transaction->connection));
                return resolve_commit(transaction->key, deadline);
            }
            sqlstate = sqlstate_of(committed.get());
        } else if (lost) {
            // Lost before COMMIT was sent: the server rolled the transaction back.
            m_pool.discard(std::move(transaction->connection));
            return Err(Status::DriverError, "sql.commit_rolled_back");
        }
        if (pg_retry_rule(sqlstate) == PgRetry::No || attempt >= m_retry.max_retries) {
            (void)simple(*transaction->connection, "ROLLBACK", deadline);
            m_pool.give_back(std::move(transaction->connection));
            return Err(Status::DriverError, "sql.commit_failed",
                       Detail{.actual = class_code(sqlstate)});
        }
        // A serialization failure at COMMIT: replay everything, then commit again.
        wait_before_retry(attempt);
        transaction->statements.push_back(Recorded{nullptr, {}, {}});  // Replay all.
        auto replayed = replay(*transaction, deadline);
        transaction->statements.pop_back();
        if (!replayed) {
            if (transaction->connection) {
                (void)simple(*transaction->connection, "ROLLBACK", deadline);
                m_pool.give_back(std::move(transaction->connection));
            }
            return replayed.error();
        }
    }
}

Result<void> PgSql::rollback(u64 binding, Nanos deadline) {
    auto transaction = take(binding);
    if (!transaction) return Err(Status::InvalidArgs, "sql.no_transaction");
    if (!transaction->connection) return Ok();  // Lost with its connection: nothing to undo.
    auto rolled = simple(*transaction->connection, "ROLLBACK", deadline);
    if (rolled) {
        m_pool.give_back(std::move(transaction->connection));
    } else {
        m_pool.discard(std::move(transaction->connection));
    }
    return Ok();
}

}  // namespace esta::drivers
