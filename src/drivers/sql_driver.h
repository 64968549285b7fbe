// SqlDriver: the SQL driver kind (ABI.md: EXEC, BEGIN, COMMIT, ROLLBACK). Only statements the
// application declared exist; a module names them and supplies typed parameters, never SQL.
// The front checks the name, the handle's scope, the parameter count and kinds, and the
// transaction state once; a SqlBackend (SQLite or PostgreSQL) runs what passed.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "drivers/contract.h"

namespace esta::drivers {

// Column and parameter types, each carried by one kind of the value encoding (ABI.md:
// bool, int2/4/8 -> i64, float8 -> f64, text, bytea -> bytes, uuid, json/jsonb as text,
// timestamptz -> timestamp, numeric -> decimal).
enum class SqlType : u8 { Bool, Int, Float, Text, Bytes, Uuid, Timestamp, Decimal, Json };
std::string_view sql_type_name(SqlType type);
// True when `value` (null included) may be bound as `type`.
bool value_fits(SqlType type, const Value& value);

// A statement declared in the application manifest. `sql` numbers its parameters $1..$n
// (PostgreSQL's spelling; the SQLite backend translates). `columns` types the result.
struct SqlStatement {
    std::string name;
    std::string sql;
    std::vector<SqlType> params;
    std::vector<SqlType> columns;
};

struct SqlRows {
    ValueList rows;  // Each a list with one value per declared column.
    i64 affected = 0;
};

class SqlBackend {
  public:
    virtual ~SqlBackend() = default;
    // Prepares every declared statement (a typo in the manifest fails here, not later).
    virtual Result<void> start(std::span<const SqlStatement> statements) = 0;
    virtual void stop() = 0;
    virtual Health health() const = 0;
    virtual Lifecycle lifecycle() const = 0;
    // Driver::connections().
    virtual u64 connections() const { return 0; }
    // Runs `statement` in the binding's open transaction, or on its own when none is open.
    virtual Result<SqlRows> exec(u64 binding, bool in_transaction, const SqlStatement& statement,
                                 std::span<const Value> params, Nanos deadline) = 0;
    virtual Result<void> begin(u64 binding, Nanos deadline) = 0;
    virtual Result<void> commit(u64 binding, Nanos deadline) = 0;
    virtual Result<void> rollback(u64 binding, Nanos deadline) = 0;
};

class SqlDriver final : public Driver {
  public:
    SqlDriver(std::unique_ptr<SqlBackend> backend, std::vector<SqlStatement> statements,
              observe::AuditSink* audit);

    DriverKind kind() const override { return DriverKind::Sql; }
    Result<void> start() override { return m_backend->start(m_statements); }
    void stop() override { m_backend->stop(); }
    Health health() const override { return m_backend->health(); }
    Lifecycle lifecycle() const override { return m_backend->lifecycle(); }
    u64 connections() const override { return m_backend->connections(); }
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;
    // Rolls back a transaction the dropped handle left open.
    void release(u64 binding) override;

    u64 denials() const { return m_denials.denials(); }

  private:
    Result<Value> exec(const Value& request, const CallContext& context);
    bool in_transaction(u64 binding);

    std::unique_ptr<SqlBackend> m_backend;
    std::vector<SqlStatement> m_statements;
    DenialRecorder m_denials;
    std::mutex m_mutex;
    std::unordered_set<u64> m_open;  // Bindings with an open transaction.
};

// Decimal <-> text ("-12.50"): how SQLite stores decimals and PostgreSQL reads numeric
// parameters. Text that does not fit an i64 unscaled value is DriverError.
std::string decimal_to_text(const kernel::abi::Decimal& decimal);
Result<kernel::abi::Decimal> decimal_from_text(std::string_view text);

// "$1" -> "?1" outside quoted strings and identifiers (the SQLite spelling).
std::string sqlite_placeholders(std::string_view sql);

}  // namespace esta::drivers
