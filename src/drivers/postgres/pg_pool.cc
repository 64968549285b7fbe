#include "drivers/postgres/pg_pool.h"

#include <chrono>

namespace esta::drivers {

bool pg_ping(PGconn* connection) {
    if (PQstatus(connection) != CONNECTION_OK) return false;
    PgResultHandle result(PQexec(connection, ""));
    return result && PQresultStatus(result.get()) == PGRES_EMPTY_QUERY;
}

PgPool::PgPool(PgConfig config, const protocol::Clock& clock)
    : m_config(std::move(config)), m_clock(clock) {}

Result<std::unique_ptr<PgConnection>> PgPool::connect() {
    std::string password = ESTA_TRY(read_secret(m_config.password));
    // Keywords as arrays, so a password with spaces or quotes needs no escaping and never
    // appears in a string we might log.
    std::string timeout =
        std::to_string(std::max<Nanos>(1, m_config.connect_timeout / protocol::kNanosPerSecond));
    std::string options =
        "-c statement_timeout=" + std::to_string(m_config.statement_hard_limit / kNanosPerMilli) +
        " -c TimeZone=UTC";
    std::vector<const char*> keywords{"dbname", "sslmode", "connect_timeout", "options",
                                      "application_name"};
    std::vector<const char*> values{m_config.conninfo.c_str(), m_config.sslmode.c_str(),
                                    timeout.c_str(), options.c_str(), "estalogic-driver"};
    if (!password.empty()) {
        keywords.push_back("password");
        values.push_back(password.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    // expand_dbname=1: the first "dbname" value may itself be a conninfo string.
    PgConnHandle handle(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (!handle || PQstatus(handle.get()) != CONNECTION_OK) {
        std::lock_guard lock(m_mutex);
        ++m_failed_connects;
        return Err(Status::Unavailable, "sql.pg_connect");
    }
    auto connection = std::make_unique<PgConnection>();
    connection->handle = std::move(handle);
    return connection;
}

Result<void> PgPool::start() {
    {
        std::lock_guard lock(m_mutex);
        m_started = true;
    }
    for (u32 i = 0; i < m_config.pool_min; ++i) {
        auto connection = ESTA_TRY(connect());
        std::lock_guard lock(m_mutex);
        ++m_open;
        connection->returned_at = m_clock.now_ns();
        m_idle.push_back(std::move(connection));
    }
    return Ok();
}

void PgPool::stop() {
    std::lock_guard lock(m_mutex);
    m_started = false;
    m_open -= static_cast<u32>(m_idle.size());
    m_idle.clear();
}

Result<std::unique_ptr<PgConnection>> PgPool::checkout(Nanos deadline) {
    Nanos give_up = std::min(deadline, m_clock.now_ns() + m_config.max_wait);
    for (;;) {
        std::unique_ptr<PgConnection> connection;
        bool may_open = false;
        {
            std::unique_lock lock(m_mutex);
            if (!m_started) return Err(Status::Unavailable, "sql.stopped");
            Nanos now = m_clock.now_ns();
            // Close connections idle too long, newest kept, down to the minimum.
            while (m_idle.size() > 1 && m_open > m_config.pool_min &&
                   now - m_idle.front()->returned_at > m_config.idle) {
                m_idle.erase(m_idle.begin());
                --m_open;
            }
            if (!m_idle.empty()) {
                connection = std::move(m_idle.back());
                m_idle.pop_back();
            } else if (m_open < m_config.pool_max) {
                ++m_open;
                may_open = true;
            } else {
                if (now >= give_up) {
                    return Err(Status::Timeout, "sql.pool_wait",
                               Detail{.limit = m_config.pool_max});
                }
                // Real time bounds the wait; the injected clock decides when to give up.
                m_returned.wait_for(lock, std::chrono::milliseconds(20));
                continue;
            }
        }
        if (may_open) {
            auto opened = connect();
            if (!opened) {
                std::lock_guard lock(m_mutex);
                --m_open;
                return opened.error();
            }
            return opened;
        }
        if (pg_ping(connection->handle.get())) return connection;
        // The server dropped it (a restart, an idle timeout): replace it before use.
        discard(std::move(connection));
    }
}

void PgPool::give_back(std::unique_ptr<PgConnection> connection) {
    if (PQstatus(connection->handle.get()) != CONNECTION_OK ||
        PQtransactionStatus(connection->handle.get()) != PQTRANS_IDLE) {
        discard(std::move(connection));
        return;
    }
    std::lock_guard lock(m_mutex);
    if (!m_started) {
        --m_open;
        return;
    }
    connection->returned_at = m_clock.now_ns();
    m_idle.push_back(std::move(connection));
    m_returned.notify_one();
}

void PgPool::discard(std::unique_ptr<PgConnection> connection) {
    connection.reset();
    std::lock_guard lock(m_mutex);
    --m_open;
    m_returned.notify_one();
}

u32 PgPool::open_count() const {
    std::lock_guard lock(m_mutex);
    return m_open;
}

u32 PgPool::failed_connects() const {
    std::lock_guard lock(m_mutex);
    return m_failed_connects;
}

bool PgPool::started() const {
    std::lock_guard lock(m_mutex);
    return m_started;
}

}  // namespace esta::drivers
