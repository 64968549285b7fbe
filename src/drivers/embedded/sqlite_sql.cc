#include "drivers/embedded/sqlite_sql.h"

#include <charconv>
#include <cstring>

namespace esta::drivers {

namespace {

struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

int bind_value(sqlite3_stmt* statement, int index, SqlType type, const Value& value) {
    if (value.is_null()) return sqlite3_bind_null(statement, index);
    switch (type) {
        case SqlType::Bool:
            return sqlite3_bind_int64(statement, index, *value.get<bool>() ? 1 : 0);
        case SqlType::Int:
            return sqlite3_bind_int64(statement, index, *value.get<i64>());
        case SqlType::Float:
            return sqlite3_bind_double(statement, index,
                                       value.get<f64>() != nullptr
                                           ? *value.get<f64>()
                                           : static_cast<f64>(*value.get<i64>()));
        case SqlType::Text:
        case SqlType::Json: {
            const std::string& text = *value.get<std::string>();
            return sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                       SQLITE_UTF8);
        }
        case SqlType::Bytes: {
            const ByteString& bytes = *value.get<ByteString>();
            return sqlite3_bind_blob64(statement, index, bytes.data(), bytes.size(),
                                       SQLITE_TRANSIENT);
        }
        case SqlType::Uuid: {
            const auto& uuid = value.get<kernel::abi::Uuid>()->bytes;
            return sqlite3_bind_blob64(statement, index, uuid.data(), uuid.size(),
                                       SQLITE_TRANSIENT);
        }
        case SqlType::Timestamp:
            return sqlite3_bind_int64(statement, index, value.get<kernel::abi::Timestamp>()->ns);
        case SqlType::Decimal: {
            // Bound as a blob of its text: a NUMERIC column would turn text into a REAL
            // and lose the scale (12.50 -> 12.5); blobs keep their bytes.
            std::string text = decimal_to_text(*value.get<kernel::abi::Decimal>());
            return sqlite3_bind_blob64(statement, index, text.data(), text.size(),
                                       SQLITE_TRANSIENT);
        }
    }
    return SQLITE_MISUSE;
}

Result<Value> column_value(sqlite3_stmt* statement, int column, SqlType type) {
    if (sqlite3_column_type(statement, column) == SQLITE_NULL) return Value();
    switch (type) {
        case SqlType::Bool:
            return Value(sqlite3_column_int64(statement, column) != 0);
        case SqlType::Int:
            return Value(static_cast<i64>(sqlite3_column_int64(statement, column)));
        case SqlType::Float:
            return Value(sqlite3_column_double(statement, column));
        case SqlType::Text:
        case SqlType::Json: {
            const auto* text =
                reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
            return Value(std::string(
                text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column))));
        }
        case SqlType::Bytes: {
            const auto* data = static_cast<const u8*>(sqlite3_column_blob(statement, column));
            auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
            return Value(ByteString(data, data + size));
        }
        case SqlType::Uuid: {
            const auto* data = static_cast<const u8*>(sqlite3_column_blob(statement, column));
            if (sqlite3_column_bytes(statement, column) != 16) {
                return Err(Status::DriverError, "sql.uuid_size");
            }
            kernel::abi::Uuid uuid;
            std::memcpy(uuid.bytes.data(), data, 16);
            return Value(uuid);
        }
        case SqlType::Timestamp:
            return Value(kernel::abi::Timestamp{sqlite3_column_int64(statement, column)});
        case SqlType::Decimal: {
            const auto* text =
                reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
            auto decimal = ESTA_TRY(decimal_from_text(std::string_view(
                text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)))));
            return Value(decimal);
        }
    }
    return Err(Status::Internal, "sql.column_type");
}

}  // namespace

Error sqlite_error(int code, const char* context) {
    switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Err(Status::Unavailable, context, Detail{.actual = static_cast<u64>(code)});
        case SQLITE_CANTOPEN:
        case SQLITE_IOERR:
        case SQLITE_FULL:
            return Err(Status::Unavailable, context, Detail{.actual = static_cast<u64>(code)});
        default:
            return Err(Status::DriverError, context, Detail{.actual = static_cast<u64>(code)});
    }
}

SqliteSql::SqliteSql(std::string path, std::string setup_sql, int busy_timeout_ms)
    : m_path(std::move(path)),
      m_setup_sql(std::move(setup_sql)),
      m_busy_timeout_ms(busy_timeout_ms) {}

Result<SqliteHandle> SqliteSql::open_connection() const {
    sqlite3* raw = nullptr;
    int code =
        sqlite3_open_v2(m_path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    SqliteHandle db(raw);  // Owned even on failure: sqlite3_open_v2 allocates regardless.
    if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_open");
    sqlite3_busy_timeout(db.get(), m_busy_timeout_ms);
    code = sqlite3_exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", nullptr,
                        nullptr, nullptr);
    if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_pragma");
    return db;
}

Result<void> SqliteSql::start(std::span<const SqlStatement> statements) {
    std::lock_guard lock(m_mutex);
    if (m_shared) return Ok();
    SqliteHandle db = ESTA_TRY(open_connection());
    if (!m_setup_sql.empty()) {
        int code = sqlite3_exec(db.get(), m_setup_sql.c_str(), nullptr, nullptr, nullptr);
        if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_setup");
    }
    // Every declared statement must compile against the schema now.
    for (const SqlStatement& statement : statements) {
        std::string sql = sqlite_placeholders(statement.sql);
        sqlite3_stmt* raw = nullptr;
        int code =
            sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
        StatementHandle prepared(raw);
        if (code != SQLITE_OK) return Err(Status::Invalid, "sql.statement_does_not_compile");
        if (sqlite3_bind_parameter_count(raw) != static_cast<int>(statement.params.size())) {
            return Err(Status::Invalid, "sql.statement_param_count");
        }
    }
    m_shared = std::move(db);
    return Ok();
}

void SqliteSql::stop() {
    std::lock_guard lock(m_mutex);
    m_transactions.clear();  // Closing a connection rolls back its open transaction.
    m_shared.reset();
}

Health SqliteSql::health() const {
    std::lock_guard lock(m_mutex);
    if (!m_shared) return {HealthState::Stopped, ""};
    if (!m_transactions.empty()) return {HealthState::Busy, "in transaction"};
    return {HealthState::Healthy, ""};
}

Lifecycle SqliteSql::lifecycle() const {
    std::lock_guard lock(m_mutex);
    return m_shared ? Lifecycle::Ready : Lifecycle::Disconnected;
}

u64 SqliteSql::connections() const {
    std::lock_guard lock(m_mutex);
    return (m_shared ? 1u : 0u) + m_transactions.size();
}

sqlite3* SqliteSql::connection_locked(u64 binding, bool in_transaction) {
    if (in_transaction) {
        auto found = m_transactions.find(binding);
        if (found != m_transactions.end()) return found->second.get();
    }
    return m_shared.get();
}

Result<SqlRows> SqliteSql::exec(u64 binding, bool in_transaction, const SqlStatement& statement,
                                std::span<const Value> params, Nanos deadline) {
    (void)deadline;  // SQLite runs in-process; the busy timeout bounds the wait for a lock.
    std::lock_guard lock(m_mutex);
    if (!m_shared) return Err(Status::Unavailable, "sql.stopped");
    sqlite3* db = connection_locked(binding, in_transaction);
    std::string sql = sqlite_placeholders(statement.sql);
    sqlite3_stmt* raw = nullptr;
    int code = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementHandle prepared(raw);
    if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_prepare");
    for (std::size_t i = 0; i < params.size(); ++i) {
        code = bind_value(raw, static_cast<int>(i + 1), statement.params[i], params[i]);
        if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_bind");
    }
    SqlRows rows;
    for (;;) {
        code = sqlite3_step(raw);
        if (code == SQLITE_DONE) break;
        if (code != SQLITE_ROW) return sqlite_error(code, "sql.sqlite_step");
        int columns = sqlite3_column_count(raw);
        if (columns != static_cast<int>(statement.columns.size())) {
            return Err(
                Status::DriverError, "sql.column_count",
                Detail{.limit = statement.columns.size(), .actual = static_cast<u64>(columns)});
        }
        ValueList row;
        row.reserve(static_cast<std::size_t>(columns));
        for (int column = 0; column < columns; ++column) {
            row.push_back(ESTA_TRY(
                column_value(raw, column, statement.columns[static_cast<std::size_t>(column)])));
        }
        rows.rows.push_back(Value(std::move(row)));
    }
    rows.affected = sqlite3_stmt_readonly(raw) ? 0 : sqlite3_changes64(db);
    return rows;
}

Result<void> SqliteSql::begin(u64 binding, Nanos deadline) {
    (void)deadline;
    SqliteHandle db = ESTA_TRY(open_connection());
    // IMMEDIATE takes the write lock now, so a conflict shows at BEGIN (retryable), not at
    // a later statement after the module has acted on reads.
    int code = sqlite3_exec(db.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_begin");
    std::lock_guard lock(m_mutex);
    if (!m_shared) return Err(Status::Unavailable, "sql.stopped");
    m_transactions.insert_or_assign(binding, std::move(db));
    return Ok();
}

Result<void> SqliteSql::end_transaction(u64 binding, const char* sql) {
    SqliteHandle db;
    {
        std::lock_guard lock(m_mutex);
        auto found = m_transactions.find(binding);
        if (found == m_transactions.end()) return Err(Status::InvalidArgs, "sql.no_transaction");
        db = std::move(found->second);
        m_transactions.erase(found);
    }
    int code = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) return sqlite_error(code, "sql.sqlite_end");
    return Ok();
}

Result<void> SqliteSql::commit(u64 binding, Nanos deadline) {
    (void)deadline;
    return end_transaction(binding, "COMMIT");
}

Result<void> SqliteSql::rollback(u64 binding, Nanos deadline) {
    (void)deadline;
    return end_transaction(binding, "ROLLBACK");
}

}  // namespace esta::drivers
